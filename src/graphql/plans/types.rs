//! GraphQL objects of development plans: plans, supporters, activity, check-ins and enums.

use async_graphql::futures_util::FutureExt;
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{action, development_plan, goal, plan_activity, plan_supporter};

use crate::domain::plans::goals;
use crate::graphql::accounts::User;
use crate::graphql::connection::{self, Connection};
use crate::graphql::cycles::Assessment;
use crate::graphql::ids::{self, Kind};
use crate::graphql::loaders::{
    self, ActionsOfGoalLoader, GoalsOfPlanLoader, LeaderLoader, SupportersOfPlanLoader, UserLoader,
};
use crate::graphql::parts;
use crate::graphql::people::Leader;

use super::{Action, Goal};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::PlanStatus")]
pub enum PlanStatus {
    Draft,
    Active,
    Completed,
    Archived,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::GoalStatus")]
pub enum GoalStatus {
    NotStarted,
    InProgress,
    Achieved,
    Dropped,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::SupporterRole")]
pub enum SupporterRole {
    Manager,
    Coach,
    Peer,
    Mentor,
}

/// A leader's development plan.
pub struct DevelopmentPlan(pub development_plan::Model);

/// Where a plan stands.
#[derive(SimpleObject)]
pub struct PlanProgress {
    goals: usize,
    not_started: usize,
    in_progress: usize,
    achieved: usize,
    dropped: usize,
    /// Mean progress of the goals that are not dropped, 0 to 100.
    percent: Option<f64>,
    actions: usize,
    completed_actions: usize,
    overdue_actions: usize,
}

#[derive(InputObject, Default)]
pub struct ActionFilter {
    /// Only actions due before this date (overdue ones: today).
    due_before: Option<NaiveDate>,
    completed: Option<bool>,
}

#[Object]
impl DevelopmentPlan {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::DevelopmentPlan, self.0.id)
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn status(&self) -> PlanStatus {
        self.0.status.into()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    async fn leader(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Leader>> {
        Ok(loaders::one::<LeaderLoader>(ctx, self.0.leader_id)
            .await?
            .map(Leader))
    }
    /// The assessment whose results the plan started from, for those who may see it.
    async fn source_assessment(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Assessment>> {
        let (rctx, state) = parts(ctx);
        let Some(id) = self.0.source_assessment_id else {
            return Ok(None);
        };
        Ok(crate::domain::cycles::visible_assessment(state, rctx, id)
            .await?
            .map(Assessment))
    }
    async fn goals(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Goal>> {
        Ok(loaders::one::<GoalsOfPlanLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Goal)
            .collect())
    }
    async fn supporters(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PlanSupporter>> {
        Ok(loaders::one::<SupportersOfPlanLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(PlanSupporter)
            .collect())
    }
    /// The plan's actions across goals, filtered (e.g. overdue: `dueBefore` today, not completed).
    async fn actions(
        &self,
        ctx: &Context<'_>,
        filter: Option<ActionFilter>,
    ) -> async_graphql::Result<Vec<Action>> {
        let f = filter.unwrap_or_default();
        let goals = loaders::one::<GoalsOfPlanLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default();
        let all = loaders::prime::<ActionsOfGoalLoader>(ctx, goals.iter().map(|g| g.id)).await?;
        let mut out: Vec<action::Model> = all
            .into_values()
            .flatten()
            .filter(|a| {
                f.due_before
                    .is_none_or(|d| a.due_date.is_some_and(|due| due < d))
                    && f.completed.is_none_or(|c| a.completed_at.is_some() == c)
            })
            .collect();
        out.sort_by_key(|a| (a.due_date, a.id));
        Ok(out.into_iter().map(Action).collect())
    }
    async fn progress(&self, ctx: &Context<'_>) -> async_graphql::Result<PlanProgress> {
        use entity::enums::GoalStatus as S;
        let goals = loaders::one::<GoalsOfPlanLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default();
        let actions: Vec<action::Model> =
            loaders::prime::<ActionsOfGoalLoader>(ctx, goals.iter().map(|g| g.id))
                .await?
                .into_values()
                .flatten()
                .collect();
        let count = |s: S| goals.iter().filter(|g| g.status == s).count();
        let live: Vec<&goal::Model> = goals.iter().filter(|g| g.status != S::Dropped).collect();
        let today = Utc::now().date_naive();
        Ok(PlanProgress {
            goals: goals.len(),
            not_started: count(S::NotStarted),
            in_progress: count(S::InProgress),
            achieved: count(S::Achieved),
            dropped: count(S::Dropped),
            percent: (!live.is_empty()).then(|| {
                live.iter().map(|g| f64::from(g.progress)).sum::<f64>() / live.len() as f64
            }),
            actions: actions.len(),
            completed_actions: actions.iter().filter(|a| a.completed_at.is_some()).count(),
            overdue_actions: actions
                .iter()
                .filter(|a| a.completed_at.is_none() && a.due_date.is_some_and(|d| d < today))
                .count(),
        })
    }
    /// Check-ins and changes, in time order.
    async fn activity(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Connection<PlanActivity>> {
        let (rctx, state) = parts(ctx);
        let page = goals::activity(
            state,
            rctx,
            self.0.id,
            &connection::args(first, after, last, before)?,
        )
        .await?;
        let (db, org, plan) = (state.db.clone(), self.0.organization_id, self.0.id);
        Ok(connection::from_page(page, PlanActivity, move || {
            let db = db.clone();
            async move { goals::count_activity(&db, org, plan).await }.boxed()
        }))
    }
}

/// Someone the leader asked for help.
pub struct PlanSupporter(pub plan_supporter::Model);

#[Object]
impl PlanSupporter {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::PlanSupporter, self.0.id)
    }
    async fn role(&self) -> SupporterRole {
        self.0.role.into()
    }
    async fn leader(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Leader>> {
        Ok(loaders::one::<LeaderLoader>(ctx, self.0.leader_id)
            .await?
            .map(Leader))
    }
}

/// One entry of a plan's activity: a check-in or a change.
pub struct PlanActivity(pub plan_activity::Model);

#[Object]
impl PlanActivity {
    /// CHECK_IN, PLAN_CREATED, PLAN_UPDATED, GOAL_ADDED, GOAL_UPDATED, GOAL_REMOVED,
    /// ACTION_ADDED, ACTION_COMPLETED, SUPPORTER_ADDED or SUPPORTER_REMOVED.
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(id) = self.0.author_user_id else {
            return Ok(None);
        };
        Ok(loaders::one::<UserLoader>(ctx, id).await?.map(User))
    }
    async fn goal_id(&self) -> Option<ID> {
        self.0.goal_id.map(|g| ids::encode(Kind::Goal, g))
    }
}

/// A check-in: dialogue on a plan by its leader or a supporter.
pub struct CheckIn(pub plan_activity::Model);

#[Object]
impl CheckIn {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::CheckIn, self.0.id)
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(id) = self.0.author_user_id else {
            return Ok(None);
        };
        Ok(loaders::one::<UserLoader>(ctx, id).await?.map(User))
    }
    async fn goal_id(&self) -> Option<ID> {
        self.0.goal_id.map(|g| ids::encode(Kind::Goal, g))
    }
}
