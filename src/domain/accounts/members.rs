//! Memberships, invitations, organization settings and API keys (ADMIN only).

use chrono::Utc;
use entity::enums::{MembershipStatus, Role};
use entity::{api_key, invitation, membership, organization, user};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    TransactionTrait,
};
use uuid::Uuid;

use super::{AuthTokens, Issuer, check_password, issue_tokens};
use crate::auth::jwt::PrincipalType;
use crate::auth::{RequestContext, password, secrets};
use crate::domain::input::{self, Checks, Email};
use crate::error::{Context, Error, Result, UserErrorCode};
use crate::startup::AppState;
use crate::tenancy;

const INVITATION_TTL_DAYS: i64 = 7;

fn require_admin(ctx: &RequestContext) -> Result<Uuid> {
    Ok(ctx.require(&[Role::Admin])?.organization_id)
}

fn human_role(field: &[&str], role: Role) -> Result<Role> {
    if role == Role::Integration {
        return Err(Error::invalid(
            field,
            UserErrorCode::Invalid,
            "INTEGRATION is a role for API keys, not people",
        ));
    }
    Ok(role)
}

/// Invites `email` with `role`: a pending membership and a single-use, expiring token.
pub async fn invite_member(
    state: &AppState,
    ctx: &RequestContext,
    email: &str,
    role: Role,
    leader_id: Option<Uuid>,
) -> Result<(membership::Model, String)> {
    let org = require_admin(ctx)?;
    let role = human_role(&["role"], role)?;
    if let Some(leader) = leader_id {
        check_leader_link(state, org, leader).await?;
    }
    let email = Email::parse(&["email"], email).map_err(|e| Error::Invalid(vec![e]))?;
    let now = Utc::now();
    let txn = state.db.begin().await.context("starting an invitation")?;
    let user = match tenancy::user_by_email(&txn, email.as_str()).await? {
        Some(u) => u,
        None => {
            let name = email
                .as_str()
                .split('@')
                .next()
                .unwrap_or("member")
                .to_owned();
            user::ActiveModel {
                id: Set(Uuid::now_v7()),
                email: Set(email.into_string()),
                name: Set(name),
                password_hash: Set(None),
                external_subject: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await
            .context("creating an invited user")?
        }
    };
    if tenancy::membership_of(&txn, org, user.id).await?.is_some() {
        return Err(Error::invalid(
            &["email"],
            UserErrorCode::Taken,
            "this person is already a member or invited",
        ));
    }
    let m = tenancy::insert(
        &txn,
        org,
        membership::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(user.id),
            role: Set(role),
            status: Set(MembershipStatus::Invited),
            leader_id: Set(leader_id),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        },
    )
    .await?;
    let token = secrets::new_token("cli");
    tenancy::insert(
        &txn,
        org,
        invitation::ActiveModel {
            id: Set(Uuid::now_v7()),
            membership_id: Set(m.id),
            token_hash: Set(secrets::digest(&token)),
            expires_at: Set(now + chrono::Duration::days(INVITATION_TTL_DAYS)),
            accepted_at: Set(None),
            created_at: Set(now),
            ..Default::default()
        },
    )
    .await?;
    txn.commit().await.context("committing an invitation")?;
    Ok((m, token))
}

