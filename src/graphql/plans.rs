//! Development plans, goals, actions, supporters and check-ins.

use async_graphql::futures_util::FutureExt;
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{action, development_plan, goal, plan_activity, plan_supporter};

use crate::domain::pagination::PageArgs;
use crate::domain::plans::{self as domain, PlanFilter, goals};
use crate::error::{Error, UserError};
use crate::graphql::accounts::User;
use crate::graphql::connection::{self, Connection};
use crate::graphql::cycles::{Assessment, AssessmentCycle};
use crate::graphql::frameworks::Behavior;
use crate::graphql::ids::{self, Kind};
use crate::graphql::loaders::{
    self, ActionsOfGoalLoader, BehaviorLoader, GoalsOfPlanLoader, LeaderLoader,
    SupportersOfPlanLoader, UserLoader,
};
use crate::graphql::people::Leader;
use crate::graphql::{parts, payload};

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

/// Why a goal was suggested, with the scores that suggested it (for those who may see them).
#[derive(SimpleObject)]
pub struct GoalSuggestion {
    /// DEVELOPMENT_AREA, BLIND_SPOT or DEVELOPMENT_AREA_AND_BLIND_SPOT.
    reason: String,
    others: Option<f64>,
    #[graphql(name = "self")]
    self_score: Option<f64>,
    gap: Option<f64>,
    others_rater_count: Option<i64>,
}

/// The behavior's scores in one released assessment of the plan's leader.
#[derive(SimpleObject)]
pub struct EvidencePoint {
    cycle: AssessmentCycle,
    others: Option<f64>,
    #[graphql(name = "self")]
    self_score: Option<f64>,
    gap: Option<f64>,
    others_rater_count: i64,
}

/// A commitment about one behavior.
pub struct Goal(pub goal::Model);

#[Object]
impl Goal {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Goal, self.0.id)
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn success_measure(&self) -> Option<&str> {
        self.0.success_measure.as_deref()
    }
    async fn target_date(&self) -> Option<NaiveDate> {
        self.0.target_date
    }
    async fn status(&self) -> GoalStatus {
        self.0.status.into()
    }
    /// 0 to 100.
    async fn progress(&self) -> i32 {
        self.0.progress
    }
    async fn behavior(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Behavior>> {
        Ok(loaders::one::<BehaviorLoader>(ctx, self.0.behavior_id)
            .await?
            .map(Behavior))
    }
    async fn actions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Action>> {
        Ok(loaders::one::<ActionsOfGoalLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Action)
            .collect())
    }
    /// Set when the goal was suggested from an assessment; scores only for those who may
    /// see the leader's results.
    async fn suggestion(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<GoalSuggestion>> {
        let Some(raw) = self.0.suggestion.as_deref() else {
            return Ok(None);
        };
        let v: serde_json::Value = serde_json::from_str(raw).unwrap_or_default();
        let (rctx, state) = parts(ctx);
        let (plan, _) = domain::access(&state.db, rctx, self.0.plan_id).await?;
        let scores = domain::may_see_scores(state, rctx, &plan).await?;
        let num = |k: &str| {
            v.get(k)
                .and_then(serde_json::Value::as_f64)
                .filter(|_| scores)
        };
        Ok(Some(GoalSuggestion {
            reason: v
                .get("reason")
                .and_then(|r| r.as_str())
                .unwrap_or("DEVELOPMENT_AREA")
                .to_owned(),
            others: num("others"),
            self_score: num("self"),
            gap: num("gap"),
            others_rater_count: v
                .get("othersRaterCount")
                .and_then(serde_json::Value::as_i64)
                .filter(|_| scores),
        }))
    }
    /// The behavior's others-score in the plan's source assessment and the leader's later
    /// released assessments (matched by behavior key across framework versions), so that
    /// progress is measured, not only declared. Empty for those who may not see results.
    async fn evidence(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<EvidencePoint>> {
        let (rctx, state) = parts(ctx);
        let (plan, _) = domain::access(&state.db, rctx, self.0.plan_id).await?;
        if !domain::may_see_scores(state, rctx, &plan).await? {
            return Ok(Vec::new());
        }
        let Some(b) = loaders::one::<BehaviorLoader>(ctx, self.0.behavior_id).await? else {
            return Ok(Vec::new());
        };
        let points = crate::domain::insights::trend_points(
            state,
            plan.organization_id,
            plan.leader_id,
            &b.key,
        )
        .await?;
        let since = match plan.source_assessment_id {
            Some(src) => {
                let cycle = source_cycle(state, plan.organization_id, src).await;
                points
                    .iter()
                    .position(|p| Some(p.cycle.id) == cycle)
                    .unwrap_or(points.len())
            }
            None => 0,
        };
        Ok(points
            .into_iter()
            .skip(since)
            .map(|p| EvidencePoint {
                cycle: AssessmentCycle(p.cycle),
                others: p.result.others,
                self_score: p.result.self_score,
                gap: p.result.gap,
                others_rater_count: p.result.others_rater_count,
            })
            .collect())
    }
}

async fn source_cycle(
    state: &crate::startup::AppState,
    org: uuid::Uuid,
    assessment: uuid::Uuid,
) -> Option<uuid::Uuid> {
    crate::tenancy::find::<entity::assessment::Entity, _>(&state.db, org, assessment)
        .await
        .ok()
        .flatten()
        .map(|a| a.cycle_id)
}

/// A concrete step toward a goal.
pub struct Action(pub action::Model);

#[Object]
impl Action {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Action, self.0.id)
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn due_date(&self) -> Option<NaiveDate> {
        self.0.due_date
    }
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }
    /// Not completed and due before today.
    async fn overdue(&self) -> bool {
        self.0.completed_at.is_none()
            && self.0.due_date.is_some_and(|d| d < Utc::now().date_naive())
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
