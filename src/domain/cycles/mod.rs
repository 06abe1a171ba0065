//! Assessment cycles: creation, participants and the state machine
//! DRAFT → OPEN → CLOSED → RELEASED, and DRAFT|OPEN → CANCELLED.

pub mod raters;

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use entity::enums::{CycleStatus, FrameworkStatus, LeaderStatus, Role};
use entity::{assessment, assessment_cycle, framework, leader, review};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, TransactionTrait,
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
            status_name(cycle.status)
        ),
    )
}

pub fn status_name(s: CycleStatus) -> &'static str {
    match s {
        CycleStatus::Draft => "DRAFT",
        CycleStatus::Open => "OPEN",
        CycleStatus::Closed => "CLOSED",
        CycleStatus::Released => "RELEASED",
        CycleStatus::Cancelled => "CANCELLED",
    }
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
        .col_expr(
            assessment_cycle::Column::Status,
            Expr::value(status_name(to)),
        )
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
    if let Some(event) = event {
        outbox::record(
            &txn,
            org,
            event,
            json!({ "cycleId": id, "status": status_name(to) }),
        )
        .await?;
    }
    txn.commit()
        .await
        .context("committing a cycle transition")?;
    get(&state.db, org, id)
        .await?
        .ok_or(Error::NotFound("cycle"))
}

