//! Lookups that come before an organization is known, or that span organizations:
//! memberships and API keys by their keys, the organizations themselves, the global
//! users, and tokens by digest.
#![allow(clippy::disallowed_methods)]

use entity::{api_key, invitation, membership, organization, refresh_token, user};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{find, select};
use crate::error::{Context, Result};

/// The membership of `user_id` in `org`, whatever its status.
pub async fn membership_of<C: ConnectionTrait>(
    db: &C,
    org: Uuid,
    user_id: Uuid,
) -> Result<Option<membership::Model>> {
    select::<membership::Entity>(org)
        .filter(membership::Column::UserId.eq(user_id))
        .one(db)
        .await
        .context("loading a membership")
}

pub async fn api_key_by_id<C: ConnectionTrait>(
    db: &C,
    org: Uuid,
    id: Uuid,
) -> Result<Option<api_key::Model>> {
    find::<api_key::Entity, _>(db, org, id).await
}

// ---- Global tables and lookups that precede knowing the organization. ----

/// Organizations are the tenants themselves: read by id or slug, never listed.
pub async fn organization<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> Result<Option<organization::Model>> {
    organization::Entity::find_by_id(id)
        .one(db)
        .await
        .context("loading an organization")
}

pub async fn organization_by_slug<C: ConnectionTrait>(
    db: &C,
    slug: &str,
) -> Result<Option<organization::Model>> {
    organization::Entity::find()
        .filter(organization::Column::Slug.eq(slug))
        .one(db)
        .await
        .context("loading an organization by slug")
}

/// Users are global identities (one login across organizations).
pub async fn user<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<Option<user::Model>> {
    user::Entity::find_by_id(id)
        .one(db)
        .await
        .context("loading a user")
}

pub async fn users<C: ConnectionTrait>(
    db: &C,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<user::Model>> {
    user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await
        .context("loading users")
}

pub async fn user_by_email<C: ConnectionTrait>(db: &C, email: &str) -> Result<Option<user::Model>> {
    user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await
        .context("loading a user by email")
}

pub async fn user_by_external_subject<C: ConnectionTrait>(
    db: &C,
    subject: &str,
) -> Result<Option<user::Model>> {
    user::Entity::find()
        .filter(user::Column::ExternalSubject.eq(subject))
        .one(db)
        .await
        .context("loading a user by external subject")
}

/// Links a user to an identity provider's subject (first sign-in through the provider).
pub async fn link_external_subject<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    subject: &str,
) -> Result<()> {
    user::Entity::update_many()
        .col_expr(
            user::Column::ExternalSubject,
            sea_orm::sea_query::Expr::value(subject),
        )
        .filter(user::Column::Id.eq(user_id))
        .filter(user::Column::ExternalSubject.is_null())
        .exec(db)
        .await
        .context("linking an external subject")?;
    Ok(())
}

/// All memberships of one user, across organizations (for login and switching).
pub async fn memberships_of_user<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
) -> Result<Vec<membership::Model>> {
    membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .all(db)
        .await
        .context("loading a user's memberships")
}

/// Token lookups happen before the organization is known: the token's digest is the key.
pub async fn refresh_token_by_digest<C: ConnectionTrait>(
    db: &C,
    digest: &str,
) -> Result<Option<refresh_token::Model>> {
    refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(digest))
        .one(db)
        .await
        .context("loading a refresh token")
}

pub async fn invitation_by_digest<C: ConnectionTrait>(
    db: &C,
    digest: &str,
) -> Result<Option<invitation::Model>> {
    invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(digest))
        .one(db)
        .await
        .context("loading an invitation")
}

pub async fn api_key_by_client_id<C: ConnectionTrait>(
    db: &C,
    client_id: &str,
) -> Result<Option<api_key::Model>> {
    api_key::Entity::find()
        .filter(api_key::Column::ClientId.eq(client_id))
        .one(db)
        .await
        .context("loading an API key")
}
