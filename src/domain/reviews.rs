//! Reviews: a rater saves drafts and submits once; submission updates the result
//! aggregates in the same transaction. Only the rater (or the external rater's token)
//! may touch a review, and nobody else ever reads its ratings.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use entity::enums::{CycleStatus, ReviewStatus};
use entity::{assessment_cycle, behavior, comment, indicator, rating, result_aggregate, review};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::auth::RequestContext;
use crate::domain::input;
use crate::domain::outbox;
use crate::domain::pagination::{self, Ordering, Page, PageArgs};
use crate::error::{Context, Error, Result, UserError, UserErrorCode};
use crate::startup::AppState;
use crate::tenancy;

/// A rating as given: `None` means "not observed".
#[derive(Debug, Clone)]
pub struct RatingInput {
    pub indicator_id: Uuid,
    pub score: Option<i32>,
}

#[derive(Debug, Clone)]
pub struct CommentInput {
    pub behavior_id: Option<Uuid>,
    pub body: String,
}

/// The review if the caller is its rater (by linked leader) or holds its review token.
pub async fn own_review<C: ConnectionTrait>(
    db: &C,
    ctx: &RequestContext,
    id: Uuid,
) -> Result<review::Model> {
    if let Some((org, scoped)) = ctx.review_scope() {
        if scoped != id {
            return Err(Error::NotFound("review"));
        }
        return tenancy::find::<review::Entity, _>(db, org, id)
            .await?
            .ok_or(Error::NotFound("review"));
    }
    let p = ctx.principal()?;
    let r = tenancy::find::<review::Entity, _>(db, p.organization_id, id)
        .await?
        .ok_or(Error::NotFound("review"))?;
    match (p.leader_id, r.rater_id) {
        (Some(me), Some(rater)) if me == rater => Ok(r),
        _ => Err(Error::NotFound("review")),
    }
}

/// The reviews assigned to the viewer's linked leader, oldest first.
pub async fn mine(
    state: &AppState,
    ctx: &RequestContext,
    status: Option<ReviewStatus>,
    args: &PageArgs,
) -> Result<(Page<review::Model>, Option<(Uuid, Uuid)>)> {
    let p = ctx.principal()?;
    let Some(me) = p.leader_id else {
        return Ok((
            Page {
                items: Vec::new(),
                has_previous: false,
                has_next: false,
            },
            None,
        ));
    };
    let mut q =
        tenancy::select::<review::Entity>(p.organization_id).filter(review::Column::RaterId.eq(me));
    if let Some(s) = status {
        q = q.filter(review::Column::Status.eq(s));
    }
    Ok((
        pagination::fetch(&state.db, q, review::Column::Id, &Ordering::by_id(), args).await?,
        Some((p.organization_id, me)),
    ))
}

pub async fn count_mine(
    db: &sea_orm::DatabaseConnection,
    org: Uuid,
    me: Uuid,
    status: Option<ReviewStatus>,
) -> Result<u64> {
    use sea_orm::PaginatorTrait;
    let mut q = tenancy::select::<review::Entity>(org).filter(review::Column::RaterId.eq(me));
    if let Some(s) = status {
        q = q.filter(review::Column::Status.eq(s));
    }
    q.count(db).await.context("counting reviews")
}

fn refuse_state(msg: &str) -> Error {
    Error::invalid(&["reviewId"], UserErrorCode::InvalidState, msg)
}

/// Checks the cycle accepts answers now and the review is still open.
fn check_writable(r: &review::Model, cycle: &assessment_cycle::Model) -> Result<()> {
    if cycle.status != CycleStatus::Open {
        return Err(refuse_state("the cycle is not open for answers"));
    }
    if cycle.closes_at.is_some_and(|c| Utc::now() > c) {
        return Err(refuse_state("the cycle's closing time has passed"));
    }
    match r.status {
        ReviewStatus::Submitted => Err(refuse_state("a submitted review cannot change")),
        ReviewStatus::Declined => Err(refuse_state("a declined review cannot change")),
        _ => Ok(()),
    }
}

/// The framework's indicators by id, with their behavior.
async fn framework_indicators<C: ConnectionTrait>(
    db: &C,
    org: Uuid,
    framework: Uuid,
) -> Result<HashMap<Uuid, indicator::Model>> {
    Ok(tenancy::select_visible::<indicator::Entity>(org)
        .filter(indicator::Column::FrameworkId.eq(framework))
        .all(db)
        .await
        .context("loading indicators")?
        .into_iter()
        .map(|i| (i.id, i))
        .collect())
}