/// Adds leaders as subjects (DRAFT or OPEN); those already in the cycle are kept as they
/// are. Returns the assessments of all the given leaders.
pub async fn add_participants(
    state: &AppState,
    ctx: &RequestContext,
    cycle_id: Uuid,
    leader_ids: &[Uuid],
) -> Result<Vec<assessment::Model>> {
    let cycle = managed(
        state,
        ctx,
        cycle_id,
        &[CycleStatus::Draft, CycleStatus::Open],
        "add participants to",
    )
    .await?;
    let org = cycle.organization_id;
    if leader_ids.len() > MAX_PARTICIPANTS_PER_CALL {
        return Err(Error::invalid(
            &["leaderIds"],
            UserErrorCode::LimitExceeded,
            format!("at most {MAX_PARTICIPANTS_PER_CALL} leaders per call"),
        ));
    }
    let leaders =
        tenancy::find_many::<leader::Entity, _>(&state.db, org, leader_ids.iter().copied()).await?;
    let status: std::collections::HashMap<Uuid, LeaderStatus> =
        leaders.iter().map(|l| (l.id, l.status)).collect();
    let mut errors = Vec::new();
    for (i, id) in leader_ids.iter().enumerate() {
        match status.get(id) {
            None => errors.push(UserError::new(
                &["leaderIds", &i.to_string()],
                UserErrorCode::NotFound,
                "no such leader",
            )),
            Some(LeaderStatus::Inactive) => errors.push(UserError::new(
                &["leaderIds", &i.to_string()],
                UserErrorCode::Invalid,
                "an inactive leader cannot be assessed",
            )),
            Some(LeaderStatus::Active) => {}
        }
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let existing: HashSet<Uuid> = tenancy::select::<assessment::Entity>(org)
        .filter(assessment::Column::CycleId.eq(cycle_id))
        .filter(assessment::Column::SubjectId.is_in(leader_ids.iter().copied()))
        .select_only()
        .column(assessment::Column::SubjectId)
        .into_tuple()
        .all(&state.db)
        .await
        .context("loading existing participants")?
        .into_iter()
        .collect();
    let now = Utc::now();
    let mut seen = HashSet::new();
    let rows: Vec<assessment::ActiveModel> = leader_ids
        .iter()
        .filter(|id| !existing.contains(id) && seen.insert(**id))
        .map(|id| assessment::ActiveModel {
            id: Set(Uuid::now_v7()),
            organization_id: Set(org),
            cycle_id: Set(cycle_id),
            subject_id: Set(*id),
            created_at: Set(now),
        })
        .collect();
    for chunk in rows.chunks(500) {
        assessment::Entity::insert_many(chunk.to_vec())
            .exec(&state.db)
            .await
            .context("adding participants")?;
    }
    tenancy::select::<assessment::Entity>(org)
        .filter(assessment::Column::CycleId.eq(cycle_id))
        .filter(assessment::Column::SubjectId.is_in(leader_ids.iter().copied()))
        .all(&state.db)
        .await
        .context("loading participants")
}

/// Removes subjects (DRAFT only), with their reviews.
pub async fn remove_participants(
    state: &AppState,
    ctx: &RequestContext,
    cycle_id: Uuid,
    leader_ids: &[Uuid],
) -> Result<assessment_cycle::Model> {
    let cycle = managed(
        state,
        ctx,
        cycle_id,
        &[CycleStatus::Draft],
        "remove participants from",
    )
    .await?;
    let org = cycle.organization_id;
    let txn = state
        .db
        .begin()
        .await
        .context("starting to remove participants")?;
    let doomed: Vec<Uuid> = tenancy::select::<assessment::Entity>(org)
        .filter(assessment::Column::CycleId.eq(cycle_id))
        .filter(assessment::Column::SubjectId.is_in(leader_ids.iter().copied()))
        .select_only()
        .column(assessment::Column::Id)
        .into_tuple()
        .all(&txn)
        .await
        .context("finding participants to remove")?;
    tenancy::delete_many::<review::Entity>(org)
        .filter(review::Column::AssessmentId.is_in(doomed.clone()))
        .exec(&txn)
        .await
        .context("removing reviews")?;
    tenancy::delete_many::<assessment::Entity>(org)
        .filter(assessment::Column::Id.is_in(doomed))
        .exec(&txn)
        .await
        .context("removing participants")?;
    txn.commit()
        .await
        .context("committing participant removal")?;
    Ok(cycle)
}

/// Assessments of a cycle, oldest first (HR and ADMIN).
pub async fn assessments(
    state: &AppState,
    ctx: &RequestContext,
    cycle_id: Uuid,
    args: &PageArgs,
) -> Result<Page<assessment::Model>> {
    let org = ctx.require(MANAGERS)?.organization_id;
    let q =
        tenancy::select::<assessment::Entity>(org).filter(assessment::Column::CycleId.eq(cycle_id));
    pagination::fetch(
        &state.db,
        q,
        assessment::Column::Id,
        &Ordering::by_id(),
        args,
    )
    .await
}

pub async fn count_assessments(db: &DatabaseConnection, org: Uuid, cycle_id: Uuid) -> Result<u64> {
    tenancy::select::<assessment::Entity>(org)
        .filter(assessment::Column::CycleId.eq(cycle_id))
        .count(db)
        .await
        .context("counting assessments")
}

/// Review counts of a cycle by relationship and status: (relationship, status, count).
pub async fn completion(
    state: &AppState,
    ctx: &RequestContext,
    cycle_id: Uuid,
) -> Result<Vec<(String, entity::enums::ReviewStatus, i64)>> {
    let org = ctx.require(MANAGERS)?.organization_id;
    tenancy::select::<review::Entity>(org)
        .filter(review::Column::CycleId.eq(cycle_id))
        .select_only()
        .column(review::Column::Relationship)
        .column(review::Column::Status)
        .column_as(review::Column::Id.count(), "n")
        .group_by(review::Column::Relationship)
        .group_by(review::Column::Status)
        .into_tuple()
        .all(&state.db)
        .await
        .context("counting reviews")
}

/// An assessment the caller may see: HR and ADMIN all; a member their own, their direct
/// reports', and those they were asked to rate; an external rater the one of their review.
pub async fn visible_assessment(
    state: &AppState,
    ctx: &RequestContext,
    id: Uuid,
) -> Result<Option<assessment::Model>> {
    if let Some((org, review_id)) = ctx.review_scope() {
        let r = tenancy::find::<review::Entity, _>(&state.db, org, review_id).await?;
        return match r.filter(|r| r.assessment_id == id) {
            Some(_) => tenancy::find::<assessment::Entity, _>(&state.db, org, id).await,
            None => Ok(None),
        };
    }
    let p = ctx.principal()?;
    let org = p.organization_id;
    let Some(a) = tenancy::find::<assessment::Entity, _>(&state.db, org, id).await? else {
        return Ok(None);
    };
    if MANAGERS.contains(&p.role) {
        return Ok(Some(a));
    }
    let Some(me) = p.leader_id.filter(|_| p.role == Role::Member) else {
        return Ok(None);
    };
    if a.subject_id == me {
        return Ok(Some(a));
    }
    let subject = tenancy::find::<leader::Entity, _>(&state.db, org, a.subject_id).await?;
    if subject.is_some_and(|s| s.manager_id == Some(me)) {
        return Ok(Some(a));
    }
    let rates = tenancy::select::<review::Entity>(org)
        .filter(review::Column::AssessmentId.eq(a.id))
        .filter(review::Column::RaterId.eq(me))
        .count(&state.db)
        .await
        .context("checking a rater")?;
    Ok((rates > 0).then_some(a))
}

/// Reviews of an assessment with their raters and statuses (HR and ADMIN, for reminders).
pub async fn reviews_of(
    state: &AppState,
    ctx: &RequestContext,
    assessment_id: Uuid,
) -> Result<Vec<review::Model>> {
    let org = ctx.require(MANAGERS)?.organization_id;
    tenancy::select::<review::Entity>(org)
        .filter(review::Column::AssessmentId.eq(assessment_id))
        .all(&state.db)
        .await
        .context("loading reviews")
}

/// A cycle any member of the organization may look at (its name, dates and framework);
/// its assessments and completion stay with HR and ADMIN.
pub async fn visible_cycle(
    state: &AppState,
    ctx: &RequestContext,
    id: Uuid,
) -> Result<Option<assessment_cycle::Model>> {
    let p = ctx.require(&[Role::Admin, Role::Hr, Role::Member])?;
    get(&state.db, p.organization_id, id).await
}
