//! Results of one assessment, exactly as DOMAIN.md defines them, computed from the
//! per-group aggregates (a few rows whatever the number of raters), with anonymity
//! applied here, where the data leaves the store.

use std::collections::HashMap;

use entity::enums::{CycleStatus, Relationship, ReviewStatus, Role};
use entity::{
    assessment, assessment_cycle, behavior, comment, leader, organization, result_aggregate, review,
};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::auth::RequestContext;
use crate::error::{Context, Result};
use crate::tenancy;

/// Gaps at least this large (either way) are blind spots or hidden strengths.
pub const GAP_THRESHOLD: f64 = 0.5;
/// How many behaviors are strengths and development areas.
pub const TOP_N: usize = 3;

/// One relationship group's aggregate for one behavior.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    pub relationship: Relationship,
    pub count: i64,
    pub sum: f64,
    pub sum_sq: f64,
    /// Counts of behavior scores rounded to 1..=scale.
    pub histogram: Vec<i64>,
}

impl Aggregate {
    pub fn from_row(row: &result_aggregate::Model, scale: i32) -> Option<Self> {
        let h = [
            row.hist1, row.hist2, row.hist3, row.hist4, row.hist5, row.hist6, row.hist7, row.hist8,
            row.hist9, row.hist10,
        ];
        Some(Self {
            relationship: Relationship::parse(&row.relationship)?,
            count: i64::from(row.rater_count),
            sum: row.score_sum,
            sum_sq: row.score_sum_sq,
            histogram: h
                .iter()
                .take(scale.clamp(1, 10) as usize)
                .map(|c| i64::from(*c))
                .collect(),
        })
    }
}

/// A relationship group's scores for one behavior, or why they are hidden.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupScore {
    pub relationship: Relationship,
    pub rater_count: i64,
    pub suppressed: bool,
    pub needed_for_display: i64,
    pub mean: Option<f64>,
    pub std_dev: Option<f64>,
    pub distribution: Option<Vec<i64>>,
}

