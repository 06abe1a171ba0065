//! Assessment cycles: creation, participants and the state machine
//! DRAFT → OPEN → CLOSED → RELEASED, and DRAFT|OPEN → CANCELLED.

mod participants;
pub mod raters;

pub use participants::*;

use chrono::{DateTime, Utc};
use entity::enums::{CycleStatus, FrameworkStatus, Role};
use entity::{assessment_cycle, framework};
use sea_orm::ActiveEnum;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, PaginatorTrait, QueryFilter,
    TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::auth::RequestContext;
use crate::domain::input::{self, Checks};
use crate::domain::outbox;
use crate::domain::pagination::{self, Ordering, Page, PageArgs};
use crate::error::{Context, Error, Result, UserError, UserErrorCode};
use crate::startup::AppState;
use crate::tenancy;

/// Who runs cycles.
pub const MANAGERS: &[Role] = &[Role::Admin, Role::Hr];
/// Most leaders added or removed in one call.
pub const MAX_PARTICIPANTS_PER_CALL: usize = 1000;

/// The framework of the built-in "Collaborative Leadership" v1.
pub fn built_in_framework() -> Uuid {
    Uuid::from_u128(migration::BUILT_IN_FRAMEWORK)
}

pub async fn create(
    state: &AppState,
    ctx: &RequestContext,
    name: &str,
    framework_id: Option<Uuid>,
    opens_at: Option<DateTime<Utc>>,
    closes_at: Option<DateTime<Utc>>,
) -> Result<assessment_cycle::Model> {
    let org = ctx.require(MANAGERS)?.organization_id;
    let mut checks = Checks::default();
    let name = checks.take(input::required_text(&["name"], name, 200));
    if let (Some(o), Some(c)) = (opens_at, closes_at)
        && c <= o
    {
        checks.push(UserError::new(
            &["closesAt"],
            UserErrorCode::Invalid,
            "must be after opensAt",
        ));
    }
    let fw_id = framework_id.unwrap_or_else(built_in_framework);
    match tenancy::find_visible::<framework::Entity, _>(&state.db, org, fw_id).await? {
        None => checks.push(UserError::new(
            &["frameworkId"],
            UserErrorCode::NotFound,
            "no such framework",
        )),
        Some(f) if f.status != FrameworkStatus::Published => checks.push(UserError::new(
            &["frameworkId"],
            UserErrorCode::InvalidState,
            "a cycle needs a published framework",
        )),
        Some(_) => {}
    }
    checks.finish()?;
    let settings = tenancy::organization(&state.db, org)
        .await?
        .ok_or(Error::NotFound("organization"))?;
    let now = Utc::now();
    tenancy::insert(
        &state.db,
        org,
        assessment_cycle::ActiveModel {
            id: Set(Uuid::now_v7()),
            name: Set(name.unwrap_or_default()),
            framework_id: Set(fw_id),
            status: Set(CycleStatus::Draft),
            opens_at: Set(opens_at),
            closes_at: Set(closes_at),
            anonymity_threshold: Set(settings.anonymity_threshold),
            rating_scale_max: Set(settings.rating_scale_max),
            opened_at: Set(None),
            closed_at: Set(None),
            released_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        },
    )
    .await
}

/// A cycle of the caller's organization, for anyone who may see cycles at all.
pub async fn get(
    db: &DatabaseConnection,
    org: Uuid,
    id: Uuid,
) -> Result<Option<assessment_cycle::Model>> {
    tenancy::find::<assessment_cycle::Entity, _>(db, org, id).await
}

pub async fn list(
    state: &AppState,
    ctx: &RequestContext,
    status: Option<CycleStatus>,
    args: &PageArgs,
) -> Result<Page<assessment_cycle::Model>> {
    let org = ctx.require(MANAGERS)?.organization_id;
    let mut q = tenancy::select::<assessment_cycle::Entity>(org);
    if let Some(s) = status {
        q = q.filter(assessment_cycle::Column::Status.eq(s));
    }
    pagination::fetch(
        &state.db,
        q,
        assessment_cycle::Column::Id,
        &Ordering::by_id(),
        args,
    )
    .await
}

