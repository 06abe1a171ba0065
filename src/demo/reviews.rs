//! One generated, released 360 cycle on the built-in framework: an assessment per
//! leader, submitted reviews by self, manager, 3 to 6 direct reports and 3 to 5 peers
//! (as far as the hierarchy has them), indicator ratings around each leader's true level
//! with a self-rating bias, some comments, the result aggregates those ratings imply
//! (computed exactly as submission does), and development plans for about a third of
//! the leaders.

use std::collections::HashMap;

use chrono::{Duration, Utc};
use entity::enums::{CycleStatus, GoalStatus, PlanStatus, Relationship, ReviewStatus};
use entity::{
    assessment, assessment_cycle, comment, development_plan, goal, rating, result_aggregate, review,
};
use migration::seed_collaborative_leadership::BEHAVIORS;
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use sea_orm::ActiveValue::Set;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::people::OrgChart;
use crate::db::Batch;
use crate::domain::reviews::aggregates::bucket;
use crate::error::Result;

const SCALE: i32 = 5;
const COMMENTS: &[&str] = &[
    "Brings people from other teams into decisions early.",
    "Could share the reasons behind priorities more often.",
    "Listens well and follows up on what was said.",
    "Sometimes decides alone when the team could help.",
    "Makes it easy to disagree openly.",
];

#[derive(Default)]
pub(super) struct Written {
    pub cycle_id: Uuid,
    pub reviews: usize,
    pub ratings: usize,
    pub comments: usize,
    pub plans: usize,
}

#[derive(Default)]
struct Sums {
    count: i32,
    sum: f64,
    sum_sq: f64,
    hist: [i32; 10],
}

/// The raters of leader `i`: relationship and rater index.
fn raters(chart: &OrgChart, i: usize, rng: &mut StdRng) -> Vec<(Relationship, usize)> {
    let me = &chart.leaders[i];
    let mut out = vec![(Relationship::SelfRating, i)];
    if let Some(m) = me.manager {
        out.push((Relationship::Manager, m));
    }
    let mut reports = me.reports.clone();
    reports.shuffle(rng);
    let take = rng.random_range(3..=6);
    out.extend(
        reports
            .into_iter()
            .take(take)
            .map(|r| (Relationship::DirectReport, r)),
    );
    let mut peers: Vec<usize> = me
        .manager
        .map(|m| {
            chart.leaders[m]
                .reports
                .iter()
                .copied()
                .filter(|&p| p != i)
                .collect()
        })
        .unwrap_or_default();
    peers.shuffle(rng);
    let take = rng.random_range(3..=5);
    out.extend(
        peers
            .into_iter()
            .take(take)
            .map(|p| (Relationship::Peer, p)),
    );
    out
}

fn cycle_row(org: Uuid, index: usize, of: usize) -> assessment_cycle::ActiveModel {
    let months_ago = 6 * (of - index) as i64;
    let opened = Utc::now() - Duration::days(30 * months_ago);
    assessment_cycle::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org),
        name: Set(format!("360 round {}", index + 1)),
        framework_id: Set(Uuid::from_u128(migration::BUILT_IN_FRAMEWORK)),
        status: Set(CycleStatus::Released),
        opens_at: Set(Some(opened)),
        closes_at: Set(Some(opened + Duration::days(21))),
        anonymity_threshold: Set(3),
        rating_scale_max: Set(SCALE),
        opened_at: Set(Some(opened)),
        closed_at: Set(Some(opened + Duration::days(21))),
        released_at: Set(Some(opened + Duration::days(28))),
        created_at: Set(opened),
        updated_at: Set(opened + Duration::days(28)),
    }
}

