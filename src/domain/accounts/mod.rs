//! Accounts: sign-up, login, token refresh and organization switching.

pub mod api_keys;
pub mod invitations;
pub mod members;
pub mod operator;

use chrono::{DateTime, Utc};
use entity::enums::{MembershipStatus, Role};
use entity::{membership, organization, refresh_token, user};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, PaginatorTrait,
    QueryFilter, TransactionTrait,
};
use uuid::Uuid;

use crate::auth::jwt::{JwtKeys, PrincipalType};
use crate::auth::{RequestContext, password, secrets};
use crate::domain::input::{self, Checks, Email};
use crate::error::{Context, Error, Result, UserErrorCode};
use crate::tenancy;

/// An access token with the refresh token that renews it.
#[derive(Debug, Clone)]
pub struct AuthTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_at: DateTime<Utc>,
}

/// What the service needs to issue tokens.
pub struct Issuer<'a> {
    pub db: &'a DatabaseConnection,
    pub jwt: &'a JwtKeys,
    pub refresh_ttl: std::time::Duration,
}

pub struct SignUp {
    pub organization_name: String,
    pub organization_slug: Option<String>,
    pub name: String,
    pub email: String,
    pub password: String,
}

pub struct SignedUp {
    pub organization: organization::Model,
    pub user: user::Model,
    pub tokens: AuthTokens,
}

fn check_password(checks: &mut Checks, field: &str, pw: &str) {
    if pw.chars().count() < password::MIN_PASSWORD_LEN {
        checks.push(crate::error::UserError::new(
            &[field],
            UserErrorCode::TooShort,
            format!(
                "a password needs at least {} characters",
                password::MIN_PASSWORD_LEN
            ),
        ));
    } else if pw.len() > password::MAX_PASSWORD_LEN {
        checks.push(crate::error::UserError::new(
            &[field],
            UserErrorCode::TooLong,
            format!(
                "a password has at most {} bytes",
                password::MAX_PASSWORD_LEN
            ),
        ));
    }
}

/// Creates an organization with its first admin, and signs the admin in.
pub async fn sign_up(issuer: &Issuer<'_>, input: SignUp) -> Result<SignedUp> {
    let mut checks = Checks::default();
    let org_name = checks.take(input::required_text(
        &["organizationName"],
        &input.organization_name,
        200,
    ));
    let slug = match input
        .organization_slug
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(s) => checks.take(input::slug(&["organizationSlug"], s)),
        None => org_name.as_deref().map(input::slugify),
    };
    let name = checks.take(input::required_text(&["name"], &input.name, 200));
    let email = checks.take(Email::parse(&["email"], &input.email));
    check_password(&mut checks, "password", &input.password);
    checks.finish()?;
    let (Some(org_name), Some(mut slug), Some(name), Some(email)) = (org_name, slug, name, email)
    else {
        return Err(Error::BadUserInput("invalid sign-up".to_owned()));
    };
    if tenancy::user_by_email(issuer.db, email.as_str())
        .await?
        .is_some()
    {
        return Err(Error::invalid(
            &["email"],
            UserErrorCode::Taken,
            "an account with this email exists; log in instead",
        ));
    }
    if tenancy::organization_by_slug(issuer.db, &slug)
        .await?
        .is_some()
    {
        if input.organization_slug.is_some() {
            return Err(Error::invalid(
                &["organizationSlug"],
                UserErrorCode::Taken,
                "this slug is taken",
            ));
        }
        slug = format!("{slug}-{}", &crate::config::random_hex(3));
    }
    let hash = password::hash(input.password).await?;
    let now = Utc::now();
    let txn = issuer.db.begin().await.context("starting sign-up")?;
    let org = organization::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(org_name),
        slug: Set(slug),
        anonymity_threshold: Set(3),
        rating_scale_max: Set(5),
        manager_can_view_results: Set(true),
        benchmark_opt_in: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let org = sea_orm::ActiveModelTrait::insert(org, &txn)
        .await
        .map_err(|e| {
            crate::error::taken_or_unexpected(
                e,
                &["organizationSlug"],
                "this slug is taken",
                "creating the organization",
            )
        })?;
    let user = user::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email.into_string()),
        name: Set(name),
        password_hash: Set(Some(hash)),
        external_subject: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let user = sea_orm::ActiveModelTrait::insert(user, &txn)
        .await
        .map_err(|e| {
            crate::error::taken_or_unexpected(
                e,
                &["email"],
                "an account with this email exists; log in instead",
                "creating the user",
            )
        })?;
    tenancy::insert(
        &txn,
        org.id,
        membership::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(user.id),
            role: Set(Role::Admin),
            status: Set(MembershipStatus::Active),
            leader_id: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        },
    )
    .await?;
    let tokens = issue_tokens(issuer, &txn, org.id, user.id, Role::Admin, None).await?;
    txn.commit().await.context("committing sign-up")?;
    Ok(SignedUp {
        organization: org,
        user,
        tokens,
    })
}

