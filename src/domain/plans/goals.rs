//! Goals, actions, supporters and check-ins of a plan, and its activity stream.

use chrono::{NaiveDate, Utc};
use entity::enums::{GoalStatus, PlanStatus, SupporterRole};
use entity::{action, behavior, development_plan, goal, leader, plan_activity, plan_supporter};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, IntoActiveModel,
    PaginatorTrait, QueryFilter, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::{Access, access, owned, record};
use crate::auth::RequestContext;
use crate::domain::input::{self, Checks};
use crate::domain::outbox;
use crate::domain::pagination::{self, Ordering, Page, PageArgs};
use crate::error::{Context, Error, Result, UserError, UserErrorCode};
use crate::startup::AppState;
use crate::tenancy;

fn closed(plan: &development_plan::Model) -> Option<Error> {
    matches!(plan.status, PlanStatus::Completed | PlanStatus::Archived).then(|| {
        Error::invalid(
            &["planId"],
            UserErrorCode::InvalidState,
            "a completed or archived plan no longer changes",
        )
    })
}

fn only_in_draft(plan: &development_plan::Model) -> Result<()> {
    if plan.status == PlanStatus::Draft {
        Ok(())
    } else {
        Err(Error::invalid(
            &[],
            UserErrorCode::InvalidState,
            "goals and actions are removed only while the plan is a draft",
        ))
    }
}

async fn goal_of_owned(
    db: &DatabaseConnection,
    ctx: &RequestContext,
    id: Uuid,
) -> Result<(goal::Model, development_plan::Model)> {
    let org = ctx.organization_id()?;
    let g = tenancy::find::<goal::Entity, _>(db, org, id)
        .await?
        .ok_or(Error::NotFound("goal"))?;
    let plan = owned(db, ctx, g.plan_id).await?;
    Ok((g, plan))
}

pub struct GoalChange {
    pub title: Option<String>,
    pub success_measure: Option<String>,
    pub target_date: Option<NaiveDate>,
    pub status: Option<GoalStatus>,
    pub progress: Option<i32>,
}

pub async fn add_goal(
    state: &AppState,
    ctx: &RequestContext,
    plan_id: Uuid,
    behavior_id: Uuid,
    c: GoalChange,
) -> Result<goal::Model> {
    let plan = owned(&state.db, ctx, plan_id).await?;
    if let Some(e) = closed(&plan) {
        return Err(e);
    }
    let mut checks = Checks::default();
    let title = c
        .title
        .as_deref()
        .and_then(|t| checks.take(input::required_text(&["title"], t, 200)));
    let measure = checks
        .take(input::optional_text(
            &["successMeasure"],
            c.success_measure.as_deref(),
            2000,
        ))
        .flatten();
    if tenancy::find_visible::<behavior::Entity, _>(&state.db, plan.organization_id, behavior_id)
        .await?
        .is_none()
    {
        checks.push(UserError::new(
            &["behaviorId"],
            UserErrorCode::NotFound,
            "no such behavior",
        ));
    }
    checks.finish()?;
    let now = Utc::now();
    let txn = state.db.begin().await.context("starting a goal")?;
    let g = tenancy::insert(
        &txn,
        plan.organization_id,
        goal::ActiveModel {
            id: Set(Uuid::now_v7()),
            plan_id: Set(plan.id),
            behavior_id: Set(behavior_id),
            title: Set(title.unwrap_or_default()),
            success_measure: Set(measure),
            target_date: Set(c.target_date),
            status: Set(GoalStatus::NotStarted),
            progress: Set(0),
            suggestion: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        },
    )
    .await?;
    record(
        &txn,
        &plan,
        Some(g.id),
        "GOAL_ADDED",
        g.title.clone(),
        ctx.user_id().ok(),
    )
    .await?;
    txn.commit().await.context("committing a goal")?;
    Ok(g)
}

fn goal_status(s: GoalStatus) -> &'static str {
    match s {
        GoalStatus::NotStarted => "NOT_STARTED",
        GoalStatus::InProgress => "IN_PROGRESS",
        GoalStatus::Achieved => "ACHIEVED",
        GoalStatus::Dropped => "DROPPED",
    }
}

