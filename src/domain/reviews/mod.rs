//! Reviews: a rater saves drafts and submits once; submission updates the result
//! aggregates in the same transaction. Only the rater (or the external rater's token)
//! may touch a review, and nobody else ever reads its ratings.

pub(crate) mod aggregates;
mod answers;

pub use aggregates::bucket;

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use entity::enums::{CycleStatus, ReviewStatus};
use entity::{assessment_cycle, behavior, comment, rating, review};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, QueryFilter, TransactionTrait};
use serde_json::json;
use uuid::Uuid;

use crate::auth::RequestContext;
use crate::domain::outbox;
use crate::domain::pagination::{self, Ordering, Page, PageArgs};
use crate::error::{Context, Error, Result, UserErrorCode};
use crate::startup::AppState;
use crate::tenancy;
use aggregates::add_to_aggregates;
use answers::store;

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
        .col_expr(review::Column::Status, Expr::value(status))
        .col_expr(review::Column::UpdatedAt, Expr::value(now))
        .filter(review::Column::Id.eq(r.id))
        .filter(review::Column::Status.is_in([ReviewStatus::Pending, ReviewStatus::InProgress]));
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