pub async fn count(db: &DatabaseConnection, org: Uuid, status: Option<CycleStatus>) -> Result<u64> {
    let mut q = tenancy::select::<assessment_cycle::Entity>(org);
    if let Some(s) = status {
        q = q.filter(assessment_cycle::Column::Status.eq(s));
    }
    q.count(db).await.context("counting cycles")
}

fn invalid_state(cycle: &assessment_cycle::Model, action: &str) -> Error {
    Error::invalid(
        &["cycleId"],
        UserErrorCode::InvalidState,
        format!(
            "cannot {action} a cycle that is {}",
            cycle.status.to_value()
        ),
    )
}

/// The cycle for an HR/ADMIN change, which must be in one of `states`.
pub async fn managed(
    state: &AppState,
    ctx: &RequestContext,
    id: Uuid,
    states: &[CycleStatus],
    action: &str,
) -> Result<assessment_cycle::Model> {
    let org = ctx.require(MANAGERS)?.organization_id;
    let cycle = get(&state.db, org, id)
        .await?
        .ok_or(Error::NotFound("cycle"))?;
    if !states.contains(&cycle.status) {
        return Err(invalid_state(&cycle, action));
    }
    Ok(cycle)
}

/// A state transition, recorded as an outbox event in the same transaction.
pub async fn transition(
    state: &AppState,
    ctx: &RequestContext,
    id: Uuid,
    to: CycleStatus,
) -> Result<assessment_cycle::Model> {
    let (from, action, event): (&[CycleStatus], &str, Option<&str>) = match to {
        CycleStatus::Open => (&[CycleStatus::Draft], "open", Some("cycle.opened")),
        CycleStatus::Closed => (&[CycleStatus::Open], "close", Some("cycle.closed")),
        CycleStatus::Released => (&[CycleStatus::Closed], "release", Some("cycle.released")),
        CycleStatus::Cancelled => (&[CycleStatus::Draft, CycleStatus::Open], "cancel", None),
        CycleStatus::Draft => (&[], "reopen", None),
    };
    let cycle = managed(state, ctx, id, from, action).await?;
    let org = cycle.organization_id;
    let now = Utc::now();
    let txn = state
        .db
        .begin()
        .await
        .context("starting a cycle transition")?;
    // Guard against a concurrent transition: the update only applies from the state read.
    let mut update = tenancy::update_many::<assessment_cycle::Entity>(org)
        .col_expr(assessment_cycle::Column::Status, Expr::value(to))
        .col_expr(assessment_cycle::Column::UpdatedAt, Expr::value(now));
    let stamp = match to {
        CycleStatus::Open => Some(assessment_cycle::Column::OpenedAt),
        CycleStatus::Closed => Some(assessment_cycle::Column::ClosedAt),
        CycleStatus::Released => Some(assessment_cycle::Column::ReleasedAt),
        _ => None,
    };
    if let Some(column) = stamp {
        update = update.col_expr(column, Expr::value(now));
    }
    let updated = update
        .filter(assessment_cycle::Column::Id.eq(id))
        .filter(assessment_cycle::Column::Status.eq(cycle.status))
        .exec(&txn)
        .await
        .context("changing a cycle's status")?;
    if updated.rows_affected != 1 {
        return Err(invalid_state(&cycle, action));
    }
    let data = json!({ "cycleId": id, "status": to.to_value() });
    match event {
        Some(event) => outbox::record(&txn, org, event, data).await?,
        // No webhook event for this one; live subscribers (`cycleStatusChanged`) hear it.
        None => outbox::announce(&txn, org, "internal.cycle.status_changed", data).await?,
    }
    txn.commit()
        .await
        .context("committing a cycle transition")?;
    if to == CycleStatus::Closed {
        // The closed cycle's heatmaps, computed now rather than when a dashboard first
        // asks (which then need not wait for them). A failure costs only that wait.
        let db = state.db.clone();
        tokio::spawn(async move {
            if let Err(error) = crate::domain::insights::keep_all(&db, org, id).await {
                tracing::warn!(error = %error.report(), cycle = %id, "computing a closed cycle's heatmaps failed");
            }
        });
    }
    get(&state.db, org, id)
        .await?
        .ok_or(Error::NotFound("cycle"))
}
