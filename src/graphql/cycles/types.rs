//! The GraphQL types of cycles: the cycle status, cycles, assessments and their completion.

use async_graphql::futures_util::FutureExt;
use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::enums::ReviewStatus;
use entity::{assessment, assessment_cycle};

use crate::domain::cycles as domain;
use crate::graphql::connection::{self, Connection};
use crate::graphql::frameworks::Framework;
use crate::graphql::ids::{self, Kind};
use crate::graphql::loaders::{self, FrameworkLoader, LeaderLoader};
use crate::graphql::parts;
use crate::graphql::people::Leader;
use crate::graphql::reviews::{Relationship, Review};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::CycleStatus")]
pub enum CycleStatus {
    Draft,
    Open,
    Closed,
    Released,
    Cancelled,
}

/// One round of 360s.
pub struct AssessmentCycle(pub assessment_cycle::Model);

/// Who has and has not answered, for reminders.
#[derive(SimpleObject, Default)]
pub struct Completion {
    invited: i64,
    submitted: i64,
    declined: i64,
    pending: i64,
    /// Submitted over invited; null when nobody is invited.
    rate: Option<f64>,
    by_relationship: Vec<RelationshipCompletion>,
}

#[derive(SimpleObject)]
pub struct RelationshipCompletion {
    relationship: Relationship,
    invited: i64,
    submitted: i64,
    declined: i64,
}

#[Object]
impl AssessmentCycle {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::AssessmentCycle, self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn status(&self) -> CycleStatus {
        self.0.status.into()
    }
    async fn opens_at(&self) -> Option<DateTime<Utc>> {
        self.0.opens_at
    }
    /// Submissions after this are refused.
    async fn closes_at(&self) -> Option<DateTime<Utc>> {
        self.0.closes_at
    }
    /// Copied from the organization when the cycle was created.
    async fn anonymity_threshold(&self) -> i32 {
        self.0.anonymity_threshold
    }
    async fn rating_scale_max(&self) -> i32 {
        self.0.rating_scale_max
    }
    async fn opened_at(&self) -> Option<DateTime<Utc>> {
        self.0.opened_at
    }
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.0.closed_at
    }
    async fn released_at(&self) -> Option<DateTime<Utc>> {
        self.0.released_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The pinned, published framework raters answer.
    async fn framework(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Framework>> {
        Ok(loaders::one::<FrameworkLoader>(ctx, self.0.framework_id)
            .await?
            .map(Framework))
    }
    /// The cycle's assessments, one per subject (HR and ADMIN).
    async fn assessments(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Connection<Assessment>> {
        let (rctx, state) = parts(ctx);
        let page = domain::assessments(
            state,
            rctx,
            self.0.id,
            &connection::args(first, after, last, before)?,
        )
        .await?;
        let (db, org, cycle) = (state.db.clone(), self.0.organization_id, self.0.id);
        Ok(connection::from_page(page, Assessment, move || {
            let db = db.clone();
            async move { domain::count_assessments(&db, org, cycle).await }.boxed()
        }))
    }
    /// Review counts overall and by relationship (HR and ADMIN).
    async fn completion(&self, ctx: &Context<'_>) -> async_graphql::Result<Completion> {
        let (rctx, state) = parts(ctx);
        let counts = domain::completion(state, rctx, self.0.id).await?;
        let mut c = Completion::default();
        for rel in entity::enums::Relationship::ALL {
            let of = |s: ReviewStatus| {
                counts
                    .iter()
                    .filter(|(r, st, _)| r == rel.as_str() && *st == s)
                    .map(|(_, _, n)| *n)
                    .sum::<i64>()
            };
            let invited: i64 = counts
                .iter()
                .filter(|(r, _, _)| r == rel.as_str())
                .map(|(_, _, n)| *n)
                .sum();
            if invited == 0 {
                continue;
            }
            let (submitted, declined) = (of(ReviewStatus::Submitted), of(ReviewStatus::Declined));
            c.invited += invited;
            c.submitted += submitted;
            c.declined += declined;
            c.by_relationship.push(RelationshipCompletion {
                relationship: rel.into(),
                invited,
                submitted,
                declined,
            });
        }
        c.pending = c.invited - c.submitted - c.declined;
        c.rate = (c.invited > 0).then(|| c.submitted as f64 / c.invited as f64);
        Ok(c)
    }
}

/// One leader's 360 inside a cycle.
pub struct Assessment(pub assessment::Model);

#[Object]
impl Assessment {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Assessment, self.0.id)
    }
    async fn subject(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Leader>> {
        Ok(loaders::one::<LeaderLoader>(ctx, self.0.subject_id)
            .await?
            .map(Leader))
    }
    async fn cycle(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<AssessmentCycle>> {
        Ok(loaders::one::<loaders::CycleLoader>(ctx, self.0.cycle_id)
            .await?
            .map(AssessmentCycle))
    }
    /// Who was asked and who answered (HR and ADMIN): never what anyone answered.
    async fn reviews(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Review>> {
        let (rctx, state) = parts(ctx);
        Ok(domain::reviews_of(state, rctx, self.0.id)
            .await?
            .into_iter()
            .map(Review)
            .collect())
    }
    /// The anonymized results, once the viewer may see them; null before.
    async fn results(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<crate::graphql::results::AssessmentResults>> {
        crate::graphql::results::for_assessment(ctx, &self.0).await
    }
}