/// Writes cycle number `index` (of `of`, the last the most recent).
pub(super) async fn generate<C: ConnectionTrait>(
    db: &C,
    org: Uuid,
    chart: &OrgChart,
    index: usize,
    of: usize,
    rng: &mut StdRng,
) -> Result<Written> {
    let cycle = cycle_row(org, index, of);
    let cycle_id = *cycle.id.as_ref();
    let submitted = cycle.closed_at.as_ref().map(|t| t - Duration::days(2));
    let mut cycles = Batch::<assessment_cycle::ActiveModel>::new(14);
    cycles.push(db, cycle).await?;
    cycles.flush(db).await?;

    let n = chart.leaders.len();
    // Each leader's true level per behavior, drifting up a little from cycle to cycle.
    let levels: Vec<[f64; 12]> = (0..n)
        .map(|_| std::array::from_fn(|_| rng.random_range(2.2..4.6) + 0.1 * index as f64))
        .collect();
    let assessments: Vec<Uuid> = (0..n).map(|_| Uuid::now_v7()).collect();
    let mut batch = Batch::<assessment::ActiveModel>::new(5);
    for (i, id) in assessments.iter().enumerate() {
        batch
            .push(
                db,
                assessment::ActiveModel {
                    id: Set(*id),
                    organization_id: Set(org),
                    cycle_id: Set(cycle_id),
                    subject_id: Set(chart.leaders[i].id),
                    created_at: Set(Utc::now()),
                },
            )
            .await?;
    }
    batch.flush(db).await?;

    let mut written = Written {
        cycle_id,
        ..Written::default()
    };
    let mut reviews = Batch::<review::ActiveModel>::new(11);
    let mut ratings = Batch::<rating::ActiveModel>::new(5);
    let mut comments = Batch::<comment::ActiveModel>::new(6);
    let mut sums: HashMap<(usize, usize, Relationship), Sums> = HashMap::new();
    let now = Utc::now();
    for i in 0..n {
        for (relationship, rater) in raters(chart, i, rng) {
            let review_id = Uuid::now_v7();
            reviews
                .push(
                    db,
                    review::ActiveModel {
                        id: Set(review_id),
                        organization_id: Set(org),
                        assessment_id: Set(assessments[i]),
                        cycle_id: Set(cycle_id),
                        rater_id: Set(Some(chart.leaders[rater].id)),
                        external_email: Set(None),
                        relationship: Set(relationship.as_str().to_owned()),
                        status: Set(ReviewStatus::Submitted),
                        submitted_at: Set(submitted),
                        created_at: Set(now),
                        updated_at: Set(now),
                    },
                )
                .await?;
            written.reviews += 1;
            let bias = if relationship == Relationship::SelfRating {
                0.5
            } else {
                0.0
            };
            for (b, behavior) in BEHAVIORS.iter().enumerate() {
                let (mut sum, mut count) = (0, 0);
                for k in 0..behavior.indicators.len() {
                    // One rating in twenty is "not observed".
                    let score = (!rng.random_bool(0.05)).then(|| {
                        let s = levels[i][b] + bias + rng.random_range(-1.0..1.0);
                        (s.round() as i32).clamp(1, SCALE)
                    });
                    if let Some(s) = score {
                        sum += s;
                        count += 1;
                    }
                    ratings.hold(rating::ActiveModel {
                        organization_id: Set(org),
                        review_id: Set(review_id),
                        indicator_id: Set(migration::indicator_id(b, k)),
                        score: Set(score),
                        updated_at: Set(now),
                    });
                    written.ratings += 1;
                }
                if count > 0 {
                    let s = f64::from(sum) / f64::from(count);
                    let agg = sums.entry((i, b, relationship)).or_default();
                    agg.count += 1;
                    agg.sum += s;
                    agg.sum_sq += s * s;
                    agg.hist[(bucket(s, SCALE) - 1) as usize] += 1;
                }
            }
            if relationship != Relationship::SelfRating && rng.random_bool(0.25) {
                let b = rng.random_range(0..BEHAVIORS.len());
                comments.hold(comment::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    organization_id: Set(org),
                    review_id: Set(review_id),
                    behavior_id: Set(Some(migration::behavior_id(b))),
                    body: Set(COMMENTS[rng.random_range(0..COMMENTS.len())].to_owned()),
                    created_at: Set(now),
                });
                written.comments += 1;
            }
            // Ratings and comments refer to reviews: those go first.
            if ratings.is_full() || comments.is_full() {
                reviews.flush(db).await?;
                ratings.flush(db).await?;
                comments.flush(db).await?;
            }
        }
    }
    reviews.flush(db).await?;
    ratings.flush(db).await?;
    comments.flush(db).await?;
    write_aggregates(db, org, &assessments, sums).await?;
    written.plans =
        write_plans(db, org, chart, &assessments, &levels, index + 1 == of, rng).await?;
    Ok(written)
}

