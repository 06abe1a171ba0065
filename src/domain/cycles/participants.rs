//! Cycle participants: adding and removing subjects, their assessments, completion counts
//! and what a caller may see of them.

use std::collections::HashSet;

use chrono::Utc;
use entity::enums::{CycleStatus, LeaderStatus, Role};
use entity::{assessment, assessment_cycle, leader, review};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, TransactionTrait,
};
use uuid::Uuid;

use super::{MANAGERS, MAX_PARTICIPANTS_PER_CALL, get, managed};
use crate::auth::RequestContext;
use crate::domain::pagination::{self, Ordering, Page, PageArgs};
use crate::error::{Context, Error, Result, UserError, UserErrorCode};
use crate::startup::AppState;
use crate::tenancy;

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
