//! Operator conveniences behind the CLI: a token for an existing membership, and an
//! idempotent demo organization.

use entity::enums::MembershipStatus;

use super::{AuthTokens, Issuer, SignUp, login, sign_up};
use crate::auth::jwt::{PrincipalType, SignedToken};
use crate::error::{Error, Result};
use crate::tenancy;

/// An access token for the active membership of `email` in the organization `slug`.
pub async fn token_for(issuer: &Issuer<'_>, slug: &str, email: &str) -> Result<SignedToken> {
    let org = tenancy::organization_by_slug(issuer.db, slug.trim())
        .await?
        .ok_or(Error::NotFound("organization"))?;
    let user = tenancy::user_by_email(issuer.db, &email.trim().to_lowercase())
        .await?
        .ok_or(Error::NotFound("user"))?;
    let m = tenancy::membership_of(issuer.db, org.id, user.id)
        .await?
        .filter(|m| m.status == MembershipStatus::Active)
        .ok_or(Error::NotFound("active membership"))?;
    issuer
        .jwt
        .issue(PrincipalType::User, user.id, org.id, m.role)
}

pub const DEMO_SLUG: &str = "demo";
pub const DEMO_EMAIL: &str = "admin@demo.colead.test";
pub const DEMO_PASSWORD: &str = "colead-demo-password";

/// Creates the demo organization and its admin unless they exist; signs the admin in.
pub async fn demo(issuer: &Issuer<'_>) -> Result<AuthTokens> {
    if tenancy::organization_by_slug(issuer.db, DEMO_SLUG)
        .await?
        .is_none()
    {
        sign_up(
            issuer,
            SignUp {
                organization_name: "Demo Organization".to_owned(),
                organization_slug: Some(DEMO_SLUG.to_owned()),
                name: "Demo Admin".to_owned(),
                email: DEMO_EMAIL.to_owned(),
                password: DEMO_PASSWORD.to_owned(),
            },
        )
        .await?;
    }
    login(
        issuer,
        DEMO_EMAIL,
        DEMO_PASSWORD.to_owned(),
        Some(DEMO_SLUG),
    )
    .await
}
