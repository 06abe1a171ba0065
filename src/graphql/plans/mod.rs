//! Development plans, goals, actions, supporters and check-ins.

mod goal_types;
mod types;

pub use goal_types::*;
pub use types::*;

use async_graphql::futures_util::FutureExt;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::NaiveDate;
use entity::{action, development_plan, goal};

use crate::domain::pagination::PageArgs;
use crate::domain::plans::{self as domain, PlanFilter, goals};
use crate::error::{Error, UserError};
use crate::graphql::connection::{self, Connection};
use crate::graphql::ids::{self, Kind};
use crate::graphql::{parts, payload};

#[derive(InputObject, Default)]
pub struct PlanFilterInput {
    leader_id: Option<ID>,
    status: Option<PlanStatus>,
}

pub(crate) async fn plan_connection(
    ctx: &Context<'_>,
    f: PlanFilter,
    args: PageArgs,
) -> async_graphql::Result<Connection<DevelopmentPlan>> {
    let (rctx, state) = parts(ctx);
    let page = domain::list(state, rctx, &f, &args).await?;
    let (state2, rctx2) = (state.clone(), rctx.clone());
    Ok(connection::from_page(page, DevelopmentPlan, move || {
        let (state, rctx, f) = (state2.clone(), rctx2.clone(), f.clone());
        async move { domain::count(&state, &rctx, &f).await }.boxed()
    }))
}

#[derive(Default)]
pub struct PlansQuery;

