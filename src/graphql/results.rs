//! Anonymized results of an assessment, shaped as API.md fixes them.

use async_graphql::{Context, Object, SimpleObject};
use entity::{assessment, assessment_cycle, leader};

use crate::domain::results::{self, BehaviorResult as DomainBehavior, GroupScore as DomainGroup};
use crate::graphql::frameworks::Behavior;
use crate::graphql::parts;
use crate::graphql::reviews::Relationship;
use crate::tenancy;

/// One relationship group's scores for one behavior, or why they are hidden.
#[derive(SimpleObject)]
pub struct GroupScore {
    relationship: Relationship,
    /// Raters in the group who scored this behavior.
    rater_count: i64,
    /// True when fewer raters than the anonymity threshold answered: nothing is shown.
    suppressed: bool,
    /// How many more raters the group needs before it is shown.
    needed_for_display: i64,
    mean: Option<f64>,
    std_dev: Option<f64>,
    /// Counts of rounded behavior scores, index 0 for 1 up to the scale's top.
    distribution: Option<Vec<i64>>,
}

impl From<&DomainGroup> for GroupScore {
    fn from(g: &DomainGroup) -> Self {
        Self {
            relationship: g.relationship.into(),
            rater_count: g.rater_count,
            suppressed: g.suppressed,
            needed_for_display: g.needed_for_display,
            mean: g.mean,
            std_dev: g.std_dev,
            distribution: g.distribution.clone(),
        }
    }
}

/// A 95% confidence interval.
#[derive(SimpleObject)]
pub struct ConfidenceInterval {
    low: f64,
    high: f64,
    /// Always 0.95.
    level: f64,
}

/// One behavior's result.
pub struct BehaviorResult(DomainBehavior);

#[Object]
impl BehaviorResult {
    async fn behavior(&self) -> Behavior {
        Behavior(self.0.behavior.clone())
    }
    /// The subject's own score.
    #[graphql(name = "self")]
    async fn self_score(&self) -> Option<f64> {
        self.0.self_score
    }
    /// The mean over all other raters in shown groups; null under the threshold.
    async fn others(&self) -> Option<f64> {
        self.0.others
    }
    /// `self - others`: positive when the subject sees themselves better than others do.
    async fn gap(&self) -> Option<f64> {
        self.0.gap
    }
    /// Where the true gap lies with 95% confidence, given how much others' scores vary
    /// and how many they are; an interval spanning 0 is not a clear gap.
    async fn gap_confidence_interval(&self) -> Option<ConfidenceInterval> {
        self.0.gap_interval.map(|(low, high)| ConfidenceInterval {
            low,
            high,
            level: 0.95,
        })
    }
    /// The number of other raters behind `others`.
    async fn others_rater_count(&self) -> i64 {
        self.0.others_rater_count
    }
    /// The spread (sample standard deviation) of other raters' scores.
    async fn others_std_dev(&self) -> Option<f64> {
        self.0.others_std_dev
    }
    /// 1 when other raters agree completely, 0 at the widest spread the scale allows.
    async fn agreement(&self) -> Option<f64> {
        self.0.agreement
    }
    async fn by_relationship(&self) -> Vec<GroupScore> {
        self.0
            .by_relationship
            .iter()
            .map(GroupScore::from)
            .collect()
    }
}

#[derive(SimpleObject)]
pub struct OverallScore {
    #[graphql(name = "self")]
    self_score: Option<f64>,
    others: Option<f64>,
    gap: Option<f64>,
}

/// A comment, without author, in an order that reveals neither who nor when.
#[derive(SimpleObject)]
pub struct ResultComment {
    behavior: Option<Behavior>,
    body: String,
}

/// The anonymized results of one assessment.
pub struct AssessmentResults(results::Results);

#[Object]
impl AssessmentResults {
    async fn anonymity_threshold(&self) -> i32 {
        self.0.anonymity_threshold
    }
    async fn behaviors(&self) -> Vec<BehaviorResult> {
        self.0
            .behaviors
            .iter()
            .cloned()
            .map(BehaviorResult)
            .collect()
    }
    async fn overall(&self) -> OverallScore {
        let o = &self.0.overall;
        OverallScore {
            self_score: o.self_score,
            others: o.others,
            gap: o.gap,
        }
    }
    /// Behaviors with `gap >= 0.5`, largest first.
    async fn blind_spots(&self) -> Vec<BehaviorResult> {
        self.pick(&self.0.blind_spots)
    }
    /// Behaviors with `gap <= -0.5`, most negative first.
    async fn hidden_strengths(&self) -> Vec<BehaviorResult> {
        self.pick(&self.0.hidden_strengths)
    }
    /// The three behaviors with the highest `others`.
    async fn strengths(&self) -> Vec<BehaviorResult> {
        self.pick(&self.0.strengths)
    }
    /// The three behaviors with the lowest `others`.
    async fn development_areas(&self) -> Vec<BehaviorResult> {
        self.pick(&self.0.development_areas)
    }
    async fn comments(&self) -> Vec<ResultComment> {
        self.0
            .comments
            .iter()
            .map(|(b, body)| ResultComment {
                behavior: b.clone().map(Behavior),
                body: body.clone(),
            })
            .collect()
    }
    /// Submitted reviews over assigned reviews.
    async fn response_rate(&self) -> Option<f64> {
        self.0.response_rate
    }
}

impl AssessmentResults {
    fn pick(&self, idx: &[usize]) -> Vec<BehaviorResult> {
        idx.iter()
            .filter_map(|i| self.0.behaviors.get(*i))
            .cloned()
            .map(BehaviorResult)
            .collect()
    }
}

/// The results of `a` if the viewer may see them now.
pub async fn for_assessment(
    ctx: &Context<'_>,
    a: &assessment::Model,
) -> async_graphql::Result<Option<AssessmentResults>> {
    let (rctx, state) = parts(ctx);
    let Ok(p) = rctx.principal() else {
        return Ok(None);
    };
    let org = p.organization_id;
    // Three independent reads, sent together: one round trip of latency, not three.
    let (cycle, subject, settings) = tokio::try_join!(
        tenancy::find::<assessment_cycle::Entity, _>(&state.db, org, a.cycle_id),
        tenancy::find::<leader::Entity, _>(&state.db, org, a.subject_id),
        tenancy::organization(&state.db, org),
    )?;
    let (Some(cycle), Some(subject), Some(settings)) = (cycle, subject, settings) else {
        return Ok(None);
    };
    if !results::may_view(rctx, &cycle, &subject, &settings) {
        return Ok(None);
    }
    Ok(Some(AssessmentResults(
        results::compute(&state.db, a, &cycle).await?,
    )))
}
