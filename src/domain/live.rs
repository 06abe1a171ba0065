//! What live subscriptions may watch and what each event shows: the permission checks
//! made when a client subscribes (and again for every event), and the counts a
//! `reviewSubmitted` event carries. Never a rater, a review or a relationship.

use entity::enums::{ReviewStatus, Role};
use entity::{assessment, assessment_cycle, development_plan, plan_activity, review};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::auth::RequestContext;
use crate::domain::cycles::{self, MANAGERS};
use crate::domain::plans;
use crate::error::{Context, Error, Result};
use crate::startup::AppState;
use crate::tenancy;

/// Review counts of an assessment or a cycle.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReviewCounts {
    /// Every review assigned, whatever its status.
    pub invited: i64,
    pub submitted: i64,
    pub declined: i64,
}

/// What HR sees when a review of a cycle is submitted.
#[derive(Debug, Clone)]
pub struct ReviewProgress {
    pub cycle: assessment_cycle::Model,
    pub assessment: assessment::Model,
    pub of_assessment: ReviewCounts,
    pub of_cycle: ReviewCounts,
}

/// The cycle whose review progress the caller may watch: HR and ADMIN, of their own
/// organization (another organization's cycle is not found).
pub async fn watch_reviews(
    state: &AppState,
    ctx: &RequestContext,
    cycle_id: Uuid,
) -> Result<assessment_cycle::Model> {
    let org = ctx.require(MANAGERS)?.organization_id;
    cycles::get(&state.db, org, cycle_id)
        .await?
        .ok_or(Error::NotFound("cycle"))
}

/// The progress after a submission to `assessment_id`, checked again for the caller.
pub async fn review_progress(
    state: &AppState,
    ctx: &RequestContext,
    cycle_id: Uuid,
    assessment_id: Uuid,
) -> Result<Option<ReviewProgress>> {
    let cycle = watch_reviews(state, ctx, cycle_id).await?;
    let org = cycle.organization_id;
    let Some(assessment) =
        tenancy::find::<assessment::Entity, _>(&state.db, org, assessment_id).await?
    else {
        return Ok(None);
    };
    if assessment.cycle_id != cycle.id {
        return Ok(None);
    }
    let of_assessment = counts(
        &state.db,
        org,
        review::Column::AssessmentId.eq(assessment.id),
    )
    .await?;
    let of_cycle = counts(&state.db, org, review::Column::CycleId.eq(cycle.id)).await?;
    Ok(Some(ReviewProgress {
        cycle,
        assessment,
        of_assessment,
        of_cycle,
    }))
}

async fn counts<C: ConnectionTrait>(
    db: &C,
    org: Uuid,
    of: sea_orm::sea_query::SimpleExpr,
) -> Result<ReviewCounts> {
    let rows: Vec<(ReviewStatus, i64)> = tenancy::select::<review::Entity>(org)
        .filter(of)
        .select_only()
        .column(review::Column::Status)
        .column_as(review::Column::Id.count(), "n")
        .group_by(review::Column::Status)
        .into_tuple()
        .all(db)
        .await
        .context("counting reviews")?;
    let mut c = ReviewCounts::default();
    for (status, n) in rows {
        c.invited += n;
        match status {
            ReviewStatus::Submitted => c.submitted += n,
            ReviewStatus::Declined => c.declined += n,
            _ => {}
        }
    }
    Ok(c)
}

/// The organization whose cycle transitions the caller may watch: one cycle for anyone
/// who may see it (ADMIN, HR, MEMBER), every cycle for HR and ADMIN only.
pub async fn watch_cycles(
    state: &AppState,
    ctx: &RequestContext,
    cycle_id: Option<Uuid>,
) -> Result<Uuid> {
    match cycle_id {
        Some(id) => Ok(cycles::visible_cycle(state, ctx, id)
            .await?
            .ok_or(Error::NotFound("cycle"))?
            .organization_id),
        None => Ok(ctx.require(MANAGERS)?.organization_id),
    }
}

/// The cycle after a transition, checked again for the caller.
pub async fn changed_cycle(
    state: &AppState,
    ctx: &RequestContext,
    cycle_id: Uuid,
    all: bool,
) -> Result<Option<assessment_cycle::Model>> {
    let p = ctx.principal()?;
    if all && !MANAGERS.contains(&p.role) {
        return Err(Error::Forbidden);
    }
    cycles::visible_cycle(state, ctx, cycle_id).await
}

/// The plan whose activity the caller may watch: whoever may see the plan (its leader,
/// supporters, the leader's manager, HR and ADMIN); INTEGRATION never.
pub async fn watch_plan(
    state: &AppState,
    ctx: &RequestContext,
    plan_id: Uuid,
) -> Result<development_plan::Model> {
    if ctx.principal()?.role == Role::Integration {
        return Err(Error::NotFound("plan"));
    }
    Ok(plans::access(&state.db, ctx, plan_id).await?.0)
}

/// One entry of the plan's activity, checked again for the caller.
pub async fn activity(
    state: &AppState,
    ctx: &RequestContext,
    plan_id: Uuid,
    activity_id: Uuid,
) -> Result<Option<plan_activity::Model>> {
    let plan = watch_plan(state, ctx, plan_id).await?;
    let found =
        tenancy::find::<plan_activity::Entity, _>(&state.db, plan.organization_id, activity_id)
            .await?;
    Ok(found.filter(|a| a.plan_id == plan.id))
}
