//! Assessment cycles and assessments: queries, completion and the cycle mutations.

mod types;

pub use types::*;

use async_graphql::futures_util::FutureExt;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::enums::CycleStatus as DomainStatus;
use entity::{assessment_cycle, review};

use crate::domain::cycles::{self as domain, raters};
use crate::error::{Error, UserError};
use crate::graphql::connection::{self, Connection};
use crate::graphql::ids::{self, Kind};
use crate::graphql::reviews::{Relationship, Review};
use crate::graphql::{parts, payload};

#[derive(InputObject, Default)]
pub struct CycleFilter {
    status: Option<CycleStatus>,
}

#[derive(Default)]
pub struct CyclesQuery;

#[Object]
impl CyclesQuery {
    /// The organization's cycles, oldest first (HR and ADMIN).
    async fn cycles(
        &self,
        ctx: &Context<'_>,
        filter: Option<CycleFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Connection<AssessmentCycle>> {
        let (rctx, state) = parts(ctx);
        let status: Option<DomainStatus> = filter.and_then(|f| f.status).map(Into::into);
        let page = domain::list(
            state,
            rctx,
            status,
            &connection::args(first, after, last, before)?,
        )
        .await?;
        let (db, org) = (state.db.clone(), rctx.organization_id()?);
        Ok(connection::from_page(page, AssessmentCycle, move || {
            let db = db.clone();
            async move { domain::count(&db, org, status).await }.boxed()
        }))
    }
}

#[derive(InputObject)]
pub struct CreateCycleInput {
    name: String,
    /// Defaults to the built-in framework; must be published.
    framework_id: Option<ID>,
    opens_at: Option<DateTime<Utc>>,
    closes_at: Option<DateTime<Utc>>,
}

#[derive(InputObject)]
pub struct CycleIdInput {
    cycle_id: ID,
}

#[derive(SimpleObject)]
pub struct CyclePayload {
    cycle: Option<AssessmentCycle>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct ParticipantsInput {
    cycle_id: ID,
    leader_ids: Vec<ID>,
}

#[derive(SimpleObject)]
pub struct AddParticipantsPayload {
    assessments: Vec<Assessment>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct RaterInput {
    leader_id: Option<ID>,
    external_email: Option<String>,
    relationship: Relationship,
}

#[derive(InputObject)]
pub struct AssignRatersInput {
    assessment_id: ID,
    raters: Vec<RaterInput>,
}

#[derive(InputObject)]
pub struct AutoAssignRatersInput {
    cycle_id: ID,
    #[graphql(default = true)]
    include_self: bool,
    #[graphql(default = true)]
    include_manager: bool,
    #[graphql(default = true)]
    include_direct_reports: bool,
    #[graphql(default = 5)]
    max_peers: i32,
}

#[derive(SimpleObject)]
pub struct ReviewsPayload {
    reviews: Vec<Review>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct ReviewIdInput {
    review_id: ID,
}

#[derive(SimpleObject)]
pub struct RemoveRaterPayload {
    removed_review_id: Option<ID>,
    user_errors: Vec<UserError>,
}

#[derive(SimpleObject)]
pub struct InviteExternalRaterPayload {
    review: Option<Review>,
    /// A bearer token that opens this one review and nothing else.
    token: Option<String>,
    expires_at: Option<DateTime<Utc>>,
    user_errors: Vec<UserError>,
}

fn cycle_payload(
    r: crate::error::Result<assessment_cycle::Model>,
) -> async_graphql::Result<CyclePayload> {
    let (c, user_errors) = payload(r)?;
    Ok(CyclePayload {
        cycle: c.map(AssessmentCycle),
        user_errors,
    })
}

fn reviews_payload(
    r: crate::error::Result<Vec<review::Model>>,
) -> async_graphql::Result<ReviewsPayload> {
    let (rs, user_errors) = payload(r)?;
    Ok(ReviewsPayload {
        reviews: rs.unwrap_or_default().into_iter().map(Review).collect(),
        user_errors,
    })
}

fn leader_ids(list: &[ID]) -> Result<Vec<uuid::Uuid>, Error> {
    list.iter().map(|i| ids::decode(Kind::Leader, i)).collect()
}

#[derive(Default)]
pub struct CyclesMutation;

#[Object]
impl CyclesMutation {
    async fn create_cycle(
        &self,
        ctx: &Context<'_>,
        input: CreateCycleInput,
    ) -> async_graphql::Result<CyclePayload> {
        let (rctx, state) = parts(ctx);
        let fw = input
            .framework_id
            .map(|i| ids::decode(Kind::Framework, &i))
            .transpose()?;
        cycle_payload(
            domain::create(
                state,
                rctx,
                &input.name,
                fw,
                input.opens_at,
                input.closes_at,
            )
            .await,
        )
    }
    /// Adds subjects (DRAFT or OPEN); leaders already in the cycle keep their assessment.
    async fn add_participants(
        &self,
        ctx: &Context<'_>,
        input: ParticipantsInput,
    ) -> async_graphql::Result<AddParticipantsPayload> {
        let (rctx, state) = parts(ctx);
        let cycle = ids::decode(Kind::AssessmentCycle, &input.cycle_id)?;
        let (a, user_errors) = payload(
            domain::add_participants(state, rctx, cycle, &leader_ids(&input.leader_ids)?).await,
        )?;
        Ok(AddParticipantsPayload {
            assessments: a.unwrap_or_default().into_iter().map(Assessment).collect(),
            user_errors,
        })
    }
    /// Removes subjects and their reviews (DRAFT only).
    async fn remove_participants(
        &self,
        ctx: &Context<'_>,
        input: ParticipantsInput,
    ) -> async_graphql::Result<CyclePayload> {
        let (rctx, state) = parts(ctx);
        let cycle = ids::decode(Kind::AssessmentCycle, &input.cycle_id)?;
        cycle_payload(
            domain::remove_participants(state, rctx, cycle, &leader_ids(&input.leader_ids)?).await,
        )
    }
    async fn assign_raters(
        &self,
        ctx: &Context<'_>,
        input: AssignRatersInput,
    ) -> async_graphql::Result<ReviewsPayload> {
        let (rctx, state) = parts(ctx);
        let a = ids::decode(Kind::Assessment, &input.assessment_id)?;
        let specs = input
            .raters
            .into_iter()
            .map(|r| {
                Ok(raters::RaterSpec {
                    leader_id: r
                        .leader_id
                        .map(|i| ids::decode(Kind::Leader, &i))
                        .transpose()?,
                    external_email: r.external_email,
                    relationship: r.relationship.into(),
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        reviews_payload(raters::assign(state, rctx, a, &specs).await)
    }
    /// Self, manager, direct reports and up to `maxPeers` peers for every subject.
    async fn auto_assign_raters(
        &self,
        ctx: &Context<'_>,
        input: AutoAssignRatersInput,
    ) -> async_graphql::Result<ReviewsPayload> {
        let (rctx, state) = parts(ctx);
        let cycle = ids::decode(Kind::AssessmentCycle, &input.cycle_id)?;
        if !(0..=20).contains(&input.max_peers) {
            return reviews_payload(Err(Error::invalid(
                &["maxPeers"],
                crate::error::UserErrorCode::OutOfRange,
                "must be between 0 and 20",
            )));
        }
        let opts = raters::AutoAssign {
            include_self: input.include_self,
            include_manager: input.include_manager,
            include_direct_reports: input.include_direct_reports,
            max_peers: input.max_peers as usize,
        };
        reviews_payload(raters::auto_assign(state, rctx, cycle, &opts).await)
    }
    /// Removes a rater who has not submitted.
    async fn remove_rater(
        &self,
        ctx: &Context<'_>,
        input: ReviewIdInput,
    ) -> async_graphql::Result<RemoveRaterPayload> {
        let (rctx, state) = parts(ctx);
        let id = ids::decode(Kind::Review, &input.review_id)?;
        let (r, user_errors) = payload(raters::remove(state, rctx, id).await)?;
        Ok(RemoveRaterPayload {
            removed_review_id: r.map(|r| ids::encode(Kind::Review, r.id)),
            user_errors,
        })
    }
    /// A token for an EXTERNAL rater, scoped to their one review.
    async fn invite_external_rater(
        &self,
        ctx: &Context<'_>,
        input: ReviewIdInput,
    ) -> async_graphql::Result<InviteExternalRaterPayload> {
        let (rctx, state) = parts(ctx);
        let id = ids::decode(Kind::Review, &input.review_id)?;
        let (done, user_errors) = payload(raters::invite_external(state, rctx, id).await)?;
        Ok(match done {
            Some((r, t)) => InviteExternalRaterPayload {
                review: Some(Review(r)),
                token: Some(t.token),
                expires_at: Some(t.expires_at),
                user_errors,
            },
            None => InviteExternalRaterPayload {
                review: None,
                token: None,
                expires_at: None,
                user_errors,
            },
        })
    }
    async fn open_cycle(
        &self,
        ctx: &Context<'_>,
        input: CycleIdInput,
    ) -> async_graphql::Result<CyclePayload> {
        transition(ctx, input, DomainStatus::Open).await
    }
    async fn close_cycle(
        &self,
        ctx: &Context<'_>,
        input: CycleIdInput,
    ) -> async_graphql::Result<CyclePayload> {
        transition(ctx, input, DomainStatus::Closed).await
    }
    /// Subjects (and managers, where allowed) see their results from now on.
    async fn release_results(
        &self,
        ctx: &Context<'_>,
        input: CycleIdInput,
    ) -> async_graphql::Result<CyclePayload> {
        transition(ctx, input, DomainStatus::Released).await
    }
    async fn cancel_cycle(
        &self,
        ctx: &Context<'_>,
        input: CycleIdInput,
    ) -> async_graphql::Result<CyclePayload> {
        transition(ctx, input, DomainStatus::Cancelled).await
    }
}

async fn transition(
    ctx: &Context<'_>,
    input: CycleIdInput,
    to: DomainStatus,
) -> async_graphql::Result<CyclePayload> {
    let (rctx, state) = parts(ctx);
    let id = ids::decode(Kind::AssessmentCycle, &input.cycle_id)?;
    cycle_payload(domain::transition(state, rctx, id, to).await)
}