async fn write_aggregates<C: ConnectionTrait>(
    db: &C,
    org: Uuid,
    assessments: &[Uuid],
    sums: HashMap<(usize, usize, Relationship), Sums>,
) -> Result<()> {
    let mut batch = Batch::<result_aggregate::ActiveModel>::new(17);
    for ((i, b, relationship), s) in sums {
        let h = s.hist;
        batch
            .push(
                db,
                result_aggregate::ActiveModel {
                    organization_id: Set(org),
                    assessment_id: Set(assessments[i]),
                    behavior_id: Set(migration::behavior_id(b)),
                    relationship: Set(relationship.as_str().to_owned()),
                    rater_count: Set(s.count),
                    score_sum: Set(s.sum),
                    score_sum_sq: Set(s.sum_sq),
                    hist1: Set(h[0]),
                    hist2: Set(h[1]),
                    hist3: Set(h[2]),
                    hist4: Set(h[3]),
                    hist5: Set(h[4]),
                    hist6: Set(h[5]),
                    hist7: Set(h[6]),
                    hist8: Set(h[7]),
                    hist9: Set(h[8]),
                    hist10: Set(h[9]),
                },
            )
            .await?;
    }
    batch.flush(db).await
}

/// Plans for about a third of the leaders, on the most recent cycle only: two goals on
/// their weakest behaviors.
async fn write_plans<C: ConnectionTrait>(
    db: &C,
    org: Uuid,
    chart: &OrgChart,
    assessments: &[Uuid],
    levels: &[[f64; 12]],
    latest: bool,
    rng: &mut StdRng,
) -> Result<usize> {
    if !latest {
        return Ok(0);
    }
    let now = Utc::now();
    let mut plans = Batch::<development_plan::ActiveModel>::new(8);
    let mut goals = Vec::new();
    let mut written = 0;
    for (i, person) in chart.leaders.iter().enumerate() {
        if !rng.random_bool(0.33) {
            continue;
        }
        let plan_id = Uuid::now_v7();
        plans
            .push(
                db,
                development_plan::ActiveModel {
                    id: Set(plan_id),
                    organization_id: Set(org),
                    leader_id: Set(person.id),
                    source_assessment_id: Set(Some(assessments[i])),
                    title: Set("Growing as a collaborative leader".to_owned()),
                    status: Set(PlanStatus::Active),
                    created_at: Set(now),
                    updated_at: Set(now),
                },
            )
            .await?;
        written += 1;
        let mut order: Vec<usize> = (0..BEHAVIORS.len()).collect();
        order.sort_by(|a, b| levels[i][*a].total_cmp(&levels[i][*b]));
        for &b in order.iter().take(2) {
            goals.push(goal::ActiveModel {
                id: Set(Uuid::now_v7()),
                organization_id: Set(org),
                plan_id: Set(plan_id),
                behavior_id: Set(migration::behavior_id(b)),
                title: Set(format!("Practise: {}", BEHAVIORS[b].title)),
                success_measure: Set(Some(
                    "Others rate this behavior higher next cycle".to_owned(),
                )),
                target_date: Set(Some((now + Duration::days(180)).date_naive())),
                status: Set(GoalStatus::InProgress),
                progress: Set(rng.random_range(0..=80)),
                suggestion: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            });
        }
    }
    plans.flush(db).await?;
    let mut batch = Batch::<goal::ActiveModel>::new(12);
    for g in goals {
        batch.push(db, g).await?;
    }
    batch.flush(db).await?;
    Ok(written)
}
