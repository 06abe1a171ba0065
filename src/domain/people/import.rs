//! `importLeaders`: the HRIS feed. Records are upserted by `externalId` in one
//! transaction; managers are found by `managerExternalId` in the batch or among existing
//! leaders, in any row order. A bad row (its email, an empty name, an unknown manager, a
//! manager loop) fails alone with its reasons and the rest apply. Sending the same batch
//! again changes nothing. The writes are multi-row statements, never one per record.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use entity::enums::LeaderStatus;
use entity::leader;
use sea_orm::{ActiveValue::Set, ConnectionTrait, TransactionTrait};
use uuid::Uuid;

use super::WRITERS;
use crate::auth::RequestContext;
use crate::db::Batch;
use crate::domain::input::{self, Email};
use crate::error::{Context, Error, Result, UserError, UserErrorCode};
use crate::startup::AppState;
use crate::tenancy;

/// Most records one call takes.
pub const MAX_RECORDS: usize = 5_000;

/// One record as the HRIS sends it.
#[derive(Debug, Clone)]
pub struct Record {
    pub external_id: String,
    pub name: String,
    pub email: Option<String>,
    pub title: Option<String>,
    pub department: Option<String>,
    pub manager_external_id: Option<String>,
    pub active: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowStatus {
    Created,
    Updated,
    Unchanged,
    Deactivated,
    Failed,
}

/// What happened to one record.
#[derive(Debug)]
pub struct RowResult {
    pub index: usize,
    pub external_id: String,
    pub status: RowStatus,
    pub leader: Option<leader::Model>,
    pub errors: Vec<UserError>,
}

/// What one call did: per record, and in total (`deactivated` includes the leaders
/// deactivated because they were missing).
#[derive(Debug, Default)]
pub struct Outcome {
    pub rows: Vec<RowResult>,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub deactivated: usize,
    pub failed: usize,
}

/// A record that passed its own checks.
struct Clean {
    external_id: String,
    name: String,
    email: Option<String>,
    title: Option<String>,
    department: Option<String>,
    manager: Option<String>,
    status: LeaderStatus,
}

fn row_error(
    index: usize,
    field: &str,
    code: UserErrorCode,
    message: impl Into<String>,
) -> UserError {
    UserError::new(&["records", &index.to_string(), field], code, message)
}

fn check(index: usize, r: Record) -> Result<Clean, Vec<UserError>> {
    let idx = index.to_string();
    let path = |f: &'static str| ["records", idx.as_str(), f];
    let mut errors = Vec::new();
    let mut keep = |r: Result<Option<String>, UserError>| match r {
        Ok(v) => v,
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let external_id =
        keep(input::required_text(&path("externalId"), &r.external_id, 200).map(Some));
    let name = keep(input::required_text(&path("name"), &r.name, 200).map(Some));
    let email = keep(
        match r.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
            None => Ok(None),
            Some(e) => Email::parse(&path("email"), e).map(|e| Some(e.into_string())),
        },
    );
    let title = keep(input::optional_text(
        &path("title"),
        r.title.as_deref(),
        200,
    ));
    let department = keep(input::optional_text(
        &path("department"),
        r.department.as_deref(),
        200,
    ));
    let manager = r
        .manager_external_id
        .map(|m| m.trim().to_owned())
        .filter(|m| !m.is_empty());
    match (external_id, name) {
        (Some(external_id), Some(name)) if errors.is_empty() => Ok(Clean {
            external_id,
            name,
            email,
            title,
            department,
            manager,
            status: if r.active {
                LeaderStatus::Active
            } else {
                LeaderStatus::Inactive
            },
        }),
        _ => Err(errors),
    }
}

/// Imports `records` into the caller's organization.
pub async fn import(
    state: &AppState,
    ctx: &RequestContext,
    records: Vec<Record>,
    deactivate_missing: bool,
) -> Result<Outcome> {
    let org = ctx.require(WRITERS)?.organization_id;
    state.heatmaps.forget(org);
    if records.len() > MAX_RECORDS {
        return Err(Error::invalid(
            &["records"],
            UserErrorCode::LimitExceeded,
            format!("at most {MAX_RECORDS} records per call; send the rest in another"),
        ));
    }
    let mut rows: Vec<RowResult> = Vec::with_capacity(records.len());
    let mut clean: Vec<Option<Clean>> = Vec::with_capacity(records.len());
    let mut seen: HashSet<String> = HashSet::new();
    for (i, r) in records.into_iter().enumerate() {
        let external_id = r.external_id.trim().to_owned();
        let result = check(i, r).and_then(|c| {
            if seen.insert(c.external_id.clone()) {
                Ok(c)
            } else {
                Err(vec![row_error(
                    i,
                    "externalId",
                    UserErrorCode::Taken,
                    "appears twice in this import",
                )])
            }
        });
        let (status, errors, c) = match result {
            Ok(c) => (RowStatus::Unchanged, Vec::new(), Some(c)),
            Err(e) => (RowStatus::Failed, e, None),
        };
        rows.push(RowResult {
            index: i,
            external_id,
            status,
            leader: None,
            errors,
        });
        clean.push(c);
    }
    let txn = state.db.begin().await.context("starting the import")?;
    let existing: Vec<leader::Model> = tenancy::select::<leader::Entity>(org)
        .all(&txn)
        .await
        .context("reading the directory for the import")?;
    let plan = plan(org, &existing, &mut rows, &clean);
    write(&txn, org, &plan, &existing, deactivate_missing, &seen).await?;
    txn.commit().await.context("committing the import")?;
    let mut out = Outcome {
        deactivated: plan.missing_deactivated(&existing, deactivate_missing, &seen),
        ..Outcome::default()
    };
    for (row, model) in rows.iter_mut().zip(plan.models) {
        row.leader = model;
        match row.status {
            RowStatus::Created => out.created += 1,
            RowStatus::Updated => out.updated += 1,
            RowStatus::Unchanged => out.unchanged += 1,
            RowStatus::Deactivated => out.deactivated += 1,
            RowStatus::Failed => out.failed += 1,
        }
    }
    out.rows = rows;
    Ok(out)
}

/// The leaders as they will be, per record; which are new; and the order to insert them.
struct Plan {
    models: Vec<Option<leader::Model>>,
    created: Vec<usize>,
    changed: Vec<usize>,
}

impl Plan {
    fn missing_deactivated(
        &self,
        existing: &[leader::Model],
        on: bool,
        present: &HashSet<String>,
    ) -> usize {
        if on {
            missing(existing, present).count()
        } else {
            0
        }
    }
}

fn missing<'a>(
    existing: &'a [leader::Model],
    present: &'a HashSet<String>,
) -> impl Iterator<Item = &'a leader::Model> {
    existing.iter().filter(move |l| {
        l.status == LeaderStatus::Active
            && l.external_id.as_ref().is_some_and(|e| !present.contains(e))
    })
}