/// Validates and stores ratings and (when given) the comments, in `txn`.
async fn store(
    txn: &DatabaseTransaction,
    org: Uuid,
    r: &review::Model,
    cycle: &assessment_cycle::Model,
    ratings: &[RatingInput],
    comments: Option<&[CommentInput]>,
) -> Result<HashMap<Uuid, indicator::Model>> {
    let indicators = framework_indicators(txn, org, cycle.framework_id).await?;
    let behaviors: HashSet<Uuid> = indicators.values().map(|i| i.behavior_id).collect();
    let mut errors = Vec::new();
    for (i, x) in ratings.iter().enumerate() {
        let idx = i.to_string();
        if !indicators.contains_key(&x.indicator_id) {
            errors.push(UserError::new(
                &["ratings", &idx, "indicatorId"],
                UserErrorCode::NotFound,
                "not an indicator of this cycle's framework",
            ));
        }
        if let Some(s) = x
            .score
            .filter(|s| !(1..=cycle.rating_scale_max).contains(s))
        {
            errors.push(UserError::new(
                &["ratings", &idx, "score"],
                UserErrorCode::OutOfRange,
                format!(
                    "a score is 1 to {} (or null for not observed), got {s}",
                    cycle.rating_scale_max
                ),
            ));
        }
    }
    for (i, c) in comments.unwrap_or_default().iter().enumerate() {
        let idx = i.to_string();
        if let Err(mut e) = input::required_text(&["comments", &idx, "body"], &c.body, 5000) {
            e.field = Some(vec![
                "input".into(),
                "comments".into(),
                idx.clone(),
                "body".into(),
            ]);
            errors.push(e);
        }
        if c.behavior_id.is_some_and(|b| !behaviors.contains(&b)) {
            errors.push(UserError::new(
                &["comments", &idx, "behaviorId"],
                UserErrorCode::NotFound,
                "not a behavior of this cycle's framework",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let now = Utc::now();
    let mut latest: HashMap<Uuid, Option<i32>> = HashMap::new();
    for x in ratings {
        latest.insert(x.indicator_id, x.score);
    }
    let rows: Vec<rating::ActiveModel> = latest
        .into_iter()
        .map(|(indicator_id, score)| rating::ActiveModel {
            organization_id: Set(org),
            review_id: Set(r.id),
            indicator_id: Set(indicator_id),
            score: Set(score),
            updated_at: Set(now),
        })
        .collect();
    if !rows.is_empty() {
        rating::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([rating::Column::ReviewId, rating::Column::IndicatorId])
                    .update_columns([rating::Column::Score, rating::Column::UpdatedAt])
                    .to_owned(),
            )
            .exec(txn)
            .await
            .context("saving ratings")?;
    }
    if let Some(comments) = comments {
        tenancy::delete_many::<comment::Entity>(org)
            .filter(comment::Column::ReviewId.eq(r.id))
            .exec(txn)
            .await
            .context("replacing comments")?;
        let rows: Vec<comment::ActiveModel> = comments
            .iter()
            .map(|c| comment::ActiveModel {
                id: Set(Uuid::now_v7()),
                organization_id: Set(org),
                review_id: Set(r.id),
                behavior_id: Set(c.behavior_id),
                body: Set(c.body.trim().to_owned()),
                created_at: Set(now),
            })
            .collect();
        if !rows.is_empty() {
            comment::Entity::insert_many(rows)
                .exec(txn)
                .await
                .context("saving comments")?;
        }
    }
    Ok(indicators)
}

async fn load_for_write(
    txn: &DatabaseTransaction,
    ctx: &RequestContext,
    id: Uuid,
) -> Result<(review::Model, assessment_cycle::Model)> {
    let r = own_review(txn, ctx, id).await?;
    let cycle = tenancy::find::<assessment_cycle::Entity, _>(txn, r.organization_id, r.cycle_id)
        .await?
        .ok_or(Error::NotFound("cycle"))?;
    check_writable(&r, &cycle)?;
    Ok((r, cycle))
}

async fn set_status<C: ConnectionTrait>(
    db: &C,
    r: &review::Model,
    status: ReviewStatus,
) -> Result<()> {
    let now = Utc::now();
    let mut u = tenancy::update_many::<review::Entity>(r.organization_id)
        .col_expr(
            review::Column::Status,
            Expr::value(review_status_name(status)),
        )
        .col_expr(review::Column::UpdatedAt, Expr::value(now))
        .filter(review::Column::Id.eq(r.id))
        .filter(review::Column::Status.is_in([
            review_status_name(ReviewStatus::Pending),
            review_status_name(ReviewStatus::InProgress),
        ]));
    if status == ReviewStatus::Submitted {
        u = u.col_expr(review::Column::SubmittedAt, Expr::value(now));
    }
    let done = u.exec(db).await.context("changing a review's status")?;
    if done.rows_affected != 1 {
        return Err(refuse_state(
            "the review changed meanwhile; it is no longer open",
        ));
    }
    Ok(())
}

fn review_status_name(s: ReviewStatus) -> &'static str {
    match s {
        ReviewStatus::Pending => "PENDING",
        ReviewStatus::InProgress => "IN_PROGRESS",
        ReviewStatus::Submitted => "SUBMITTED",
        ReviewStatus::Declined => "DECLINED",
    }
}

/// Saves a draft: ratings are upserted, comments (when given) replace the earlier ones.
pub async fn save(
    state: &AppState,
    ctx: &RequestContext,
    id: Uuid,
    ratings: &[RatingInput],
    comments: Option<&[CommentInput]>,
) -> Result<review::Model> {
    let txn = state
        .db
        .begin()
        .await
        .context("starting to save a review")?;
    let (r, cycle) = load_for_write(&txn, ctx, id).await?;
    store(&txn, r.organization_id, &r, &cycle, ratings, comments).await?;
    set_status(&txn, &r, ReviewStatus::InProgress).await?;
    txn.commit().await.context("committing a review draft")?;
    own_review(&state.db, ctx, id).await
}

/// Submits: every indicator needs a score or an explicit "not observed"; then the
/// review is immutable and its behavior scores join the aggregates, atomically.
pub async fn submit(
    state: &AppState,
    ctx: &RequestContext,
    id: Uuid,
    ratings: &[RatingInput],
    comments: Option<&[CommentInput]>,
) -> Result<review::Model> {
    let txn = state
        .db
        .begin()
        .await
        .context("starting to submit a review")?;
    let (r, cycle) = load_for_write(&txn, ctx, id).await?;
    let org = r.organization_id;
    let indicators = store(&txn, org, &r, &cycle, ratings, comments).await?;
    let stored = tenancy::select::<rating::Entity>(org)
        .filter(rating::Column::ReviewId.eq(r.id))
        .all(&txn)
        .await
        .context("loading ratings")?;
    let answered: HashSet<Uuid> = stored.iter().map(|x| x.indicator_id).collect();
    let missing = indicators.keys().filter(|i| !answered.contains(i)).count();
    if missing > 0 {
        return Err(Error::invalid(
            &["ratings"],
            UserErrorCode::Required,
            format!(
                "{missing} indicators are unanswered: give a score or null (not observed) for each"
            ),
        ));
    }
    // A behavior score is the mean of the review's non-null indicator ratings.
    let mut per_behavior: HashMap<Uuid, (i32, i32)> = HashMap::new();
    for x in &stored {
        if let (Some(score), Some(ind)) = (x.score, indicators.get(&x.indicator_id)) {
            let e = per_behavior.entry(ind.behavior_id).or_default();
            e.0 += score;
            e.1 += 1;
        }
    }
    add_to_aggregates(
        &txn,
        org,
        r.assessment_id,
        &r.relationship,
        &per_behavior,
        cycle.rating_scale_max,
    )
    .await?;
    set_status(&txn, &r, ReviewStatus::Submitted).await?;
    outbox::record(&txn, org, "review.submitted", json!({ "cycleId": r.cycle_id, "assessmentId": r.assessment_id, "reviewId": r.id, "relationship": r.relationship })).await?;
    txn.commit().await.context("committing a review")?;
    own_review(&state.db, ctx, id).await
}

/// The histogram bucket of a behavior score: rounded half up, within 1..=scale.
pub fn bucket(score: f64, scale: i32) -> i32 {
    ((score + 0.5).floor() as i32).clamp(1, scale.clamp(1, 10))
}

async fn add_to_aggregates(
    txn: &DatabaseTransaction,
    org: Uuid,
    assessment: Uuid,
    relationship: &str,
    scores: &HashMap<Uuid, (i32, i32)>,
    scale: i32,
) -> Result<()> {
    use result_aggregate::Column as A;
    let hist = [
        A::Hist1,
        A::Hist2,
        A::Hist3,
        A::Hist4,
        A::Hist5,
        A::Hist6,
        A::Hist7,
        A::Hist8,
        A::Hist9,
        A::Hist10,
    ];
    for (behavior_id, (sum, n)) in scores {
        let s = f64::from(*sum) / f64::from(*n);
        let b = bucket(s, scale) as usize;
        let mut row = result_aggregate::ActiveModel {
            organization_id: Set(org),
            assessment_id: Set(assessment),
            behavior_id: Set(*behavior_id),
            relationship: Set(relationship.to_owned()),
            rater_count: Set(1),
            score_sum: Set(s),
            score_sum_sq: Set(s * s),
            hist1: Set(0),
            hist2: Set(0),
            hist3: Set(0),
            hist4: Set(0),
            hist5: Set(0),
            hist6: Set(0),
            hist7: Set(0),
            hist8: Set(0),
            hist9: Set(0),
            hist10: Set(0),
        };
        sea_orm::ActiveModelTrait::set(&mut row, hist[b - 1], 1.into());
        // Concurrent submissions for one subject add up atomically in the database.
        let mut conflict = OnConflict::columns([A::AssessmentId, A::BehaviorId, A::Relationship]);
        conflict
            .value(
                A::RaterCount,
                Expr::col((result_aggregate::Entity, A::RaterCount)).add(1),
            )
            .value(
                A::ScoreSum,
                Expr::col((result_aggregate::Entity, A::ScoreSum)).add(s),
            )
            .value(
                A::ScoreSumSq,
                Expr::col((result_aggregate::Entity, A::ScoreSumSq)).add(s * s),
            )
            .value(
                hist[b - 1],
                Expr::col((result_aggregate::Entity, hist[b - 1])).add(1),
            );
        result_aggregate::Entity::insert(row)
            .on_conflict(conflict.to_owned())
            .exec(txn)
            .await
            .context("updating result aggregates")?;
    }
    Ok(())
}

/// Declines a review that is not yet submitted.
pub async fn decline(state: &AppState, ctx: &RequestContext, id: Uuid) -> Result<review::Model> {
    let r = own_review(&state.db, ctx, id).await?;
    let cycle =
        tenancy::find::<assessment_cycle::Entity, _>(&state.db, r.organization_id, r.cycle_id)
            .await?
            .ok_or(Error::NotFound("cycle"))?;
    if !matches!(cycle.status, CycleStatus::Draft | CycleStatus::Open) {
        return Err(refuse_state("the cycle is no longer open"));
    }
    if !matches!(r.status, ReviewStatus::Pending | ReviewStatus::InProgress) {
        return Err(refuse_state(
            "only a pending or in-progress review can be declined",
        ));
    }
    set_status(&state.db, &r, ReviewStatus::Declined).await?;
    own_review(&state.db, ctx, id).await
}

/// The rater's own ratings and comments, for the rater only.
pub async fn own_answers(
    state: &AppState,
    ctx: &RequestContext,
    id: Uuid,
) -> Result<(Vec<rating::Model>, Vec<comment::Model>)> {
    let r = own_review(&state.db, ctx, id).await?;
    let ratings = tenancy::select::<rating::Entity>(r.organization_id)
        .filter(rating::Column::ReviewId.eq(r.id))
        .all(&state.db)
        .await
        .context("loading ratings")?;
    let comments = tenancy::select::<comment::Entity>(r.organization_id)
        .filter(comment::Column::ReviewId.eq(r.id))
        .all(&state.db)
        .await
        .context("loading comments")?;
    Ok((ratings, comments))
}

/// Behaviors of a framework (for results and questionnaires).
pub async fn behaviors_of_framework<C: ConnectionTrait>(
    db: &C,
    org: Uuid,
    framework: Uuid,
) -> Result<Vec<behavior::Model>> {
    crate::domain::frameworks::behaviors_of(db, org, &[framework]).await
}

/// A review as `node` shows it: to its rater, and to HR and ADMIN (status only: its
/// answers stay with the rater).
pub async fn visible_review(
    state: &AppState,
    ctx: &RequestContext,
    id: Uuid,
) -> Result<Option<review::Model>> {
    let p = ctx.principal()?;
    if crate::domain::cycles::MANAGERS.contains(&p.role) {
        return tenancy::find::<review::Entity, _>(&state.db, p.organization_id, id).await;
    }
    match own_review(&state.db, ctx, id).await {
        Ok(r) => Ok(Some(r)),
        Err(Error::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}