/// One behavior's result.
#[derive(Debug, Clone, PartialEq)]
pub struct BehaviorResult {
    pub behavior: behavior::Model,
    pub self_score: Option<f64>,
    pub others: Option<f64>,
    pub others_rater_count: i64,
    pub others_std_dev: Option<f64>,
    pub gap: Option<f64>,
    /// 95% interval of the gap: self is one known score, others a sample mean.
    pub gap_interval: Option<(f64, f64)>,
    /// 1 when others all agree, 0 at the widest spread the scale allows.
    pub agreement: Option<f64>,
    pub by_relationship: Vec<GroupScore>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Overall {
    pub self_score: Option<f64>,
    pub others: Option<f64>,
    pub gap: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Results {
    pub anonymity_threshold: i32,
    pub behaviors: Vec<BehaviorResult>,
    pub overall: Overall,
    /// Indexes into `behaviors`.
    pub blind_spots: Vec<usize>,
    pub hidden_strengths: Vec<usize>,
    pub strengths: Vec<usize>,
    pub development_areas: Vec<usize>,
    /// (behavior, body), unattributed, in an order that reveals neither who nor when.
    pub comments: Vec<(Option<behavior::Model>, String)>,
    pub response_rate: Option<f64>,
}

/// Two-sided 95% critical values of Student's t for 1 to 30 degrees of freedom.
const T95: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
    2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
    2.052, 2.048, 2.045, 2.042,
];

pub fn t95(df: i64) -> f64 {
    match usize::try_from(df) {
        Ok(d) if (1..=30).contains(&d) => T95[d - 1],
        _ => 1.96,
    }
}

/// Sample standard deviation from count, sum and sum of squares.
pub fn std_dev(n: i64, sum: f64, sum_sq: f64) -> Option<f64> {
    if n < 2 {
        return None;
    }
    let n = n as f64;
    Some(((sum_sq - sum * sum / n) / (n - 1.0)).max(0.0).sqrt())
}

/// Whether a group is always shown (SELF, MANAGER) or needs the threshold.
fn thresholded(r: Relationship) -> bool {
    !matches!(r, Relationship::SelfRating | Relationship::Manager)
}

/// One behavior's result from its groups' aggregates.
pub fn behavior_result(
    behavior: behavior::Model,
    groups: &[Aggregate],
    threshold: i64,
    scale: i32,
) -> BehaviorResult {
    let mut by_relationship = Vec::new();
    let (mut n, mut sum, mut sum_sq) = (0i64, 0.0, 0.0);
    let mut self_score = None;
    for rel in Relationship::ALL {
        let Some(g) = groups.iter().find(|g| g.relationship == rel && g.count > 0) else {
            continue;
        };
        let suppressed = thresholded(rel) && g.count < threshold;
        by_relationship.push(GroupScore {
            relationship: rel,
            rater_count: g.count,
            suppressed,
            needed_for_display: if suppressed { threshold - g.count } else { 0 },
            mean: (!suppressed).then(|| g.sum / g.count as f64),
            std_dev: if suppressed {
                None
            } else {
                std_dev(g.count, g.sum, g.sum_sq)
            },
            distribution: (!suppressed).then(|| g.histogram.clone()),
        });
        if rel == Relationship::SelfRating {
            self_score = Some(g.sum / g.count as f64);
        } else if !suppressed {
            // Suppressed groups stay out of `others`, so they cannot be recovered by subtraction.
            n += g.count;
            sum += g.sum;
            sum_sq += g.sum_sq;
        }
    }
    let others = (n >= threshold && n > 0).then(|| sum / n as f64);
    let sd = others.and(std_dev(n, sum, sum_sq));
    let gap = self_score.zip(others).map(|(s, o)| s - o);
    let gap_interval = gap.zip(sd).map(|(g, sd)| {
        let h = t95(n - 1) * sd / (n as f64).sqrt();
        (g - h, g + h)
    });
    let widest = f64::from(scale - 1) / 2.0;
    let agreement = sd
        .filter(|_| widest > 0.0)
        .map(|sd| (1.0 - sd / widest).clamp(0.0, 1.0));
    BehaviorResult {
        behavior,
        self_score,
        others,
        others_rater_count: if others.is_some() { n } else { 0 },
        others_std_dev: sd,
        gap,
        gap_interval,
        agreement,
        by_relationship,
    }
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (n, s) = values.fold((0usize, 0.0), |(n, s), v| (n + 1, s + v));
    (n > 0).then(|| s / n as f64)
}

/// Ranks behaviors into blind spots, hidden strengths, strengths and development areas.
pub fn rank(behaviors: &[BehaviorResult]) -> (Vec<usize>, Vec<usize>, Vec<usize>, Vec<usize>) {
    let by = |f: &dyn Fn(&BehaviorResult) -> Option<f64>| -> Vec<(usize, f64)> {
        behaviors
            .iter()
            .enumerate()
            .filter_map(|(i, b)| f(b).map(|v| (i, v)))
            .collect()
    };
    let position = |i: usize| behaviors[i].behavior.position;
    let mut blind: Vec<(usize, f64)> = by(&|b| b.gap)
        .into_iter()
        .filter(|(_, g)| *g >= GAP_THRESHOLD)
        .collect();
    blind.sort_by(|a, b| b.1.total_cmp(&a.1).then(position(a.0).cmp(&position(b.0))));
    let mut hidden: Vec<(usize, f64)> = by(&|b| b.gap)
        .into_iter()
        .filter(|(_, g)| *g <= -GAP_THRESHOLD)
        .collect();
    hidden.sort_by(|a, b| a.1.total_cmp(&b.1).then(position(a.0).cmp(&position(b.0))));
    let mut high = by(&|b| b.others);
    high.sort_by(|a, b| b.1.total_cmp(&a.1).then(position(a.0).cmp(&position(b.0))));
    let mut low = by(&|b| b.others);
    low.sort_by(|a, b| a.1.total_cmp(&b.1).then(position(a.0).cmp(&position(b.0))));
    let ids = |v: Vec<(usize, f64)>| v.into_iter().map(|(i, _)| i).collect::<Vec<_>>();
    (
        ids(blind),
        ids(hidden),
        ids(high).into_iter().take(TOP_N).collect(),
        ids(low).into_iter().take(TOP_N).collect(),
    )
}

/// Everything results need, read in four statements.
pub async fn compute<C: ConnectionTrait>(
    db: &C,
    a: &assessment::Model,
    cycle: &assessment_cycle::Model,
) -> Result<Results> {
    let org = a.organization_id;
    // Three independent reads, sent together: one round trip of latency, not three.
    let framework = [cycle.framework_id];
    let behaviors = crate::domain::frameworks::behaviors_of(db, org, &framework);
    let rows = async {
        tenancy::select::<result_aggregate::Entity>(org)
            .filter(result_aggregate::Column::AssessmentId.eq(a.id))
            .all(db)
            .await
            .context("loading aggregates")
    };
    let reviews = async {
        tenancy::select::<review::Entity>(org)
            .filter(review::Column::AssessmentId.eq(a.id))
            .select_only()
            .column(review::Column::Id)
            .column(review::Column::Relationship)
            .column(review::Column::Status)
            .into_tuple::<(Uuid, String, ReviewStatus)>()
            .all(db)
            .await
            .context("loading review statuses")
    };
    let (behaviors, rows, reviews) = tokio::try_join!(behaviors, rows, reviews)?;
    let threshold = i64::from(cycle.anonymity_threshold);
    let scale = cycle.rating_scale_max;
    let mut groups: HashMap<Uuid, Vec<Aggregate>> = HashMap::new();
    for row in &rows {
        if let Some(agg) = Aggregate::from_row(row, scale) {
            groups.entry(row.behavior_id).or_default().push(agg);
        }
    }
    let results: Vec<BehaviorResult> = behaviors
        .iter()
        .map(|b| {
            behavior_result(
                b.clone(),
                groups.get(&b.id).map(Vec::as_slice).unwrap_or_default(),
                threshold,
                scale,
            )
        })
        .collect();
    let overall = {
        let s = mean(results.iter().filter_map(|r| r.self_score));
        let o = mean(results.iter().filter_map(|r| r.others));
        Overall {
            self_score: s,
            others: o,
            gap: s.zip(o).map(|(s, o)| s - o),
        }
    };
    let (blind_spots, hidden_strengths, strengths, development_areas) = rank(&results);
    let comments = visible_comments(db, org, &reviews, &behaviors, threshold).await?;
    let submitted = reviews
        .iter()
        .filter(|r| r.2 == ReviewStatus::Submitted)
        .count();
    let response_rate = (!reviews.is_empty()).then(|| submitted as f64 / reviews.len() as f64);
    Ok(Results {
        anonymity_threshold: cycle.anonymity_threshold,
        behaviors: results,
        overall,
        blind_spots,
        hidden_strengths,
        strengths,
        development_areas,
        comments,
        response_rate,
    })
}

/// Comments of submitted reviews whose group is shown (SELF and MANAGER always, other
/// groups once enough of them submitted), sorted by behavior and text.
async fn visible_comments<C: ConnectionTrait>(
    db: &C,
    org: Uuid,
    reviews: &[(Uuid, String, ReviewStatus)],
    behaviors: &[behavior::Model],
    threshold: i64,
) -> Result<Vec<(Option<behavior::Model>, String)>> {
    let mut submitted_by_group: HashMap<&str, i64> = HashMap::new();
    for (_, rel, status) in reviews {
        if *status == ReviewStatus::Submitted {
            *submitted_by_group.entry(rel.as_str()).or_default() += 1;
        }
    }
    let shown: Vec<Uuid> = reviews
        .iter()
        .filter(|(_, rel, status)| {
            *status == ReviewStatus::Submitted
                && Relationship::parse(rel).is_some_and(|r| {
                    !thresholded(r)
                        || submitted_by_group.get(rel.as_str()).copied().unwrap_or(0) >= threshold
                })
        })
        .map(|(id, _, _)| *id)
        .collect();
    if shown.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(Option<Uuid>, String)> = tenancy::select::<comment::Entity>(org)
        .filter(tenancy::id_in(
            db.get_database_backend(),
            comment::Column::ReviewId,
            shown,
        ))
        .select_only()
        .column(comment::Column::BehaviorId)
        .column(comment::Column::Body)
        .into_tuple()
        .all(db)
        .await
        .context("loading comments")?;
    let by_id: HashMap<Uuid, &behavior::Model> = behaviors.iter().map(|b| (b.id, b)).collect();
    let mut out: Vec<(Option<behavior::Model>, String)> = rows
        .into_iter()
        .map(|(b, body)| (b.and_then(|b| by_id.get(&b).map(|m| (*m).clone())), body))
        .collect();
    out.sort_by(|a, b| {
        let pos = |x: &Option<behavior::Model>| x.as_ref().map_or(i32::MAX, |b| b.position);
        pos(&a.0).cmp(&pos(&b.0)).then_with(|| a.1.cmp(&b.1))
    });
    Ok(out)
}

/// Who may read an assessment's results, and when: the subject after release; the
/// subject's manager after release where the organization allows; HR and ADMIN once the
/// cycle is closed.
pub fn may_view(
    ctx: &RequestContext,
    cycle: &assessment_cycle::Model,
    subject: &leader::Model,
    org: &organization::Model,
) -> bool {
    let Ok(p) = ctx.principal() else { return false };
    let released = cycle.status == CycleStatus::Released;
    match p.role {
        Role::Admin | Role::Hr => {
            matches!(cycle.status, CycleStatus::Closed | CycleStatus::Released)
        }
        Role::Member => {
            let me = p.leader_id;
            released
                && (me == Some(subject.id)
                    || (org.manager_can_view_results && me.is_some() && me == subject.manager_id))
        }
        Role::Integration => false,
    }
}
