//! The inputs and payloads of the accounts mutations.

use async_graphql::{ID, InputObject, SimpleObject};

use super::{ApiKey, AuthToken, Membership, Organization, Role, User};
use crate::domain::accounts as domain;
use crate::error::UserError;
use crate::graphql::payload;

#[derive(InputObject)]
pub struct SignUpInput {
    pub organization_name: String,
    pub organization_slug: Option<String>,
    pub name: String,
    pub email: String,
    pub password: String,
}

#[derive(SimpleObject)]
pub struct SignUpPayload {
    pub(super) organization: Option<Organization>,
    pub(super) user: Option<User>,
    pub(super) token: Option<AuthToken>,
    pub(super) user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct LoginInput {
    pub email: String,
    pub password: String,
    /// Which organization to sign in to; the first one joined when left out.
    pub organization_slug: Option<String>,
}

/// New tokens, or why none were issued.
#[derive(SimpleObject)]
pub struct TokenPayload {
    pub(super) token: Option<AuthToken>,
    pub(super) user_errors: Vec<UserError>,
}

impl TokenPayload {
    pub(super) fn from(r: crate::error::Result<domain::AuthTokens>) -> async_graphql::Result<Self> {
        let (token, user_errors) = payload(r)?;
        Ok(Self {
            token: token.map(Into::into),
            user_errors,
        })
    }
}

#[derive(InputObject)]
pub struct RefreshTokenInput {
    pub refresh_token: String,
}

#[derive(InputObject)]
pub struct SwitchOrganizationInput {
    pub organization_id: ID,
}

#[derive(InputObject)]
pub struct InviteMemberInput {
    pub email: String,
    pub role: Role,
    /// The leader record that is this person, if any.
    pub leader_id: Option<ID>,
}

#[derive(SimpleObject)]
pub struct InviteMemberPayload {
    pub(super) membership: Option<Membership>,
    /// Single use, valid for seven days; deliver it to the invitee.
    pub(super) invitation_token: Option<String>,
    pub(super) user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct AcceptInvitationInput {
    pub invitation_token: String,
    pub password: String,
    pub name: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateMembershipInput {
    pub membership_id: ID,
    pub role: Role,
}

#[derive(SimpleObject)]
pub struct MembershipPayload {
    pub(super) membership: Option<Membership>,
    pub(super) user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct RemoveMemberInput {
    pub membership_id: ID,
}

#[derive(SimpleObject)]
pub struct RemoveMemberPayload {
    pub(super) removed_membership_id: Option<ID>,
    pub(super) user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct UpdateOrganizationSettingsInput {
    pub name: Option<String>,
    pub anonymity_threshold: Option<i32>,
    pub rating_scale_max: Option<i32>,
    pub manager_can_view_results: Option<bool>,
    pub benchmark_opt_in: Option<bool>,
}

#[derive(SimpleObject)]
pub struct OrganizationPayload {
    pub(super) organization: Option<Organization>,
    pub(super) user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct CreateApiKeyInput {
    pub name: String,
    #[graphql(default_with = "Role::Integration")]
    pub role: Role,
}

#[derive(SimpleObject)]
pub struct CreateApiKeyPayload {
    pub(super) api_key: Option<ApiKey>,
    pub(super) client_id: Option<String>,
    /// Shown only here, once: store it now.
    pub(super) client_secret: Option<String>,
    pub(super) user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct RevokeApiKeyInput {
    pub api_key_id: ID,
}

#[derive(SimpleObject)]
pub struct ApiKeyPayload {
    pub(super) api_key: Option<ApiKey>,
    pub(super) user_errors: Vec<UserError>,
}
