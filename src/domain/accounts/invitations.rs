//! Invitations (ADMIN only): inviting a member and accepting an invitation once.

use chrono::Utc;
use entity::enums::{MembershipStatus, Role};
use entity::{invitation, membership, user};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    TransactionTrait,
};
use uuid::Uuid;

use super::members::{human_role, require_admin};
use super::{AuthTokens, Issuer, check_password, issue_tokens};
use crate::auth::{RequestContext, password, secrets};
use crate::domain::input::{self, Checks, Email};
use crate::error::{Context, Error, Result, UserErrorCode};
use crate::startup::AppState;
use crate::tenancy;

const INVITATION_TTL_DAYS: i64 = 7;

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