fn plan(
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

async fn write<C: ConnectionTrait>(
    db: &C,
    org: Uuid,
    plan: &Plan,
    existing: &[leader::Model],
    deactivate_missing: bool,
    present: &HashSet<String>,
) -> Result<()> {
    let mut inserts = Batch::<leader::ActiveModel>::new(13);
    let mut events: Vec<(&'static str, Uuid, Option<String>)> = Vec::new();
    for &i in &plan.created {
        let Some(m) = plan.models[i].clone() else {
            continue;
        };
        events.push(("leader.created", m.id, m.external_id.clone()));
        inserts
            .push(
                db,
                leader::ActiveModel {
                    id: Set(m.id),
                    organization_id: Set(org),
                    name: Set(m.name),
                    email: Set(m.email),
                    title: Set(m.title),
                    department: Set(m.department),
                    location: Set(m.location),
                    external_id: Set(m.external_id),
                    manager_id: Set(m.manager_id),
                    start_date: Set(m.start_date),
                    status: Set(m.status),
                    created_at: Set(m.created_at),
                    updated_at: Set(m.updated_at),
                },
            )
            .await?;
    }
    inserts.flush(db).await?;
    let updates: Vec<&leader::Model> = plan
        .changed
        .iter()
        .filter_map(|&i| plan.models[i].as_ref())
        .collect();
    for m in &updates {
        let kind = if m.status == LeaderStatus::Inactive {
            "leader.deactivated"
        } else {
            "leader.updated"
        };
        events.push((kind, m.id, m.external_id.clone()));
    }
    tenancy::update_leaders(db, org, &updates).await?;
    if deactivate_missing {
        let gone: Vec<Uuid> = missing(existing, present).map(|l| l.id).collect();
        for l in missing(existing, present) {
            events.push(("leader.deactivated", l.id, l.external_id.clone()));
        }
        tenancy::deactivate_leaders(db, org, &gone).await?;
    }
    let mut outbox = Batch::<entity::outbox_event::ActiveModel>::new(5);
    let now = Utc::now();
    for (kind, id, external_id) in events {
        outbox
            .push(
                db,
                entity::outbox_event::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    organization_id: Set(org),
                    event_type: Set(kind.to_owned()),
                    payload: Set(
                        serde_json::json!({ "leaderId": id, "externalId": external_id })
                            .to_string(),
                    ),
                    occurred_at: Set(now),
                },
            )
            .await?;
    }
    outbox.flush(db).await
}
