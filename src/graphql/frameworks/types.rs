//! The GraphQL types of frameworks: the framework status, frameworks, behaviors and
//! indicators.

use async_graphql::{Context, Enum, ID, Object};
use chrono::{DateTime, Utc};
use entity::{behavior, framework, indicator};

use crate::graphql::ids::{self, Kind};
use crate::graphql::loaders::{self, BehaviorsLoader, FrameworkLoader, IndicatorsLoader};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::FrameworkStatus")]
pub enum FrameworkStatus {
    /// Being edited; not yet usable by cycles.
    Draft,
    /// Immutable; cycles pin it.
    Published,
    /// No longer offered for new cycles.
    Retired,
}

/// A versioned behavior model that raters answer.
pub struct Framework(pub framework::Model);

#[Object]
impl Framework {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Framework, self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// Where the framework comes from (credits).
    async fn source(&self) -> Option<&str> {
        self.0.source.as_deref()
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn status(&self) -> FrameworkStatus {
        self.0.status.into()
    }
    /// True for the framework that ships with colead (read-only, shared by all).
    async fn is_built_in(&self) -> bool {
        self.0.organization_id.is_none()
    }
    async fn based_on(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Framework>> {
        let Some(id) = self.0.based_on_id else {
            return Ok(None);
        };
        Ok(loaders::one::<FrameworkLoader>(ctx, id)
            .await?
            .map(Framework))
    }
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The behaviors, in order.
    async fn behaviors(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Behavior>> {
        Ok(loaders::one::<BehaviorsLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Behavior)
            .collect())
    }
}

/// One behavior of a framework; its key is stable across versions.
pub struct Behavior(pub behavior::Model);

#[Object]
impl Behavior {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Behavior, self.0.id)
    }
    /// Stable across framework versions, e.g. `DEMAND_DIALOGUE`.
    async fn key(&self) -> &str {
        &self.0.key
    }
    async fn position(&self) -> i32 {
        self.0.position
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn summary(&self) -> &str {
        &self.0.summary
    }
    /// The statements raters rate, in order.
    async fn indicators(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Indicator>> {
        Ok(loaders::one::<IndicatorsLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Indicator)
            .collect())
    }
    async fn framework(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Framework>> {
        Ok(loaders::one::<FrameworkLoader>(ctx, self.0.framework_id)
            .await?
            .map(Framework))
    }
}

/// A statement a rater rates on the organization's scale.
pub struct Indicator(pub indicator::Model);

#[Object]
impl Indicator {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Indicator, self.0.id)
    }
    async fn position(&self) -> i32 {
        self.0.position
    }
    async fn text(&self) -> &str {
        &self.0.text
    }
}