/// Edits a goal: NOT_STARTED → IN_PROGRESS → ACHIEVED | DROPPED (a suggestion can be
/// dropped before it starts); progress 0..100, and ACHIEVED means 100.
pub async fn update_goal(
    state: &AppState,
    ctx: &RequestContext,
    id: Uuid,
    c: GoalChange,
) -> Result<goal::Model> {
    let (g, plan) = goal_of_owned(&state.db, ctx, id).await?;
    if let Some(e) = closed(&plan) {
        return Err(e);
    }
    let mut checks = Checks::default();
    let title = c
        .title
        .as_deref()
        .and_then(|t| checks.take(input::required_text(&["title"], t, 200)));
    let measure = c.success_measure.as_deref().map(|m| {
        checks
            .take(input::optional_text(&["successMeasure"], Some(m), 2000))
            .flatten()
    });
    if let Some(p) = c.progress.filter(|p| !(0..=100).contains(p)) {
        checks.push(UserError::new(
            &["progress"],
            UserErrorCode::OutOfRange,
            format!("progress is 0 to 100, got {p}"),
        ));
    }
    if let Some(to) = c.status.filter(|s| *s != g.status) {
        let legal = matches!(
            (g.status, to),
            (
                GoalStatus::NotStarted,
                GoalStatus::InProgress | GoalStatus::Dropped
            ) | (
                GoalStatus::InProgress,
                GoalStatus::Achieved | GoalStatus::Dropped
            )
        );
        if !legal {
            checks.push(UserError::new(
                &["status"],
                UserErrorCode::InvalidState,
                format!(
                    "a goal cannot go from {} to {}",
                    goal_status(g.status),
                    goal_status(to)
                ),
            ));
        }
    }
    checks.finish()?;
    let achieved = c.status == Some(GoalStatus::Achieved) && g.status != GoalStatus::Achieved;
    let mut am = g.into_active_model();
    if let Some(t) = title {
        am.title = Set(t);
    }
    if let Some(m) = measure {
        am.success_measure = Set(m);
    }
    if let Some(d) = c.target_date {
        am.target_date = Set(Some(d));
    }
    if let Some(s) = c.status {
        am.status = Set(s);
    }
    if let Some(p) = c.progress {
        am.progress = Set(p);
    }
    if achieved {
        am.progress = Set(100);
    }
    am.updated_at = Set(Utc::now());
    let txn = state.db.begin().await.context("starting a goal update")?;
    let g = am.update(&txn).await.context("updating a goal")?;
    record(
        &txn,
        &plan,
        Some(g.id),
        "GOAL_UPDATED",
        format!("{} ({}, {}%)", g.title, goal_status(g.status), g.progress),
        ctx.user_id().ok(),
    )
    .await?;
    if achieved {
        outbox::record(
            &txn,
            plan.organization_id,
            "goal.achieved",
            json!({ "planId": plan.id, "goalId": g.id, "behaviorId": g.behavior_id }),
        )
        .await?;
    }
    txn.commit().await.context("committing a goal update")?;
    Ok(g)
}

pub async fn remove_goal(
    state: &AppState,
    ctx: &RequestContext,
    id: Uuid,
) -> Result<development_plan::Model> {
    let (g, plan) = goal_of_owned(&state.db, ctx, id).await?;
    only_in_draft(&plan)?;
    let txn = state
        .db
        .begin()
        .await
        .context("starting to remove a goal")?;
    tenancy::delete_many::<action::Entity>(plan.organization_id)
        .filter(action::Column::GoalId.eq(g.id))
        .exec(&txn)
        .await
        .context("removing actions")?;
    tenancy::delete_many::<goal::Entity>(plan.organization_id)
        .filter(goal::Column::Id.eq(g.id))
        .exec(&txn)
        .await
        .context("removing a goal")?;
    record(
        &txn,
        &plan,
        None,
        "GOAL_REMOVED",
        g.title,
        ctx.user_id().ok(),
    )
    .await?;
    txn.commit().await.context("committing a goal's removal")?;
    Ok(plan)
}

