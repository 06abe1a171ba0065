//! `importLeaders`: the HRIS feed in GraphQL.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};

use super::Leader;
use crate::domain::people::import::{self, Record, RowStatus};
use crate::error::UserError;
use crate::graphql::{parts, payload};

/// One leader as the HRIS knows it; `externalId` is the key.
#[derive(InputObject)]
pub struct LeaderRecordInput {
    external_id: String,
    name: String,
    email: Option<String>,
    title: Option<String>,
    department: Option<String>,
    /// The manager's `externalId`, in this import or already known.
    manager_external_id: Option<String>,
    #[graphql(default = true)]
    active: bool,
}

#[derive(InputObject)]
pub struct ImportLeadersInput {
    /// At most 5,000 records per call.
    records: Vec<LeaderRecordInput>,
    /// Deactivate active leaders with an external id that this import does not mention.
    #[graphql(default = false)]
    deactivate_missing: bool,
}

/// What happened to one record.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ImportRowStatus {
    Created,
    Updated,
    Unchanged,
    Deactivated,
    Failed,
}

#[derive(SimpleObject)]
pub struct ImportRowResult {
    /// The record's position in `records`, from 0.
    index: i32,
    external_id: String,
    status: ImportRowStatus,
    /// The leader as it now is; null when the record failed.
    leader: Option<Leader>,
    /// Why the record failed, with paths like `["input", "records", "3", "email"]`.
    errors: Vec<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct ImportLeadersPayload {
    created: i32,
    updated: i32,
    unchanged: i32,
    /// Records that deactivated a leader, and leaders deactivated as missing.
    deactivated: i32,
    failed: i32,
    rows: Vec<ImportRowResult>,
    user_errors: Vec<UserError>,
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

#[derive(Default)]
pub struct ImportMutation;

#[Object]
impl ImportMutation {
    /// Upserts leaders by `externalId` in one transaction; each record fails alone.
    async fn import_leaders(
        &self,
        ctx: &Context<'_>,
        input: ImportLeadersInput,
    ) -> async_graphql::Result<ImportLeadersPayload> {
        let (rctx, state) = parts(ctx);
        let records = input
            .records
            .into_iter()
            .map(|r| Record {
                external_id: r.external_id,
                name: r.name,
                email: r.email,
                title: r.title,
                department: r.department,
                manager_external_id: r.manager_external_id,
                active: r.active,
            })
            .collect();
        let (outcome, user_errors) =
            payload(import::import(state, rctx, records, input.deactivate_missing).await)?;
        let Some(o) = outcome else {
            return Ok(ImportLeadersPayload {
                user_errors,
                ..Default::default()
            });
        };
        Ok(ImportLeadersPayload {
            created: count(o.created),
            updated: count(o.updated),
            unchanged: count(o.unchanged),
            deactivated: count(o.deactivated),
            failed: count(o.failed),
            rows: o
                .rows
                .into_iter()
                .map(|r| ImportRowResult {
                    index: count(r.index),
                    external_id: r.external_id,
                    status: match r.status {
                        RowStatus::Created => ImportRowStatus::Created,
                        RowStatus::Updated => ImportRowStatus::Updated,
                        RowStatus::Unchanged => ImportRowStatus::Unchanged,
                        RowStatus::Deactivated => ImportRowStatus::Deactivated,
                        RowStatus::Failed => ImportRowStatus::Failed,
                    },
                    leader: r.leader.map(Leader),
                    errors: r.errors,
                })
                .collect(),
            user_errors,
        })
    }
}
