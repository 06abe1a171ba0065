//! Reviews: a rater's questionnaire, answered through save and submit. Only the rater
//! (or the external rater's token) reads its answers; HR sees who has submitted.

use async_graphql::futures_util::FutureExt;
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::review;

use crate::domain::cycles;
use crate::domain::reviews::{self as domain, CommentInput, RatingInput};
use crate::error::{Error, UserError};
use crate::graphql::connection::{self, Connection};
use crate::graphql::cycles::Assessment;
use crate::graphql::ids::{self, Kind};
use crate::graphql::loaders::{self, LeaderLoader};
use crate::graphql::people::Leader;
use crate::graphql::{parts, payload};

/// How a rater relates to the subject, frozen when the review was assigned.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::Relationship")]
pub enum Relationship {
    #[graphql(name = "SELF")]
    SelfRating,
    Manager,
    DirectReport,
    Peer,
    /// A partner, supplier or customer outside the organization.
    External,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::ReviewStatus")]
pub enum ReviewStatus {
    Pending,
    InProgress,
    Submitted,
    Declined,
}

/// One rater's questionnaire for one assessment.
pub struct Review(pub review::Model);

/// A rater's own score for one indicator; null means "not observed".
#[derive(SimpleObject)]
pub struct Rating {
    indicator_id: ID,
    score: Option<i32>,
}

/// A rater's own comment.
#[derive(SimpleObject)]
pub struct ReviewComment {
    behavior_id: Option<ID>,
    body: String,
}

fn relationship(r: &review::Model) -> Relationship {
    entity::enums::Relationship::parse(&r.relationship)
        .unwrap_or(entity::enums::Relationship::Peer)
        .into()
}

#[Object]
impl Review {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Review, self.0.id)
    }
    async fn status(&self) -> ReviewStatus {
        self.0.status.into()
    }
    async fn relationship(&self) -> Relationship {
        relationship(&self.0)
    }
    async fn submitted_at(&self) -> Option<DateTime<Utc>> {
        self.0.submitted_at
    }
    /// The assessment: its subject and, through the cycle, the framework to answer.
    async fn assessment(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Assessment>> {
        let (rctx, state) = parts(ctx);
        // The review's own rater (a leader, or the external token of this review) reaches
        // its assessment: loaded in one batch for a whole list of reviews.
        let own = match (rctx.review_scope(), rctx.principal.as_deref()) {
            (Some((_, review)), _) => review == self.0.id,
            (None, Some(p)) => p.leader_id.is_some() && p.leader_id == self.0.rater_id,
            (None, None) => false,
        };
        if own {
            return Ok(
                crate::graphql::loaders::one::<crate::graphql::loaders::AssessmentLoader>(
                    ctx,
                    self.0.assessment_id,
                )
                .await?
                .map(Assessment),
            );
        }
        Ok(
            cycles::visible_assessment(state, rctx, self.0.assessment_id)
                .await?
                .map(Assessment),
        )
    }
    /// The rater (a leader); null for an external rater.
    async fn rater(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Leader>> {
        let Some(id) = self.0.rater_id else {
            return Ok(None);
        };
        Ok(loaders::one::<LeaderLoader>(ctx, id).await?.map(Leader))
    }
    async fn external_email(&self) -> Option<&str> {
        self.0.external_email.as_deref()
    }
    /// The rater's own answers; nobody else, HR included, may read them.
    async fn ratings(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Rating>> {
        let (rctx, state) = parts(ctx);
        let (ratings, _) = domain::own_answers(state, rctx, self.0.id)
            .await
            .map_err(answers_refused)?;
        Ok(ratings
            .into_iter()
            .map(|r| Rating {
                indicator_id: ids::encode(Kind::Indicator, r.indicator_id),
                score: r.score,
            })
            .collect())
    }
    /// The rater's own comments; nobody else, HR included, may read them here.
    async fn comments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ReviewComment>> {
        let (rctx, state) = parts(ctx);
        let (_, comments) = domain::own_answers(state, rctx, self.0.id)
            .await
            .map_err(answers_refused)?;
        Ok(comments
            .into_iter()
            .map(|c| ReviewComment {
                behavior_id: c.behavior_id.map(|b| ids::encode(Kind::Behavior, b)),
                body: c.body,
            })
            .collect())
    }
}

fn answers_refused(e: Error) -> Error {
    match e {
        Error::NotFound(_) => Error::Forbidden,
        other => other,
    }
}

#[derive(InputObject, Default)]
pub struct ReviewFilter {
    status: Option<ReviewStatus>,
}

#[derive(Default)]
pub struct ReviewsQuery;

#[Object]
impl ReviewsQuery {
    /// The reviews the viewer is asked to write, oldest first.
    async fn my_reviews(
        &self,
        ctx: &Context<'_>,
        filter: Option<ReviewFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Connection<Review>> {
        let (rctx, state) = parts(ctx);
        let status = filter.and_then(|f| f.status).map(Into::into);
        let (page, me) = domain::mine(
            state,
            rctx,
            status,
            &connection::args(first, after, last, before)?,
        )
        .await?;
        let db = state.db.clone();
        Ok(connection::from_page(page, Review, move || {
            let db = db.clone();
            async move {
                match me {
                    Some((org, me)) => domain::count_mine(&db, org, me, status).await,
                    None => Ok(0),
                }
            }
            .boxed()
        }))
    }
}

#[derive(InputObject)]
pub struct RatingInputGql {
    indicator_id: ID,
    /// 1 to the cycle's scale; null means "not observed".
    score: Option<i32>,
}

#[derive(InputObject)]
pub struct CommentInputGql {
    behavior_id: Option<ID>,
    body: String,
}

#[derive(InputObject)]
pub struct ReviewAnswersInput {
    review_id: ID,
    #[graphql(default)]
    ratings: Vec<RatingInputGql>,
    /// When given, replaces the review's comments.
    comments: Option<Vec<CommentInputGql>>,
}

#[derive(InputObject)]
pub struct DeclineReviewInput {
    review_id: ID,
}

#[derive(SimpleObject)]
pub struct ReviewPayload {
    review: Option<Review>,
    user_errors: Vec<UserError>,
}

type Answers = (uuid::Uuid, Vec<RatingInput>, Option<Vec<CommentInput>>);

fn answers(input: ReviewAnswersInput) -> Result<Answers, Error> {
    let id = ids::decode(Kind::Review, &input.review_id)?;
    let ratings = input
        .ratings
        .into_iter()
        .map(|r| {
            Ok(RatingInput {
                indicator_id: ids::decode(Kind::Indicator, &r.indicator_id)?,
                score: r.score,
            })
        })
        .collect::<Result<_, Error>>()?;
    let comments = input
        .comments
        .map(|cs| {
            cs.into_iter()
                .map(|c| {
                    Ok(CommentInput {
                        behavior_id: c
                            .behavior_id
                            .map(|b| ids::decode(Kind::Behavior, &b))
                            .transpose()?,
                        body: c.body,
                    })
                })
                .collect::<Result<_, Error>>()
        })
        .transpose()?;
    Ok((id, ratings, comments))
}

fn review_payload(r: crate::error::Result<review::Model>) -> async_graphql::Result<ReviewPayload> {
    let (r, user_errors) = payload(r)?;
    Ok(ReviewPayload {
        review: r.map(Review),
        user_errors,
    })
}

#[derive(Default)]
pub struct ReviewsMutation;

#[Object]
impl ReviewsMutation {
    /// Saves a draft (PENDING becomes IN_PROGRESS): ratings are upserted.
    async fn save_review(
        &self,
        ctx: &Context<'_>,
        input: ReviewAnswersInput,
    ) -> async_graphql::Result<ReviewPayload> {
        let (rctx, state) = parts(ctx);
        let (id, ratings, comments) = answers(input)?;
        review_payload(domain::save(state, rctx, id, &ratings, comments.as_deref()).await)
    }
    /// Submits: every indicator needs a score or null (not observed); then it is final.
    async fn submit_review(
        &self,
        ctx: &Context<'_>,
        input: ReviewAnswersInput,
    ) -> async_graphql::Result<ReviewPayload> {
        let (rctx, state) = parts(ctx);
        let (id, ratings, comments) = answers(input)?;
        review_payload(domain::submit(state, rctx, id, &ratings, comments.as_deref()).await)
    }
    async fn decline_review(
        &self,
        ctx: &Context<'_>,
        input: DeclineReviewInput,
    ) -> async_graphql::Result<ReviewPayload> {
        let (rctx, state) = parts(ctx);
        review_payload(
            domain::decline(state, rctx, ids::decode(Kind::Review, &input.review_id)?).await,
        )
    }
}