pub async fn add_action(
    state: &AppState,
    ctx: &RequestContext,
    goal_id: Uuid,
    title: &str,
    due: Option<NaiveDate>,
) -> Result<action::Model> {
    let (g, plan) = goal_of_owned(&state.db, ctx, goal_id).await?;
    if let Some(e) = closed(&plan) {
        return Err(e);
    }
    let title =
        input::required_text(&["title"], title, 200).map_err(|e| Error::Invalid(vec![e]))?;
    let txn = state.db.begin().await.context("starting an action")?;
    let a = tenancy::insert(
        &txn,
        plan.organization_id,
        action::ActiveModel {
            id: Set(Uuid::now_v7()),
            plan_id: Set(plan.id),
            goal_id: Set(g.id),
            title: Set(title),
            due_date: Set(due),
            completed_at: Set(None),
            created_at: Set(Utc::now()),
            ..Default::default()
        },
    )
    .await?;
    record(
        &txn,
        &plan,
        Some(g.id),
        "ACTION_ADDED",
        a.title.clone(),
        ctx.user_id().ok(),
    )
    .await?;
    txn.commit().await.context("committing an action")?;
    Ok(a)
}

async fn action_of_owned(
    db: &DatabaseConnection,
    ctx: &RequestContext,
    id: Uuid,
) -> Result<(action::Model, development_plan::Model)> {
    let org = ctx.organization_id()?;
    let a = tenancy::find::<action::Entity, _>(db, org, id)
        .await?
        .ok_or(Error::NotFound("action"))?;
    let plan = owned(db, ctx, a.plan_id).await?;
    Ok((a, plan))
}

pub async fn complete_action(
    state: &AppState,
    ctx: &RequestContext,
    id: Uuid,
) -> Result<action::Model> {
    let (a, plan) = action_of_owned(&state.db, ctx, id).await?;
    if let Some(e) = closed(&plan) {
        return Err(e);
    }
    if a.completed_at.is_some() {
        return Err(Error::invalid(
            &["actionId"],
            UserErrorCode::InvalidState,
            "the action is already complete",
        ));
    }
    let txn = state
        .db
        .begin()
        .await
        .context("starting to complete an action")?;
    let goal = a.goal_id;
    let mut am = a.into_active_model();
    am.completed_at = Set(Some(Utc::now()));
    let a = am.update(&txn).await.context("completing an action")?;
    record(
        &txn,
        &plan,
        Some(goal),
        "ACTION_COMPLETED",
        a.title.clone(),
        ctx.user_id().ok(),
    )
    .await?;
    txn.commit().await.context("committing an action")?;
    Ok(a)
}

pub async fn remove_action(
    state: &AppState,
    ctx: &RequestContext,
    id: Uuid,
) -> Result<development_plan::Model> {
    let (a, plan) = action_of_owned(&state.db, ctx, id).await?;
    only_in_draft(&plan)?;
    tenancy::delete_many::<action::Entity>(plan.organization_id)
        .filter(action::Column::Id.eq(a.id))
        .exec(&state.db)
        .await
        .context("removing an action")?;
    Ok(plan)
}

/// A check-in, by the leader or a supporter (dialogue: behavior 9).
pub async fn add_check_in(
    state: &AppState,
    ctx: &RequestContext,
    plan_id: Uuid,
    body: &str,
    goal_id: Option<Uuid>,
) -> Result<plan_activity::Model> {
    let (plan, how) = access(&state.db, ctx, plan_id).await?;
    if how == Access::Reader {
        return Err(Error::Forbidden);
    }
    if plan.status == PlanStatus::Archived {
        return Err(Error::invalid(
            &["planId"],
            UserErrorCode::InvalidState,
            "an archived plan takes no check-ins",
        ));
    }
    let mut checks = Checks::default();
    let body = checks.take(input::required_text(&["body"], body, 5000));
    if let Some(g) = goal_id {
        let found = tenancy::find::<goal::Entity, _>(&state.db, plan.organization_id, g).await?;
        if found.is_none_or(|x| x.plan_id != plan.id) {
            checks.push(UserError::new(
                &["goalId"],
                UserErrorCode::NotFound,
                "no such goal in this plan",
            ));
        }
    }
    checks.finish()?;
    record(
        &state.db,
        &plan,
        goal_id,
        "CHECK_IN",
        body.unwrap_or_default(),
        ctx.user_id().ok(),
    )
    .await
}

