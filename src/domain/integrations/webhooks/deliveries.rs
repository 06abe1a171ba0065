//! Deliveries as admins see them: an endpoint's history, newest first, and
//! `redeliverWebhook`, which queues a delivery again now.

use chrono::Utc;
use entity::enums::DeliveryStatus;
use entity::{webhook_delivery, webhook_endpoint};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter, Select};
use uuid::Uuid;

use super::require_admin;
use crate::auth::RequestContext;
use crate::domain::pagination::{self, Ordering, Page, PageArgs};
use crate::error::{Context, Error, Result, UserErrorCode};
use crate::startup::AppState;
use crate::tenancy;

fn of_endpoint(
    org: Uuid,
    endpoint: Uuid,
    status: Option<DeliveryStatus>,
) -> Select<webhook_delivery::Entity> {
    let mut select = tenancy::select::<webhook_delivery::Entity>(org)
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint));
    if let Some(s) = status {
        select = select.filter(webhook_delivery::Column::Status.eq(s));
    }
    select
}

/// A page of an endpoint's deliveries, newest first (ADMIN).
pub async fn list(
    state: &AppState,
    ctx: &RequestContext,
    endpoint: Uuid,
    status: Option<DeliveryStatus>,
    args: &PageArgs,
) -> Result<Page<webhook_delivery::Model>> {
    let org = require_admin(ctx)?;
    let ordering = Ordering {
        key: None,
        descending: true,
        tag: "id-desc",
    };
    pagination::fetch(
        &state.db,
        of_endpoint(org, endpoint, status),
        webhook_delivery::Column::Id,
        &ordering,
        args,
    )
    .await
}

/// The number of deliveries `list` walks through.
pub async fn count(
    state: &AppState,
    ctx: &RequestContext,
    endpoint: Uuid,
    status: Option<DeliveryStatus>,
) -> Result<u64> {
    let org = require_admin(ctx)?;
    of_endpoint(org, endpoint, status)
        .count(&state.db)
        .await
        .context("counting webhook deliveries")
}

/// One delivery of the caller's organization (ADMIN).
pub async fn get(
    state: &AppState,
    ctx: &RequestContext,
    id: Uuid,
) -> Result<Option<webhook_delivery::Model>> {
    let org = require_admin(ctx)?;
    tenancy::find::<webhook_delivery::Entity, _>(&state.db, org, id).await
}

/// Queues a delivery again, due now, with a fresh retry window. A delivery of an
/// inactive endpoint is refused: it would wait until the endpoint is active again.
pub async fn redeliver(
    state: &AppState,
    ctx: &RequestContext,
    id: Uuid,
) -> Result<webhook_delivery::Model> {
    let org = require_admin(ctx)?;
    let d = tenancy::find::<webhook_delivery::Entity, _>(&state.db, org, id)
        .await?
        .ok_or(Error::NotFound("webhook delivery"))?;
    let endpoint = tenancy::find::<webhook_endpoint::Entity, _>(&state.db, org, d.endpoint_id)
        .await?
        .ok_or(Error::NotFound("webhook delivery"))?;
    if !endpoint.active {
        return Err(Error::invalid(
            &["deliveryId"],
            UserErrorCode::InvalidState,
            "the endpoint is inactive; activate it first",
        ));
    }
    let now = Utc::now();
    use webhook_delivery::Column as C;
    tenancy::update_many::<webhook_delivery::Entity>(org)
        .col_expr(C::Status, Expr::value(DeliveryStatus::Pending))
        .col_expr(C::NextAttemptAt, Expr::value(now))
        .col_expr(C::QueuedAt, Expr::value(now))
        .filter(C::Id.eq(d.id))
        .exec(&state.db)
        .await
        .context("queueing a webhook delivery again")?;
    tenancy::find::<webhook_delivery::Entity, _>(&state.db, org, id)
        .await?
        .ok_or(Error::NotFound("webhook delivery"))
}
