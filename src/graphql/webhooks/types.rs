//! GraphQL types of webhooks: WebhookEndpoint, WebhookDelivery, and the mutations'
//! inputs and payloads.

use async_graphql::futures_util::FutureExt;
use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{webhook_delivery, webhook_endpoint};

use crate::domain::integrations::webhooks::{self as domain, deliveries, events};
use crate::error::UserError;
use crate::graphql::connection::{self, Connection};
use crate::graphql::ids::{self, Kind};
use crate::graphql::parts;

/// Where a delivery stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::DeliveryStatus")]
pub enum WebhookDeliveryStatus {
    /// Waiting for its first attempt, or for a retry.
    Pending,
    /// The endpoint answered 2xx.
    Succeeded,
    /// Retried for the whole retry window (24 hours) without success; given up.
    Failed,
}

/// An HTTPS (or HTTP) endpoint that receives the organization's events, signed.
pub struct WebhookEndpoint(pub webhook_endpoint::Model);

#[Object]
impl WebhookEndpoint {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::WebhookEndpoint, self.0.id)
    }
    async fn url(&self) -> &str {
        &self.0.url
    }
    /// The event types delivered, e.g. `leader.created`.
    async fn events(&self) -> Vec<String> {
        events::decode(&self.0.events)
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// An inactive endpoint gets no new deliveries; its queued ones wait.
    async fn active(&self) -> bool {
        self.0.active
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Deliveries to this endpoint, newest first.
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        status: Option<WebhookDeliveryStatus>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Connection<WebhookDelivery>> {
        let (rctx, state) = parts(ctx);
        let args = connection::args(first, after, last, before)?;
        let status = status.map(Into::into);
        let page = deliveries::list(state, rctx, self.0.id, status, &args).await?;
        let (state, rctx, endpoint) = (state.clone(), rctx.clone(), self.0.id);
        Ok(connection::from_page(page, WebhookDelivery, move || {
            let (state, rctx) = (state.clone(), rctx.clone());
            async move { deliveries::count(&state, &rctx, endpoint, status).await }.boxed()
        }))
    }
}

/// One event sent (or to be sent) to one endpoint, with its attempts.
pub struct WebhookDelivery(pub webhook_delivery::Model);

#[Object]
impl WebhookDelivery {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::WebhookDelivery, self.0.id)
    }
    async fn endpoint(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<WebhookEndpoint>> {
        let (rctx, state) = parts(ctx);
        Ok(domain::get(state, rctx, self.0.endpoint_id)
            .await?
            .map(WebhookEndpoint))
    }
    /// The event's id: the body's `id` and the `Colead-Event-Id` header.
    async fn event_id(&self) -> String {
        self.0.event_id.to_string()
    }
    async fn event_type(&self) -> &str {
        &self.0.event_type
    }
    async fn status(&self) -> WebhookDeliveryStatus {
        self.0.status.into()
    }
    /// Attempts made so far.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// The HTTP status of the last answer; null when there was none.
    async fn last_response_code(&self) -> Option<i32> {
        self.0.last_response_code
    }
    /// Why the last attempt failed.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    /// When the next attempt is due; null once delivered or given up.
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        self.0.next_attempt_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at
    }
}

#[derive(InputObject)]
pub struct CreateWebhookEndpointInput {
    /// An http(s) URL on a public address.
    pub url: String,
    /// Event types to deliver, e.g. `["leader.created", "review.submitted"]`.
    pub events: Vec<String>,
    pub description: Option<String>,
}

#[derive(SimpleObject)]
pub struct CreateWebhookEndpointPayload {
    pub(super) webhook_endpoint: Option<WebhookEndpoint>,
    /// The signing secret of `Colead-Signature`: shown in this response only.
    pub(super) secret: Option<String>,
    pub(super) user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct UpdateWebhookEndpointInput {
    pub webhook_endpoint_id: ID,
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    /// An empty string clears it.
    pub description: Option<String>,
    pub active: Option<bool>,
}

#[derive(SimpleObject)]
pub struct WebhookEndpointPayload {
    pub(super) webhook_endpoint: Option<WebhookEndpoint>,
    pub(super) user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct DeleteWebhookEndpointInput {
    pub webhook_endpoint_id: ID,
}

#[derive(SimpleObject)]
pub struct DeleteWebhookEndpointPayload {
    pub(super) deleted_webhook_endpoint_id: Option<ID>,
    pub(super) user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct RedeliverWebhookInput {
    pub delivery_id: ID,
}

#[derive(SimpleObject)]
pub struct RedeliverWebhookPayload {
    pub(super) delivery: Option<WebhookDelivery>,
    pub(super) user_errors: Vec<UserError>,
}