/// Asks a leader for help with the plan (behavior 5: ask for directions).
pub async fn add_supporter(
    state: &AppState,
    ctx: &RequestContext,
    plan_id: Uuid,
    leader_id: Uuid,
    role: SupporterRole,
) -> Result<plan_supporter::Model> {
    let plan = owned(&state.db, ctx, plan_id).await?;
    let org = plan.organization_id;
    if tenancy::find::<leader::Entity, _>(&state.db, org, leader_id)
        .await?
        .is_none()
    {
        return Err(Error::invalid(
            &["leaderId"],
            UserErrorCode::NotFound,
            "no such leader",
        ));
    }
    if leader_id == plan.leader_id {
        return Err(Error::invalid(
            &["leaderId"],
            UserErrorCode::Invalid,
            "a leader does not support their own plan",
        ));
    }
    let taken = tenancy::select::<plan_supporter::Entity>(org)
        .filter(plan_supporter::Column::PlanId.eq(plan.id))
        .filter(plan_supporter::Column::LeaderId.eq(leader_id))
        .count(&state.db)
        .await
        .context("checking supporters")?;
    if taken > 0 {
        return Err(Error::invalid(
            &["leaderId"],
            UserErrorCode::Taken,
            "this leader already supports the plan",
        ));
    }
    let txn = state.db.begin().await.context("starting a supporter")?;
    let s = tenancy::insert(
        &txn,
        org,
        plan_supporter::ActiveModel {
            id: Set(Uuid::now_v7()),
            plan_id: Set(plan.id),
            leader_id: Set(leader_id),
            role: Set(role),
            created_at: Set(Utc::now()),
            ..Default::default()
        },
    )
    .await?;
    record(
        &txn,
        &plan,
        None,
        "SUPPORTER_ADDED",
        leader_id.to_string(),
        ctx.user_id().ok(),
    )
    .await?;
    txn.commit().await.context("committing a supporter")?;
    Ok(s)
}

pub async fn remove_supporter(
    state: &AppState,
    ctx: &RequestContext,
    plan_id: Uuid,
    leader_id: Uuid,
) -> Result<development_plan::Model> {
    let plan = owned(&state.db, ctx, plan_id).await?;
    let done = tenancy::delete_many::<plan_supporter::Entity>(plan.organization_id)
        .filter(plan_supporter::Column::PlanId.eq(plan.id))
        .filter(plan_supporter::Column::LeaderId.eq(leader_id))
        .exec(&state.db)
        .await
        .context("removing a supporter")?;
    if done.rows_affected == 0 {
        return Err(Error::invalid(
            &["leaderId"],
            UserErrorCode::NotFound,
            "this leader does not support the plan",
        ));
    }
    record(
        &state.db,
        &plan,
        None,
        "SUPPORTER_REMOVED",
        leader_id.to_string(),
        ctx.user_id().ok(),
    )
    .await?;
    Ok(plan)
}

/// The plan's activity in time order (UUIDv7 ids are time-ordered).
pub async fn activity(
    state: &AppState,
    ctx: &RequestContext,
    plan_id: Uuid,
    args: &PageArgs,
) -> Result<Page<plan_activity::Model>> {
    let (plan, _) = access(&state.db, ctx, plan_id).await?;
    let q = tenancy::select::<plan_activity::Entity>(plan.organization_id)
        .filter(plan_activity::Column::PlanId.eq(plan.id));
    pagination::fetch(
        &state.db,
        q,
        plan_activity::Column::Id,
        &Ordering::by_id(),
        args,
    )
    .await
}

pub async fn count_activity(db: &DatabaseConnection, org: Uuid, plan_id: Uuid) -> Result<u64> {
    tenancy::select::<plan_activity::Entity>(org)
        .filter(plan_activity::Column::PlanId.eq(plan_id))
        .count(db)
        .await
        .context("counting activity")
}
