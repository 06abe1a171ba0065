//! Resolving an import: ids, managers (in the batch or existing), failures that spread
//! to the rows under a failed new manager, reporting loops, and each row's status.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use entity::enums::LeaderStatus;
use entity::leader;
use uuid::Uuid;

use super::{Clean, RowResult, RowStatus, row_error};
use crate::error::UserErrorCode;

/// The leaders as they will be, per record; which are new; and the order to insert them.
pub(super) struct Plan {
    pub(super) models: Vec<Option<leader::Model>>,
    pub(super) created: Vec<usize>,
    pub(super) changed: Vec<usize>,
}

/// Active leaders with an external id that the import does not mention.
pub(super) fn missing<'a>(
    existing: &'a [leader::Model],
    present: &'a HashSet<String>,
) -> impl Iterator<Item = &'a leader::Model> {
    existing.iter().filter(move |l| {
        l.status == LeaderStatus::Active
            && l.external_id.as_ref().is_some_and(|e| !present.contains(e))
    })
}

pub(super) fn plan(
    org: Uuid,
    existing: &[leader::Model],
    rows: &mut [RowResult],
    clean: &[Option<Clean>],
) -> Plan {
    let by_ext: HashMap<&str, &leader::Model> = existing
        .iter()
        .filter_map(|l| l.external_id.as_deref().map(|e| (e, l)))
        .collect();
    let by_id: HashMap<Uuid, &leader::Model> = existing.iter().map(|l| (l.id, l)).collect();
    let batch_index: HashMap<&str, usize> = clean
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.as_ref().map(|c| (c.external_id.as_str(), i)))
        .collect();
    let ids: Vec<Uuid> = clean
        .iter()
        .map(|c| {
            c.as_ref()
                .and_then(|c| by_ext.get(c.external_id.as_str()).map(|l| l.id))
                .unwrap_or_else(Uuid::now_v7)
        })
        .collect();
    let mut ok: Vec<bool> = clean.iter().map(Option::is_some).collect();
    // Managers by id; an unknown manager fails its row.
    let mut manager: Vec<Option<Uuid>> = vec![None; clean.len()];
    for (i, c) in clean.iter().enumerate() {
        let Some(c) = c else { continue };
        let Some(m) = c.manager.as_deref() else {
            continue;
        };
        if let Some(&j) = batch_index.get(m) {
            manager[i] = Some(ids[j]);
        } else if let Some(l) = by_ext.get(m) {
            manager[i] = Some(l.id);
        } else {
            ok[i] = false;
            rows[i].errors.push(row_error(
                i,
                "managerExternalId",
                UserErrorCode::NotFound,
                format!("no leader has externalId '{m}'"),
            ));
        }
    }
    let row_of: HashMap<Uuid, usize> = (0..clean.len())
        .filter(|&i| clean[i].is_some())
        .map(|i| (ids[i], i))
        .collect();
    loop {
        let mut changed = false;
        // A new leader whose manager's row failed cannot be placed.
        for i in 0..clean.len() {
            if let (true, Some(m)) = (ok[i], manager[i])
                && let Some(&j) = row_of.get(&m)
                && !ok[j]
                && !by_id.contains_key(&m)
            {
                ok[i] = false;
                changed = true;
                rows[i].errors.push(row_error(
                    i,
                    "managerExternalId",
                    UserErrorCode::Invalid,
                    "the manager's own record failed",
                ));
            }
        }
        // The manager of anyone, as it will be after this import.
        let boss = |id: Uuid| -> Option<Uuid> {
            match row_of.get(&id) {
                Some(&j) if ok[j] => manager[j],
                _ => by_id.get(&id).and_then(|l| l.manager_id),
            }
        };
        let mut looped = Vec::new();
        for i in (0..clean.len()).filter(|&i| ok[i]) {
            let mut cur = manager[i];
            for _ in 0..=existing.len() + clean.len() {
                match cur {
                    Some(id) if id == ids[i] => {
                        looped.push(i);
                        break;
                    }
                    Some(id) => cur = boss(id),
                    None => break,
                }
            }
        }
        for i in looped {
            ok[i] = false;
            changed = true;
            rows[i].errors.push(row_error(
                i,
                "managerExternalId",
                UserErrorCode::Invalid,
                "this manager would make a reporting loop",
            ));
        }
        if !changed {
            break;
        }
    }
    let now = Utc::now();
    let mut models = Vec::with_capacity(clean.len());
    let (mut created, mut changed_rows) = (Vec::new(), Vec::new());
    for (i, c) in clean.iter().enumerate() {
        let (Some(c), true) = (c, ok[i]) else {
            rows[i].status = RowStatus::Failed;
            models.push(None);
            continue;
        };
        let old = by_ext.get(c.external_id.as_str()).copied();
        let model = leader::Model {
            id: ids[i],
            organization_id: org,
            name: c.name.clone(),
            email: c.email.clone(),
            title: c.title.clone(),
            department: c.department.clone(),
            location: old.and_then(|o| o.location.clone()),
            external_id: Some(c.external_id.clone()),
            manager_id: manager[i],
            start_date: old.and_then(|o| o.start_date),
            status: c.status,
            user_name: old.and_then(|o| o.user_name.clone()),
            employee_number: old.and_then(|o| o.employee_number.clone()),
            created_at: old.map_or(now, |o| o.created_at),
            updated_at: now,
        };
        rows[i].status = match old {
            None => {
                created.push(i);
                RowStatus::Created
            }
            Some(o) if same(o, &model) => RowStatus::Unchanged,
            Some(o) => {
                changed_rows.push(i);
                if o.status == LeaderStatus::Active && model.status == LeaderStatus::Inactive {
                    RowStatus::Deactivated
                } else {
                    RowStatus::Updated
                }
            }
        };
        models.push(Some(match rows[i].status {
            RowStatus::Unchanged => old.cloned().unwrap_or(model),
            _ => model,
        }));
    }
    // Managers before their reports, so that every insert finds its manager.
    let depth = |mut i: usize| {
        let mut d = 0;
        while let Some(j) = models[i]
            .as_ref()
            .and_then(|m| m.manager_id)
            .and_then(|m| row_of.get(&m))
            .copied()
        {
            if rows[j].status != RowStatus::Created || d > clean.len() {
                break;
            }
            d += 1;
            i = j;
        }
        d
    };
    let mut by_depth: Vec<(usize, usize)> = created.iter().map(|&i| (depth(i), i)).collect();
    by_depth.sort_unstable();
    Plan {
        models,
        created: by_depth.into_iter().map(|(_, i)| i).collect(),
        changed: changed_rows,
    }
}

fn same(a: &leader::Model, b: &leader::Model) -> bool {
    a.name == b.name
        && a.email == b.email
        && a.title == b.title
        && a.department == b.department
        && a.manager_id == b.manager_id
        && a.status == b.status
}
