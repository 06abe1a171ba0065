//! Goals, actions, supporters and check-ins of a plan, and its activity stream.

use chrono::{NaiveDate, Utc};
use entity::enums::{GoalStatus, PlanStatus};
use entity::{action, behavior, development_plan, goal};
use sea_orm::ActiveEnum;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, IntoActiveModel,
    QueryFilter, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::{owned, record};
use crate::auth::RequestContext;
use crate::domain::input::{self, Checks};
use crate::domain::outbox;
use crate::error::{Context, Error, Result, UserError, UserErrorCode};
use crate::startup::AppState;
use crate::tenancy;

pub use super::dialogue::*;

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
                    g.status.to_value(),
                    to.to_value()
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
        format!("{} ({}, {}%)", g.title, g.status.to_value(), g.progress),
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