/// Signs a user in with email and password, into the named organization or their first.
pub async fn login(
    issuer: &Issuer<'_>,
    email: &str,
    pw: String,
    org_slug: Option<&str>,
) -> Result<AuthTokens> {
    let refused = || {
        Error::invalid(
            &[],
            UserErrorCode::InvalidCredentials,
            "the email or password is wrong",
        )
    };
    let email = Email::parse(&["email"], email).ok();
    let user = match &email {
        Some(e) => tenancy::user_by_email(issuer.db, e.as_str()).await?,
        None => None,
    };
    // Verify even when there is no such user, so that both cases take the same time.
    let ok = password::verify(pw, user.as_ref().and_then(|u| u.password_hash.clone())).await?;
    let Some(user) = user.filter(|_| ok) else {
        return Err(refused());
    };
    let memberships = tenancy::memberships_of_user(issuer.db, user.id).await?;
    let target = match org_slug.map(str::trim).filter(|s| !s.is_empty()) {
        Some(slug) => {
            let org = tenancy::organization_by_slug(issuer.db, slug).await?;
            org.and_then(|o| {
                memberships
                    .iter()
                    .find(|m| m.organization_id == o.id && m.status == MembershipStatus::Active)
                    .cloned()
            })
        }
        None => memberships
            .iter()
            .filter(|m| m.status == MembershipStatus::Active)
            .min_by_key(|m| m.created_at)
            .cloned(),
    };
    let Some(m) = target else {
        return Err(Error::invalid(
            &["organizationSlug"],
            UserErrorCode::NotFound,
            "you are not a member of that organization",
        ));
    };
    issue_tokens(issuer, issuer.db, m.organization_id, user.id, m.role, None).await
}

/// Issues an access token and a new refresh token (in `family`, or a new family).
pub async fn issue_tokens<C: ConnectionTrait>(
    issuer: &Issuer<'_>,
    db: &C,
    org: Uuid,
    user_id: Uuid,
    role: Role,
    family: Option<Uuid>,
) -> Result<AuthTokens> {
    let access = issuer.jwt.issue(PrincipalType::User, user_id, org, role)?;
    let refresh = secrets::new_token("clr");
    let now = Utc::now();
    tenancy::insert(
        db,
        org,
        refresh_token::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(user_id),
            family_id: Set(family.unwrap_or_else(Uuid::now_v7)),
            token_hash: Set(secrets::digest(&refresh)),
            expires_at: Set(now
                + chrono::Duration::from_std(issuer.refresh_ttl)
                    .unwrap_or(chrono::Duration::days(30))),
            used_at: Set(None),
            revoked_at: Set(None),
            created_at: Set(now),
            ..Default::default()
        },
    )
    .await?;
    Ok(AuthTokens {
        access_token: access.token,
        refresh_token: refresh,
        expires_at: access.expires_at,
    })
}

/// Exchanges a refresh token for new tokens. Each refresh token works once: reusing one
/// revokes its whole family, since it means the token was stolen or replayed.
pub async fn refresh(issuer: &Issuer<'_>, token: &str) -> Result<AuthTokens> {
    let refused = || {
        Error::invalid(
            &["refreshToken"],
            UserErrorCode::InvalidCredentials,
            "the refresh token is invalid, expired or already used",
        )
    };
    let Some(row) = tenancy::refresh_token_by_digest(issuer.db, &secrets::digest(token)).await?
    else {
        return Err(refused());
    };
    let now = Utc::now();
    if row.revoked_at.is_some() || row.expires_at <= now {
        return Err(refused());
    }
    // Claim the token and issue its successor in one transaction: of two concurrent uses
    // only one updates the row, and the loser revokes the family after the winner commits.
    let org = row.organization_id;
    let txn = issuer
        .db
        .begin()
        .await
        .context("starting a token refresh")?;
    let claimed = tenancy::update_many::<refresh_token::Entity>(org)
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(row.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await
        .context("claiming a refresh token")?;
    if claimed.rows_affected != 1 {
        drop(txn);
        revoke_family(issuer.db, org, row.family_id).await?;
        tracing::warn!(family = %row.family_id, "a refresh token was reused; its family is revoked");
        return Err(refused());
    }
    let revoked = tenancy::select::<refresh_token::Entity>(org)
        .filter(refresh_token::Column::FamilyId.eq(row.family_id))
        .filter(refresh_token::Column::RevokedAt.is_not_null())
        .count(&txn)
        .await
        .context("checking a token family")?;
    let m = tenancy::membership_of(&txn, org, row.user_id).await?;
    let Some(m) = m.filter(|m| m.status == MembershipStatus::Active && revoked == 0) else {
        return Err(refused());
    };
    let tokens = issue_tokens(issuer, &txn, org, row.user_id, m.role, Some(row.family_id)).await?;
    txn.commit().await.context("committing a token refresh")?;
    Ok(tokens)
}

pub async fn revoke_family<C: ConnectionTrait>(db: &C, org: Uuid, family: Uuid) -> Result<()> {
    tenancy::update_many::<refresh_token::Entity>(org)
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(refresh_token::Column::FamilyId.eq(family))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await
        .context("revoking a refresh token family")?;
    Ok(())
}

/// Gives the signed-in user tokens for another organization they belong to.
pub async fn switch_organization(
    issuer: &Issuer<'_>,
    ctx: &RequestContext,
    org: Uuid,
) -> Result<AuthTokens> {
    let user_id = ctx.user_id()?;
    let m = tenancy::membership_of(issuer.db, org, user_id).await?;
    let Some(m) = m.filter(|m| m.status == MembershipStatus::Active) else {
        return Err(Error::invalid(
            &["organizationId"],
            UserErrorCode::NotFound,
            "organization not found",
        ));
    };
    issue_tokens(issuer, issuer.db, org, user_id, m.role, None).await
}
