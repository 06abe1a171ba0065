//! GraphQL objects of a plan's goals and actions, with a goal's suggestion and evidence.

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{action, goal};

use crate::domain::plans as domain;
use crate::graphql::cycles::AssessmentCycle;
use crate::graphql::frameworks::Behavior;
use crate::graphql::ids::{self, Kind};
use crate::graphql::loaders::{self, ActionsOfGoalLoader, BehaviorLoader};
use crate::graphql::parts;

use super::GoalStatus;

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
