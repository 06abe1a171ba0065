//! Queries and mutations of the accounts area.

pub mod inputs;
pub mod types;

use async_graphql::{Context, Object};

use crate::domain::accounts::{self as domain, Issuer, members};
use crate::graphql::ids::{self, Kind};
use crate::graphql::{parts, payload};
pub use inputs::*;
pub use types::*;

#[derive(Default)]
pub struct AccountsQuery;

pub(crate) async fn current_organization(
    ctx: &Context<'_>,
) -> async_graphql::Result<Option<Organization>> {
    let (rctx, state) = parts(ctx);
    let org = rctx.organization_id()?;
    Ok(crate::tenancy::organization(&state.db, org)
        .await?
        .map(Organization))
}

#[Object]
impl AccountsQuery {
    /// The principal making the request.
    async fn viewer(&self, ctx: &Context<'_>) -> async_graphql::Result<Viewer> {
        parts(ctx).0.principal()?;
        Ok(Viewer)
    }
    /// The organization of the request's token.
    async fn organization(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Organization>> {
        current_organization(ctx).await
    }
}

fn issuer(state: &crate::startup::AppState) -> Issuer<'_> {
    Issuer {
        db: &state.db,
        jwt: &state.jwt,
        refresh_ttl: state.config.refresh_token_ttl,
    }
}

#[derive(Default)]
pub struct AccountsMutation;

#[Object]
impl AccountsMutation {
    /// Creates an organization with its first admin and signs the admin in.
    async fn sign_up(
        &self,
        ctx: &Context<'_>,
        input: SignUpInput,
    ) -> async_graphql::Result<SignUpPayload> {
        let (_, state) = parts(ctx);
        let r = domain::sign_up(
            &issuer(state),
            domain::SignUp {
                organization_name: input.organization_name,
                organization_slug: input.organization_slug,
                name: input.name,
                email: input.email,
                password: input.password,
            },
        )
        .await;
        let (done, user_errors) = payload(r)?;
        Ok(match done {
            Some(d) => SignUpPayload {
                organization: Some(Organization(d.organization)),
                user: Some(User(d.user)),
                token: Some(d.tokens.into()),
                user_errors,
            },
            None => SignUpPayload {
                organization: None,
                user: None,
                token: None,
                user_errors,
            },
        })
    }

    async fn login(
        &self,
        ctx: &Context<'_>,
        input: LoginInput,
    ) -> async_graphql::Result<TokenPayload> {
        let (rctx, state) = parts(ctx);
        crate::ratelimit::login_attempt(state, rctx.client_ip, &input.email).await?;
        let result = domain::login(
            &issuer(state),
            &input.email,
            input.password,
            input.organization_slug.as_deref(),
        )
        .await;
        if result.is_ok() {
            crate::ratelimit::login_succeeded(state, &input.email).await;
        }
        TokenPayload::from(result)
    }

    /// Exchanges a refresh token (once) for new tokens.
    async fn refresh_token(
        &self,
        ctx: &Context<'_>,
        input: RefreshTokenInput,
    ) -> async_graphql::Result<TokenPayload> {
        let (_, state) = parts(ctx);
        TokenPayload::from(domain::refresh(&issuer(state), &input.refresh_token).await)
    }

    /// Tokens for another organization the signed-in user belongs to.
    async fn switch_organization(
        &self,
        ctx: &Context<'_>,
        input: SwitchOrganizationInput,
    ) -> async_graphql::Result<TokenPayload> {
        let (rctx, state) = parts(ctx);
        rctx.user_id()?;
        let org = ids::decode(Kind::Organization, &input.organization_id)?;
        TokenPayload::from(domain::switch_organization(&issuer(state), rctx, org).await)
    }

    /// Invites a person (ADMIN); returns the invitation token to deliver.
    async fn invite_member(
        &self,
        ctx: &Context<'_>,
        input: InviteMemberInput,
    ) -> async_graphql::Result<InviteMemberPayload> {
        let (rctx, state) = parts(ctx);
        let leader = input
            .leader_id
            .as_ref()
            .map(|i| ids::decode(Kind::Leader, i))
            .transpose()?;
        let invited =
            members::invite_member(state, rctx, &input.email, input.role.into(), leader).await;
        let (done, user_errors) = payload(invited)?;
        let (membership, invitation_token) = match done {
            Some((m, t)) => (Some(Membership(m)), Some(t)),
            None => (None, None),
        };
        Ok(InviteMemberPayload {
            membership,
            invitation_token,
            user_errors,
        })
    }