#[Object]
impl PlansQuery {
    /// Plans the viewer may see: all for HR and ADMIN; otherwise their own, their direct
    /// reports' and those they support.
    async fn development_plans(
        &self,
        ctx: &Context<'_>,
        filter: Option<PlanFilterInput>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Connection<DevelopmentPlan>> {
        let f = filter.unwrap_or_default();
        let domain_filter = PlanFilter {
            leader_id: f
                .leader_id
                .map(|i| ids::decode(Kind::Leader, &i))
                .transpose()?,
            status: f.status.map(Into::into),
        };
        plan_connection(
            ctx,
            domain_filter,
            connection::args(first, after, last, before)?,
        )
        .await
    }
}

#[derive(InputObject)]
pub struct CreateDevelopmentPlanInput {
    leader_id: ID,
    title: Option<String>,
    /// A released assessment of the leader: its development areas and blind spots
    /// become suggested goals.
    from_assessment_id: Option<ID>,
}

#[derive(InputObject)]
pub struct UpdateDevelopmentPlanInput {
    plan_id: ID,
    title: Option<String>,
    status: Option<PlanStatus>,
}

#[derive(SimpleObject)]
pub struct PlanPayload {
    plan: Option<DevelopmentPlan>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct AddGoalInput {
    plan_id: ID,
    behavior_id: ID,
    title: String,
    success_measure: Option<String>,
    target_date: Option<NaiveDate>,
}

#[derive(InputObject)]
pub struct UpdateGoalInput {
    goal_id: ID,
    title: Option<String>,
    success_measure: Option<String>,
    target_date: Option<NaiveDate>,
    status: Option<GoalStatus>,
    progress: Option<i32>,
}

#[derive(InputObject)]
pub struct GoalIdInput {
    goal_id: ID,
}

#[derive(SimpleObject)]
pub struct GoalPayload {
    goal: Option<Goal>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct AddActionInput {
    goal_id: ID,
    title: String,
    due_date: Option<NaiveDate>,
}

#[derive(InputObject)]
pub struct ActionIdInput {
    action_id: ID,
}

#[derive(SimpleObject)]
pub struct ActionPayload {
    action: Option<Action>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct AddCheckInInput {
    plan_id: ID,
    body: String,
    goal_id: Option<ID>,
}

#[derive(SimpleObject)]
pub struct CheckInPayload {
    check_in: Option<CheckIn>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct AddPlanSupporterInput {
    plan_id: ID,
    leader_id: ID,
    role: SupporterRole,
}

#[derive(SimpleObject)]
pub struct PlanSupporterPayload {
    supporter: Option<PlanSupporter>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct RemovePlanSupporterInput {
    plan_id: ID,
    leader_id: ID,
}

fn plan_payload(
    r: crate::error::Result<development_plan::Model>,
) -> async_graphql::Result<PlanPayload> {
    let (p, user_errors) = payload(r)?;
    Ok(PlanPayload {
        plan: p.map(DevelopmentPlan),
        user_errors,
    })
}

fn goal_payload(r: crate::error::Result<goal::Model>) -> async_graphql::Result<GoalPayload> {
    let (g, user_errors) = payload(r)?;
    Ok(GoalPayload {
        goal: g.map(Goal),
        user_errors,
    })
}

fn action_payload(r: crate::error::Result<action::Model>) -> async_graphql::Result<ActionPayload> {
    let (a, user_errors) = payload(r)?;
    Ok(ActionPayload {
        action: a.map(Action),
        user_errors,
    })
}

fn decode(kind: Kind, id: &ID) -> Result<uuid::Uuid, Error> {
    ids::decode(kind, id)
}

#[derive(Default)]
pub struct PlansMutation;

#[Object]
impl PlansMutation {
    async fn create_development_plan(
        &self,
        ctx: &Context<'_>,
        input: CreateDevelopmentPlanInput,
    ) -> async_graphql::Result<PlanPayload> {
        let (rctx, state) = parts(ctx);
        let from = input
            .from_assessment_id
            .map(|i| decode(Kind::Assessment, &i))
            .transpose()?;
        plan_payload(
            domain::create(
                state,
                rctx,
                decode(Kind::Leader, &input.leader_id)?,
                input.title.as_deref(),
                from,
            )
            .await,
        )
    }
    /// Renames or moves a plan: DRAFT → ACTIVE → COMPLETED, any → ARCHIVED.
    async fn update_development_plan(
        &self,
        ctx: &Context<'_>,
        input: UpdateDevelopmentPlanInput,
    ) -> async_graphql::Result<PlanPayload> {
        let (rctx, state) = parts(ctx);
        plan_payload(
            domain::update(
                state,
                rctx,
                decode(Kind::DevelopmentPlan, &input.plan_id)?,
                input.title.as_deref(),
                input.status.map(Into::into),
            )
            .await,
        )
    }
    async fn add_goal(
        &self,
        ctx: &Context<'_>,
        input: AddGoalInput,
    ) -> async_graphql::Result<GoalPayload> {
        let (rctx, state) = parts(ctx);
        let change = goals::GoalChange {
            title: Some(input.title),
            success_measure: input.success_measure,
            target_date: input.target_date,
            status: None,
            progress: None,
        };
        goal_payload(
            goals::add_goal(
                state,
                rctx,
                decode(Kind::DevelopmentPlan, &input.plan_id)?,
                decode(Kind::Behavior, &input.behavior_id)?,
                change,
            )
            .await,
        )
    }
    /// Edits a goal: NOT_STARTED → IN_PROGRESS → ACHIEVED | DROPPED, progress 0 to 100.
    async fn update_goal(
        &self,
        ctx: &Context<'_>,
        input: UpdateGoalInput,
    ) -> async_graphql::Result<GoalPayload> {
        let (rctx, state) = parts(ctx);
        let change = goals::GoalChange {
            title: input.title,
            success_measure: input.success_measure,
            target_date: input.target_date,
            status: input.status.map(Into::into),
            progress: input.progress,
        };
        goal_payload(
            goals::update_goal(state, rctx, decode(Kind::Goal, &input.goal_id)?, change).await,
        )
    }
    /// Removes a goal and its actions while the plan is a draft.
    async fn remove_goal(
        &self,
        ctx: &Context<'_>,
        input: GoalIdInput,
    ) -> async_graphql::Result<PlanPayload> {
        let (rctx, state) = parts(ctx);
        plan_payload(goals::remove_goal(state, rctx, decode(Kind::Goal, &input.goal_id)?).await)
    }
    async fn add_action(
        &self,
        ctx: &Context<'_>,
        input: AddActionInput,
    ) -> async_graphql::Result<ActionPayload> {
        let (rctx, state) = parts(ctx);
        action_payload(
            goals::add_action(
                state,
                rctx,
                decode(Kind::Goal, &input.goal_id)?,
                &input.title,
                input.due_date,
            )
            .await,
        )
    }
    async fn complete_action(
        &self,
        ctx: &Context<'_>,
        input: ActionIdInput,
    ) -> async_graphql::Result<ActionPayload> {
        let (rctx, state) = parts(ctx);
        action_payload(
            goals::complete_action(state, rctx, decode(Kind::Action, &input.action_id)?).await,
        )
    }
    /// Removes an action while the plan is a draft.
    async fn remove_action(
        &self,
        ctx: &Context<'_>,
        input: ActionIdInput,
    ) -> async_graphql::Result<PlanPayload> {
        let (rctx, state) = parts(ctx);
        plan_payload(
            goals::remove_action(state, rctx, decode(Kind::Action, &input.action_id)?).await,
        )
    }
    /// Dialogue on a plan, by its leader or a supporter.
    async fn add_check_in(
        &self,
        ctx: &Context<'_>,
        input: AddCheckInInput,
    ) -> async_graphql::Result<CheckInPayload> {
        let (rctx, state) = parts(ctx);
        let goal = input.goal_id.map(|g| decode(Kind::Goal, &g)).transpose()?;
        let (c, user_errors) = payload(
            goals::add_check_in(
                state,
                rctx,
                decode(Kind::DevelopmentPlan, &input.plan_id)?,
                &input.body,
                goal,
            )
            .await,
        )?;
        Ok(CheckInPayload {
            check_in: c.map(CheckIn),
            user_errors,
        })
    }
    async fn add_plan_supporter(
        &self,
        ctx: &Context<'_>,
        input: AddPlanSupporterInput,
    ) -> async_graphql::Result<PlanSupporterPayload> {
        let (rctx, state) = parts(ctx);
        let (s, user_errors) = payload(
            goals::add_supporter(
                state,
                rctx,
                decode(Kind::DevelopmentPlan, &input.plan_id)?,
                decode(Kind::Leader, &input.leader_id)?,
                input.role.into(),
            )
            .await,
        )?;
        Ok(PlanSupporterPayload {
            supporter: s.map(PlanSupporter),
            user_errors,
        })
    }
    async fn remove_plan_supporter(
        &self,
        ctx: &Context<'_>,
        input: RemovePlanSupporterInput,
    ) -> async_graphql::Result<PlanPayload> {
        let (rctx, state) = parts(ctx);
        plan_payload(
            goals::remove_supporter(
                state,
                rctx,
                decode(Kind::DevelopmentPlan, &input.plan_id)?,
                decode(Kind::Leader, &input.leader_id)?,
            )
            .await,
        )
    }
}
