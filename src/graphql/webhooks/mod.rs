//! Queries and mutations of webhooks (ADMIN only): endpoints, their deliveries, and
//! redelivery.

pub mod types;

use async_graphql::futures_util::FutureExt;
use async_graphql::{Context, Object};

use crate::domain::integrations::webhooks::{self as domain, EndpointChange, deliveries};
use crate::graphql::connection::{self, Connection};
use crate::graphql::ids::{self, Kind};
use crate::graphql::{parts, payload};
pub use types::*;

#[derive(Default)]
pub struct WebhooksQuery;

#[Object]
impl WebhooksQuery {
    /// The organization's webhook endpoints, oldest first. ADMIN only.
    async fn webhook_endpoints(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Connection<WebhookEndpoint>> {
        let (rctx, state) = parts(ctx);
        let args = connection::args(first, after, last, before)?;
        let page = domain::list(state, rctx, &args).await?;
        let (state, rctx) = (state.clone(), rctx.clone());
        Ok(connection::from_page(page, WebhookEndpoint, move || {
            let (state, rctx) = (state.clone(), rctx.clone());
            async move { domain::count(&state, &rctx).await }.boxed()
        }))
    }
}

#[derive(Default)]
pub struct WebhooksMutation;

#[Object]
impl WebhooksMutation {
    /// Registers an endpoint (ADMIN). The signing secret is in this response only.
    async fn create_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: CreateWebhookEndpointInput,
    ) -> async_graphql::Result<CreateWebhookEndpointPayload> {
        let (rctx, state) = parts(ctx);
        let created = domain::create(state, rctx, input.url, input.events, input.description).await;
        let (done, user_errors) = payload(created)?;
        let (endpoint, secret) = done.unzip();
        Ok(CreateWebhookEndpointPayload {
            webhook_endpoint: endpoint.map(WebhookEndpoint),
            secret,
            user_errors,
        })
    }

    /// Changes an endpoint (ADMIN); fields left out stay as they are.
    async fn update_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: UpdateWebhookEndpointInput,
    ) -> async_graphql::Result<WebhookEndpointPayload> {
        let (rctx, state) = parts(ctx);
        let id = ids::decode(Kind::WebhookEndpoint, &input.webhook_endpoint_id)?;
        let change = EndpointChange {
            url: input.url,
            events: input.events,
            description: input.description,
            active: input.active,
        };
        let (endpoint, user_errors) = payload(domain::update(state, rctx, id, change).await)?;
        Ok(WebhookEndpointPayload {
            webhook_endpoint: endpoint.map(WebhookEndpoint),
            user_errors,
        })
    }

    /// Deletes an endpoint and its delivery history (ADMIN).
    async fn delete_webhook_endpoint(
        &self,
        ctx: &Context<'_>,
        input: DeleteWebhookEndpointInput,
    ) -> async_graphql::Result<DeleteWebhookEndpointPayload> {
        let (rctx, state) = parts(ctx);
        let id = ids::decode(Kind::WebhookEndpoint, &input.webhook_endpoint_id)?;
        let (deleted, user_errors) = payload(domain::delete(state, rctx, id).await)?;
        Ok(DeleteWebhookEndpointPayload {
            deleted_webhook_endpoint_id: deleted.map(|id| ids::encode(Kind::WebhookEndpoint, id)),
            user_errors,
        })
    }

    /// Queues a delivery again, due now, with a fresh retry window (ADMIN). Later events
    /// for its endpoint wait until it is delivered, as order per endpoint requires.
    async fn redeliver_webhook(
        &self,
        ctx: &Context<'_>,
        input: RedeliverWebhookInput,
    ) -> async_graphql::Result<RedeliverWebhookPayload> {
        let (rctx, state) = parts(ctx);
        let id = ids::decode(Kind::WebhookDelivery, &input.delivery_id)?;
        let (delivery, user_errors) = payload(deliveries::redeliver(state, rctx, id).await)?;
        Ok(RedeliverWebhookPayload {
            delivery: delivery.map(WebhookDelivery),
            user_errors,
        })
    }
}