    /// Accepts an invitation (once) and signs the invitee in.
    async fn accept_invitation(
        &self,
        ctx: &Context<'_>,
        input: AcceptInvitationInput,
    ) -> async_graphql::Result<TokenPayload> {
        let (_, state) = parts(ctx);
        TokenPayload::from(
            members::accept_invitation(
                &issuer(state),
                &input.invitation_token,
                input.password,
                input.name.as_deref(),
            )
            .await,
        )
    }

    /// Changes a member's role (ADMIN).
    async fn update_membership(
        &self,
        ctx: &Context<'_>,
        input: UpdateMembershipInput,
    ) -> async_graphql::Result<MembershipPayload> {
        let (rctx, state) = parts(ctx);
        let id = ids::decode(Kind::Membership, &input.membership_id)?;
        let (m, user_errors) =
            payload(members::update_membership(state, rctx, id, input.role.into()).await)?;
        Ok(MembershipPayload {
            membership: m.map(Membership),
            user_errors,
        })
    }

    /// Removes a member (ADMIN); their tokens stop working at once.
    async fn remove_member(
        &self,
        ctx: &Context<'_>,
        input: RemoveMemberInput,
    ) -> async_graphql::Result<RemoveMemberPayload> {
        let (rctx, state) = parts(ctx);
        let id = ids::decode(Kind::Membership, &input.membership_id)?;
        let (removed, user_errors) = payload(members::remove_member(state, rctx, id).await)?;
        Ok(RemoveMemberPayload {
            removed_membership_id: removed.map(|id| ids::encode(Kind::Membership, id)),
            user_errors,
        })
    }

    /// Changes organization settings (ADMIN); fields left out stay as they are.
    async fn update_organization_settings(
        &self,
        ctx: &Context<'_>,
        input: UpdateOrganizationSettingsInput,
    ) -> async_graphql::Result<OrganizationPayload> {
        let (rctx, state) = parts(ctx);
        let change = members::SettingsChange {
            name: input.name,
            anonymity_threshold: input.anonymity_threshold,
            rating_scale_max: input.rating_scale_max,
            manager_can_view_results: input.manager_can_view_results,
            benchmark_opt_in: input.benchmark_opt_in,
        };
        let (org, user_errors) = payload(members::update_settings(state, rctx, change).await)?;
        Ok(OrganizationPayload {
            organization: org.map(Organization),
            user_errors,
        })
    }

    /// Creates an API key (ADMIN). The secret is in this response only.
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        input: CreateApiKeyInput,
    ) -> async_graphql::Result<CreateApiKeyPayload> {
        let (rctx, state) = parts(ctx);
        let (done, user_errors) =
            payload(members::create_api_key(state, rctx, &input.name, input.role.into()).await)?;
        Ok(match done {
            Some((key, secret)) => CreateApiKeyPayload {
                client_id: Some(key.client_id.clone()),
                api_key: Some(ApiKey(key)),
                client_secret: Some(secret),
                user_errors,
            },
            None => CreateApiKeyPayload {
                api_key: None,
                client_id: None,
                client_secret: None,
                user_errors,
            },
        })
    }

    /// Revokes an API key (ADMIN); its tokens stop working at once.
    async fn revoke_api_key(
        &self,
        ctx: &Context<'_>,
        input: RevokeApiKeyInput,
    ) -> async_graphql::Result<ApiKeyPayload> {
        let (rctx, state) = parts(ctx);
        let id = ids::decode(Kind::ApiKey, &input.api_key_id)?;
        let (key, user_errors) = payload(members::revoke_api_key(state, rctx, id).await)?;
        Ok(ApiKeyPayload {
            api_key: key.map(ApiKey),
            user_errors,
        })
    }
}
