//! `cycleHeatmap` and `leaderTrend`: organization views under the anonymity threshold.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};

use crate::domain::insights::{self, Heatmap};
use crate::graphql::cycles::AssessmentCycle;
use crate::graphql::frameworks::Behavior;
use crate::graphql::ids::{self, Kind};
use crate::graphql::parts;
use crate::tenancy::HeatmapKey;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum HeatmapGrouping {
    Department,
    Team,
    Manager,
}

/// Mean others-scores per behavior for one group of subjects.
#[derive(SimpleObject)]
pub struct HeatmapRow {
    /// The department name, or the team's or manager's id.
    key: String,
    /// A readable name for the group.
    label: String,
    /// Subjects in the group with any results.
    subject_count: i64,
    cells: Vec<HeatmapCell>,
}

#[derive(SimpleObject)]
pub struct HeatmapCell {
    behavior: Behavior,
    /// Null when suppressed.
    mean: Option<f64>,
    subject_count: i64,
    rater_count: i64,
    /// True when fewer subjects or raters than the threshold stand behind the cell.
    suppressed: bool,
}

pub struct CycleHeatmap(Heatmap);

#[Object]
impl CycleHeatmap {
    /// The framework's behaviors, the heatmap's columns.
    async fn behaviors(&self) -> Vec<Behavior> {
        self.0.behaviors.iter().cloned().map(Behavior).collect()
    }
    async fn rows(&self) -> Vec<HeatmapRow> {
        let by_id: std::collections::HashMap<_, _> =
            self.0.behaviors.iter().map(|b| (b.id, b)).collect();
        self.0
            .rows
            .iter()
            .map(|r| HeatmapRow {
                key: r.key.clone(),
                label: r.label.clone(),
                subject_count: r.subjects,
                cells: r
                    .cells
                    .iter()
                    .filter_map(|c| {
                        by_id.get(&c.behavior_id).map(|b| HeatmapCell {
                            behavior: Behavior((*b).clone()),
                            mean: c.mean,
                            subject_count: c.subjects,
                            rater_count: c.raters,
                            suppressed: c.suppressed,
                        })
                    })
                    .collect(),
            })
            .collect()
    }
}

/// A leader's figures on one behavior in one released cycle.
#[derive(SimpleObject)]
pub struct TrendPoint {
    cycle: AssessmentCycle,
    behavior: Behavior,
    #[graphql(name = "self")]
    self_score: Option<f64>,
    others: Option<f64>,
    gap: Option<f64>,
    others_rater_count: i64,
}

#[derive(Default)]
pub struct InsightsQuery;

#[Object]
impl InsightsQuery {
    /// Mean others-score per behavior per group of subjects (HR and ADMIN, closed cycles).
    async fn cycle_heatmap(
        &self,
        ctx: &Context<'_>,
        cycle_id: ID,
        group_by: HeatmapGrouping,
    ) -> async_graphql::Result<CycleHeatmap> {
        let (rctx, state) = parts(ctx);
        let key = match group_by {
            HeatmapGrouping::Department => HeatmapKey::Department,
            HeatmapGrouping::Team => HeatmapKey::Team,
            HeatmapGrouping::Manager => HeatmapKey::Manager,
        };
        let cycle = ids::decode(Kind::AssessmentCycle, &cycle_id)?;
        Ok(CycleHeatmap(
            insights::heatmap(state, rctx, cycle, key).await?,
        ))
    }

    /// A leader's others-score on a behavior key across released cycles, oldest first.
    async fn leader_trend(
        &self,
        ctx: &Context<'_>,
        leader_id: ID,
        behavior_key: String,
    ) -> async_graphql::Result<Vec<TrendPoint>> {
        let (rctx, state) = parts(ctx);
        let leader = ids::decode(Kind::Leader, &leader_id)?;
        let points = insights::trend(state, rctx, leader, &behavior_key).await?;
        Ok(points
            .into_iter()
            .map(|p| TrendPoint {
                cycle: AssessmentCycle(p.cycle),
                behavior: Behavior(p.behavior),
                self_score: p.result.self_score,
                others: p.result.others,
                gap: p.result.gap,
                others_rater_count: p.result.others_rater_count,
            })
            .collect())
    }
}
