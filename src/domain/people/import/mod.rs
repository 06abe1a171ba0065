//! `importLeaders`: the HRIS feed. Records are upserted by `externalId` in one
//! transaction; managers are found by `managerExternalId` in the batch or among existing
//! leaders, in any row order. A bad row (its email, an empty name, an unknown manager, a
//! manager loop) fails alone with its reasons and the rest apply. Sending the same batch
//! again changes nothing. The writes are multi-row statements, never one per record.

mod plan;
mod write;

use std::collections::HashSet;

use entity::enums::LeaderStatus;
use entity::leader;
use sea_orm::{DatabaseConnection, TransactionTrait};
use uuid::Uuid;

use super::WRITERS;
use crate::auth::RequestContext;
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
pub(super) struct Clean {
    pub(super) external_id: String,
    pub(super) name: String,
    pub(super) email: Option<String>,
    pub(super) title: Option<String>,
    pub(super) department: Option<String>,
    pub(super) manager: Option<String>,
    pub(super) status: LeaderStatus,
}

pub(super) fn row_error(
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

/// Which active leaders an import deactivates because the feed no longer has them.
pub enum Missing<'a> {
    /// None.
    Keep,
    /// Those whose external id is in no record of this call.
    AbsentFromBatch,
    /// Those whose external id is not in this set: a feed sent in several calls.
    AbsentFrom(&'a HashSet<String>),
}

/// Imports `records` into the caller's organization.
pub async fn import(
    state: &AppState,
    ctx: &RequestContext,
    records: Vec<Record>,
    deactivate_missing: bool,
) -> Result<Outcome> {
    let org = ctx.require(WRITERS)?.organization_id;
    let missing = if deactivate_missing {
        Missing::AbsentFromBatch
    } else {
        Missing::Keep
    };
    import_into(&state.db, org, records, missing).await
}

/// Imports `records` into organization `org`, for a caller already allowed to.
pub async fn import_into(
    db: &DatabaseConnection,
    org: Uuid,
    records: Vec<Record>,
    missing: Missing<'_>,
) -> Result<Outcome> {
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
    // Every record's external id, failed or not: a leader whose record failed its checks
    // is still in the feed, and is not deactivated as missing.
    let mut present: HashSet<String> = HashSet::new();
    for (i, r) in records.into_iter().enumerate() {
        let external_id = r.external_id.trim().to_owned();
        present.insert(external_id.clone());
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
    let txn = db.begin().await.context("starting the import")?;
    let existing: Vec<leader::Model> = tenancy::select::<leader::Entity>(org)
        .all(&txn)
        .await
        .context("reading the directory for the import")?;
    let plan = plan::plan(org, &existing, &mut rows, &clean);
    let missing: Vec<&leader::Model> = match missing {
        Missing::Keep => Vec::new(),
        Missing::AbsentFromBatch => plan::missing(&existing, &present).collect(),
        Missing::AbsentFrom(all) => plan::missing(&existing, all).collect(),
    };
    write::write(&txn, org, &plan, &missing).await?;
    txn.commit().await.context("committing the import")?;
    let mut out = Outcome {
        deactivated: missing.len(),
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