/// Accepts an invitation once: sets the password of a new account (or checks the password
/// of an existing one), activates the membership and signs the user in.
pub async fn accept_invitation(
    issuer: &Issuer<'_>,
    token: &str,
    pw: String,
    name: Option<&str>,
) -> Result<AuthTokens> {
    let refused = || {
        Error::invalid(
            &["invitationToken"],
            UserErrorCode::InvalidCredentials,
            "the invitation is invalid, expired or already accepted",
        )
    };
    let Some(inv) = tenancy::invitation_by_digest(issuer.db, &secrets::digest(token)).await? else {
        return Err(refused());
    };
    let now = Utc::now();
    if inv.accepted_at.is_some() || inv.expires_at <= now {
        return Err(refused());
    }
    let org = inv.organization_id;
    let Some(m) = tenancy::find::<membership::Entity, _>(issuer.db, org, inv.membership_id).await?
    else {
        return Err(refused());
    };
    let Some(user) = tenancy::user(issuer.db, m.user_id).await? else {
        return Err(refused());
    };
    let mut checks = Checks::default();
    let name = checks
        .take(input::optional_text(&["name"], name, 200))
        .flatten();
    let new_hash = match &user.password_hash {
        Some(_) => None,
        None => {
            check_password(&mut checks, "password", &pw);
            checks.finish()?;
            Some(password::hash(pw.clone()).await?)
        }
    };
    if new_hash.is_none() && !password::verify(pw, user.password_hash.clone()).await? {
        return Err(Error::invalid(
            &["password"],
            UserErrorCode::InvalidCredentials,
            "the password of your existing account is wrong",
        ));
    }
    let txn = issuer
        .db
        .begin()
        .await
        .context("starting to accept an invitation")?;
    let claimed = tenancy::update_many::<invitation::Entity>(org)
        .col_expr(invitation::Column::AcceptedAt, Expr::value(now))
        .filter(invitation::Column::Id.eq(inv.id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .exec(&txn)
        .await
        .context("claiming an invitation")?;
    if claimed.rows_affected != 1 {
        return Err(refused());
    }
    let mut u = user.clone().into_active_model();
    if let Some(h) = new_hash {
        u.password_hash = Set(Some(h));
    }
    if let Some(n) = name {
        u.name = Set(n);
    }
    u.updated_at = Set(now);
    u.update(&txn).await.context("updating the invited user")?;
    let role = m.role;
    let mut am = m.into_active_model();
    am.status = Set(MembershipStatus::Active);
    am.updated_at = Set(now);
    am.update(&txn).await.context("activating a membership")?;
    let tokens = issue_tokens(issuer, &txn, org, user.id, role, None).await?;
    txn.commit()
        .await
        .context("committing an accepted invitation")?;
    Ok(tokens)
}

async fn other_active_admins(state: &AppState, org: Uuid, except: Uuid) -> Result<u64> {
    tenancy::select::<membership::Entity>(org)
        .filter(membership::Column::Role.eq(Role::Admin))
        .filter(membership::Column::Status.eq(MembershipStatus::Active))
        .filter(membership::Column::Id.ne(except))
        .count(&state.db)
        .await
        .context("counting admins")
}

/// Changes a member's role; the last admin cannot be demoted.
pub async fn update_membership(
    state: &AppState,
    ctx: &RequestContext,
    id: Uuid,
    role: Role,
) -> Result<membership::Model> {
    let org = require_admin(ctx)?;
    let role = human_role(&["role"], role)?;
    let m = tenancy::find::<membership::Entity, _>(&state.db, org, id)
        .await?
        .ok_or(Error::NotFound("membership"))?;
    if m.role == Role::Admin
        && role != Role::Admin
        && other_active_admins(state, org, m.id).await? == 0
    {
        return Err(Error::invalid(
            &["role"],
            UserErrorCode::InvalidState,
            "an organization needs at least one admin",
        ));
    }
    let user_id = m.user_id;
    let mut am = m.into_active_model();
    am.role = Set(role);
    am.updated_at = Set(Utc::now());
    let m = am
        .update(&state.db)
        .await
        .context("updating a membership")?;
    state.principals.invalidate(org, user_id);
    Ok(m)
}

/// Removes a member: their tokens stop working at once; the last admin cannot leave.
pub async fn remove_member(state: &AppState, ctx: &RequestContext, id: Uuid) -> Result<Uuid> {
    let org = require_admin(ctx)?;
    let m = tenancy::find::<membership::Entity, _>(&state.db, org, id)
        .await?
        .ok_or(Error::NotFound("membership"))?;
    if m.role == Role::Admin && other_active_admins(state, org, m.id).await? == 0 {
        return Err(Error::invalid(
            &["membershipId"],
            UserErrorCode::InvalidState,
            "an organization needs at least one admin",
        ));
    }
    let txn = state
        .db
        .begin()
        .await
        .context("starting to remove a member")?;
    tenancy::delete_many::<membership::Entity>(org)
        .filter(membership::Column::Id.eq(m.id))
        .exec(&txn)
        .await
        .context("removing a membership")?;
    tenancy::update_many::<entity::refresh_token::Entity>(org)
        .col_expr(
            entity::refresh_token::Column::RevokedAt,
            Expr::value(Utc::now()),
        )
        .filter(entity::refresh_token::Column::UserId.eq(m.user_id))
        .filter(entity::refresh_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await
        .context("revoking a removed member's refresh tokens")?;
    txn.commit()
        .await
        .context("committing a member's removal")?;
    state.principals.invalidate(org, m.user_id);
    Ok(m.id)
}

/// Settings an admin may change; `None` leaves a setting as it is.
#[derive(Default)]
pub struct SettingsChange {
    pub name: Option<String>,
    pub anonymity_threshold: Option<i32>,
    pub rating_scale_max: Option<i32>,
    pub manager_can_view_results: Option<bool>,
    pub benchmark_opt_in: Option<bool>,
}

pub async fn update_settings(
    state: &AppState,
    ctx: &RequestContext,
    change: SettingsChange,
) -> Result<organization::Model> {
    let org_id = require_admin(ctx)?;
    let mut checks = Checks::default();
    let name = change
        .name
        .as_deref()
        .and_then(|n| checks.take(input::required_text(&["name"], n, 200)));
    if let Some(t) = change.anonymity_threshold.filter(|t| !(2..=50).contains(t)) {
        checks.push(crate::error::UserError::new(
            &["anonymityThreshold"],
            UserErrorCode::OutOfRange,
            format!("must be between 2 and 50, got {t}"),
        ));
    }
    if let Some(s) = change.rating_scale_max.filter(|s| !(3..=10).contains(s)) {
        checks.push(crate::error::UserError::new(
            &["ratingScaleMax"],
            UserErrorCode::OutOfRange,
            format!("must be between 3 and 10, got {s}"),
        ));
    }
    checks.finish()?;
    let org = tenancy::organization(&state.db, org_id)
        .await?
        .ok_or(Error::NotFound("organization"))?;
    let mut am = org.into_active_model();
    if let Some(n) = name {
        am.name = Set(n);
    }
    if let Some(t) = change.anonymity_threshold {
        am.anonymity_threshold = Set(t);
    }
    if let Some(s) = change.rating_scale_max {
        am.rating_scale_max = Set(s);
    }
    if let Some(v) = change.manager_can_view_results {
        am.manager_can_view_results = Set(v);
    }
    if let Some(v) = change.benchmark_opt_in {
        am.benchmark_opt_in = Set(v);
    }
    am.updated_at = Set(Utc::now());
    am.update(&state.db)
        .await
        .context("updating organization settings")
}

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

/// A page of the organization's memberships (ADMIN and HR), oldest first.
pub async fn list_members(
    state: &AppState,
    ctx: &RequestContext,
    args: &crate::domain::pagination::PageArgs,
) -> Result<crate::domain::pagination::Page<membership::Model>> {
    let org = ctx.require(&[Role::Admin, Role::Hr])?.organization_id;
    crate::domain::pagination::fetch(
        &state.db,
        tenancy::select::<membership::Entity>(org),
        membership::Column::Id,
        &crate::domain::pagination::Ordering::by_id(),
        args,
    )
    .await
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

/// How many rows of `E` the organization has.
pub async fn count<E: tenancy::TenantEntity>(
    db: &sea_orm::DatabaseConnection,
    org: Uuid,
) -> Result<u64>
where
    E::Model: Sync,
{
    tenancy::select::<E>(org)
        .count(db)
        .await
        .with_context(|| format!("counting {}s", E::NAME))
}

/// A user, visible only when they belong to the caller's organization.
pub async fn visible_user(
    state: &AppState,
    ctx: &RequestContext,
    id: Uuid,
) -> Result<Option<user::Model>> {
    let org = ctx.organization_id()?;
    if tenancy::membership_of(&state.db, org, id).await?.is_none() {
        return Ok(None);
    }
    tenancy::user(&state.db, id).await
}

/// A membership may be linked to a leader of its organization that no one else claims.
async fn check_leader_link(state: &AppState, org: Uuid, leader: Uuid) -> Result<()> {
    if tenancy::find::<entity::leader::Entity, _>(&state.db, org, leader)
        .await?
        .is_none()
    {
        return Err(Error::invalid(
            &["leaderId"],
            UserErrorCode::NotFound,
            "no such leader",
        ));
    }
    let taken = tenancy::select::<membership::Entity>(org)
        .filter(membership::Column::LeaderId.eq(leader))
        .count(&state.db)
        .await
        .context("checking a leader link")?;
    if taken > 0 {
        return Err(Error::invalid(
            &["leaderId"],
            UserErrorCode::Taken,
            "another member is already linked to this leader",
        ));
    }
    Ok(())
}
