//! Memberships and organization settings (ADMIN only); invitations and API keys are in
//! `invitations` and `api_keys`, re-exported here.

use chrono::Utc;
use entity::enums::{MembershipStatus, Role};
use entity::{membership, organization, user};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    TransactionTrait,
};
use uuid::Uuid;

use crate::auth::RequestContext;
use crate::domain::input::{self, Checks};
use crate::error::{Context, Error, Result, UserErrorCode};
use crate::startup::AppState;
use crate::tenancy;

pub use super::api_keys::*;
pub use super::invitations::*;

pub(super) fn require_admin(ctx: &RequestContext) -> Result<Uuid> {
    Ok(ctx.require(&[Role::Admin])?.organization_id)
}

pub(super) fn human_role(field: &[&str], role: Role) -> Result<Role> {
    if role == Role::Integration {
        return Err(Error::invalid(
            field,
            UserErrorCode::Invalid,
            "INTEGRATION is a role for API keys, not people",
        ));
    }
    Ok(role)
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
