//! API keys (ADMIN only) and the client-credentials exchange that signs them in.

use chrono::Utc;
use entity::api_key;
use entity::enums::Role;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, IntoActiveModel, QueryFilter};
use uuid::Uuid;

use super::members::require_admin;
use crate::auth::jwt::PrincipalType;
use crate::auth::{RequestContext, secrets};
use crate::domain::input;
use crate::error::{Context, Error, Result, UserErrorCode};
use crate::startup::AppState;
use crate::tenancy;

/// A new API key: the secret is returned here once and stored only as a digest.
pub async fn create_api_key(
    state: &AppState,
    ctx: &RequestContext,
    name: &str,
    role: Role,
) -> Result<(api_key::Model, String)> {
    let org = require_admin(ctx)?;
    if role != Role::Integration {
        return Err(Error::invalid(
            &["role"],
            UserErrorCode::Invalid,
            "an API key's role is INTEGRATION",
        ));
    }
    let name = input::required_text(&["name"], name, 200).map_err(|e| Error::Invalid(vec![e]))?;
    let secret = secrets::new_token("cls");
    let key = tenancy::insert(
        &state.db,
        org,
        api_key::ActiveModel {
            id: Set(Uuid::now_v7()),
            name: Set(name),
            role: Set(role),
            client_id: Set(format!("clk_{}", crate::config::random_hex(12))),
            secret_hash: Set(secrets::digest(&secret)),
            created_by: Set(ctx.user_id().ok()),
            last_used_at: Set(None),
            revoked_at: Set(None),
            created_at: Set(Utc::now()),
            ..Default::default()
        },
    )
    .await?;
    Ok((key, secret))
}

pub async fn revoke_api_key(
    state: &AppState,
    ctx: &RequestContext,
    id: Uuid,
) -> Result<api_key::Model> {
    let org = require_admin(ctx)?;
    let key = tenancy::find::<api_key::Entity, _>(&state.db, org, id)
        .await?
        .ok_or(Error::NotFound("API key"))?;
    if key.revoked_at.is_some() {
        return Ok(key);
    }
    let mut am = key.into_active_model();
    am.revoked_at = Set(Some(Utc::now()));
    let key = am.update(&state.db).await.context("revoking an API key")?;
    state.principals.invalidate(org, key.id);
    Ok(key)
}

/// Why a client-credentials exchange was refused (RFC 6749 §5.2).
#[derive(Debug, PartialEq, Eq)]
pub enum ClientAuthError {
    InvalidClient,
    Internal,
}

/// Exchanges an API key's client id and secret for an access token.
pub async fn exchange_client_credentials(
    state: &AppState,
    client_id: &str,
    secret: &str,
) -> std::result::Result<crate::auth::jwt::SignedToken, ClientAuthError> {
    let key = tenancy::api_key_by_client_id(&state.db, client_id)
        .await
        .map_err(|_| ClientAuthError::Internal)?;
    let digest = secrets::digest(secret);
    let Some(key) = key
        .filter(|k| k.revoked_at.is_none() && secrets::constant_time_eq(&k.secret_hash, &digest))
    else {
        return Err(ClientAuthError::InvalidClient);
    };
    let org = key.organization_id;
    let _ = tenancy::update_many::<api_key::Entity>(org)
        .col_expr(api_key::Column::LastUsedAt, Expr::value(Utc::now()))
        .filter(api_key::Column::Id.eq(key.id))
        .exec(&state.db)
        .await;
    state
        .jwt
        .issue(PrincipalType::ApiKey, key.id, org, key.role)
        .map_err(|_| ClientAuthError::Internal)
}

/// A page of the organization's API keys (ADMIN), oldest first.
pub async fn list_api_keys(
    state: &AppState,
    ctx: &RequestContext,
    args: &crate::domain::pagination::PageArgs,
) -> Result<crate::domain::pagination::Page<api_key::Model>> {
    let org = require_admin(ctx)?;
    crate::domain::pagination::fetch(
        &state.db,
        tenancy::select::<api_key::Entity>(org),
        api_key::Column::Id,
        &crate::domain::pagination::Ordering::by_id(),
        args,
    )
    .await
}
