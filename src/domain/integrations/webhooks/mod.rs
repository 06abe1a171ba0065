//! Webhook endpoints (ADMIN only): where an organization wants its events POSTed, which
//! event types, and the secret that signs each delivery (shown once, at creation).

pub mod address;
mod attempt;
pub mod deliveries;
pub mod events;
pub mod retry;
pub mod worker;

use chrono::Utc;
use entity::enums::Role;
use entity::webhook_endpoint;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
};
use uuid::Uuid;

use crate::auth::{RequestContext, secrets};
use crate::domain::input::{self, Checks};
use crate::domain::pagination::{self, Ordering, Page, PageArgs};
use crate::error::{Context, Error, Result};
use crate::startup::AppState;
use crate::tenancy;

/// Webhooks belong to admins: they send the organization's events out of colead.
pub(crate) fn require_admin(ctx: &RequestContext) -> Result<Uuid> {
    Ok(ctx.require(&[Role::Admin])?.organization_id)
}

/// The fields of an endpoint; `None` leaves a field as it is (on update).
#[derive(Debug, Clone, Default)]
pub struct EndpointChange {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    /// `Some("")` clears the description.
    pub description: Option<String>,
    pub active: Option<bool>,
}

/// The change, validated: every refusal at once, with its field path.
async fn validate(state: &AppState, c: EndpointChange) -> Result<EndpointChange> {
    let mut checks = Checks::default();
    let allow_private = state.config.webhooks.allow_private;
    let url = match c.url {
        Some(u) => checks.take(address::check_url("url", &u, allow_private).await),
        None => None,
    };
    let events = match c.events.as_deref().map(|e| events::parse("events", e)) {
        Some(Ok(e)) => Some(e),
        Some(Err(errors)) => {
            errors.into_iter().for_each(|e| checks.push(e));
            None
        }
        None => None,
    };
    let description = match c.description {
        Some(d) => checks
            .take(input::optional_text(&["description"], Some(&d), 500))
            .map(Option::unwrap_or_default),
        None => None,
    };
    checks.finish()?;
    Ok(EndpointChange {
        url,
        events,
        description,
        active: c.active,
    })
}

/// A new endpoint and its signing secret, which is returned here only.
pub async fn create(
    state: &AppState,
    ctx: &RequestContext,
    url: String,
    events: Vec<String>,
    description: Option<String>,
) -> Result<(webhook_endpoint::Model, String)> {
    let org = require_admin(ctx)?;
    let c = validate(
        state,
        EndpointChange {
            url: Some(url),
            events: Some(events),
            description,
            active: None,
        },
    )
    .await?;
    let secret = secrets::new_token("whsec");
    let now = Utc::now();
    let endpoint = tenancy::insert(
        &state.db,
        org,
        webhook_endpoint::ActiveModel {
            id: Set(Uuid::now_v7()),
            url: Set(c.url.unwrap_or_default()),
            events: Set(events::encode(&c.events.unwrap_or_default())),
            description: Set(c.description.filter(|d| !d.is_empty())),
            secret: Set(secret.clone()),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        },
    )
    .await?;
    Ok((endpoint, secret))
}

/// Changes an endpoint; fields left out stay as they are.
pub async fn update(
    state: &AppState,
    ctx: &RequestContext,
    id: Uuid,
    change: EndpointChange,
) -> Result<webhook_endpoint::Model> {
    let org = require_admin(ctx)?;
    let current = tenancy::find::<webhook_endpoint::Entity, _>(&state.db, org, id)
        .await?
        .ok_or(Error::NotFound("webhook endpoint"))?;
    let c = validate(state, change).await?;
    let mut am = current.clone().into_active_model();
    if let Some(url) = c.url {
        am.url = Set(url);
    }
    if let Some(events) = c.events {
        am.events = Set(events::encode(&events));
    }
    if let Some(d) = c.description {
        am.description = Set(Some(d).filter(|d| !d.is_empty()));
    }
    if let Some(active) = c.active {
        am.active = Set(active);
    }
    if !am.is_changed() {
        return Ok(current);
    }
    am.updated_at = Set(Utc::now());
    am.update(&state.db)
        .await
        .context("updating a webhook endpoint")
}

/// Deletes an endpoint and its deliveries; returns its id.
pub async fn delete(state: &AppState, ctx: &RequestContext, id: Uuid) -> Result<Uuid> {
    let org = require_admin(ctx)?;
    let current = tenancy::find::<webhook_endpoint::Entity, _>(&state.db, org, id)
        .await?
        .ok_or(Error::NotFound("webhook endpoint"))?;
    tenancy::delete_many::<webhook_endpoint::Entity>(org)
        .filter(webhook_endpoint::Column::Id.eq(current.id))
        .exec(&state.db)
        .await
        .context("deleting a webhook endpoint")?;
    Ok(current.id)
}

/// One endpoint of the caller's organization (ADMIN).
pub async fn get(
    state: &AppState,
    ctx: &RequestContext,
    id: Uuid,
) -> Result<Option<webhook_endpoint::Model>> {
    let org = require_admin(ctx)?;
    tenancy::find::<webhook_endpoint::Entity, _>(&state.db, org, id).await
}

/// A page of the organization's endpoints, oldest first (ADMIN).
pub async fn list(
    state: &AppState,
    ctx: &RequestContext,
    args: &PageArgs,
) -> Result<Page<webhook_endpoint::Model>> {
    let org = require_admin(ctx)?;
    pagination::fetch(
        &state.db,
        tenancy::select::<webhook_endpoint::Entity>(org),
        webhook_endpoint::Column::Id,
        &Ordering::by_id(),
        args,
    )
    .await
}

/// The number of endpoints `list` walks through.
pub async fn count(state: &AppState, ctx: &RequestContext) -> Result<u64> {
    let org = require_admin(ctx)?;
    tenancy::select::<webhook_endpoint::Entity>(org)
        .count(&state.db)
        .await
        .context("counting webhook endpoints")
}
