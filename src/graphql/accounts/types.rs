//! GraphQL types of the accounts area: Organization, User, Membership, ApiKey, Viewer.

use async_graphql::futures_util::FutureExt;
use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{api_key, membership, organization, user};

use crate::auth::jwt::PrincipalType;
use crate::domain::accounts::members;
use crate::graphql::connection::{self, Connection};
use crate::graphql::ids::{self, Kind};
use crate::graphql::loaders::{LeaderLoader, UserLoader};
use crate::graphql::parts;
use crate::graphql::people::Leader;

/// A role inside one organization.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::Role")]
pub enum Role {
    /// Everything inside the organization: settings, members, API keys, and all HR may.
    Admin,
    /// People, teams, frameworks, cycles, and anonymized results.
    Hr,
    /// The directory, one's own reviews, results and plans.
    Member,
    /// Machine clients (HRIS feeds): people and teams only.
    Integration,
}

/// Whether a membership is waiting for its invitation to be accepted.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::MembershipStatus")]
pub enum MembershipStatus {
    Invited,
    Active,
}

/// What kind of principal a request speaks for.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum PrincipalKind {
    User,
    ApiKey,
}

/// A tenant: everything in colead belongs to exactly one organization.
pub struct Organization(pub organization::Model);

/// Settings that shape assessments and who sees results.
#[derive(SimpleObject)]
pub struct OrganizationSettings {
    /// The fewest raters a group needs before its scores are shown (at least 2).
    anonymity_threshold: i32,
    /// The top of the rating scale (ratings run from 1).
    rating_scale_max: i32,
    /// Whether a manager sees the released results of direct reports.
    manager_can_view_results: bool,
    /// Whether the organization contributes to anonymous cross-organization benchmarks.
    benchmark_opt_in: bool,
}

#[Object]
impl Organization {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Organization, self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// A unique, URL-friendly name, used to choose the organization at login.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn settings(&self) -> OrganizationSettings {
        OrganizationSettings {
            anonymity_threshold: self.0.anonymity_threshold,
            rating_scale_max: self.0.rating_scale_max,
            manager_can_view_results: self.0.manager_can_view_results,
            benchmark_opt_in: self.0.benchmark_opt_in,
        }
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Members and pending invitations (ADMIN and HR), oldest first.
    async fn members(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Connection<Membership>> {
        let (rctx, state) = parts(ctx);
        self.check_is_callers(rctx)?;
        let args = connection::args(first, after, last, before)?;
        let page = members::list_members(state, rctx, &args).await?;
        let (db, org) = (state.db.clone(), self.0.id);
        Ok(connection::from_page(page, Membership, move || {
            let db = db.clone();
            async move { members::count::<membership::Entity>(&db, org).await }.boxed()
        }))
    }
    /// API keys of machine clients (ADMIN), oldest first.
    async fn api_keys(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Connection<ApiKey>> {
        let (rctx, state) = parts(ctx);
        self.check_is_callers(rctx)?;
        let args = connection::args(first, after, last, before)?;
        let page = members::list_api_keys(state, rctx, &args).await?;
        let (db, org) = (state.db.clone(), self.0.id);
        Ok(connection::from_page(page, ApiKey, move || {
            let db = db.clone();
            async move { members::count::<api_key::Entity>(&db, org).await }.boxed()
        }))
    }
}

impl Organization {
    /// Lists hang off the caller's own organization only (a sign-up payload can show a
    /// new organization to a caller whose token names another).
    fn check_is_callers(&self, ctx: &crate::auth::RequestContext) -> crate::error::Result<()> {
        if ctx.organization_id()? == self.0.id {
            Ok(())
        } else {
            Err(crate::error::Error::Forbidden)
        }
    }
}

/// A person who can log in; one user may belong to several organizations.
pub struct User(pub user::Model);

#[Object]
impl User {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::User, self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
}

/// A user's role in the organization.
pub struct Membership(pub membership::Model);

#[Object]
impl Membership {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Membership, self.0.id)
    }
    async fn role(&self) -> Role {
        self.0.role.into()
    }
    async fn status(&self) -> MembershipStatus {
        self.0.status.into()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The leader record that is this member, if linked.
    async fn leader(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Leader>> {
        let Some(id) = self.0.leader_id else {
            return Ok(None);
        };
        Ok(crate::graphql::loaders::one::<LeaderLoader>(ctx, id)
            .await?
            .map(Leader))
    }
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        Ok(
            crate::graphql::loaders::one::<UserLoader>(ctx, self.0.user_id)
                .await?
                .map(User),
        )
    }
}

/// A machine client of the organization. Its secret is shown once, at creation.
pub struct ApiKey(pub api_key::Model);

#[Object]
impl ApiKey {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::ApiKey, self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn role(&self) -> Role {
        self.0.role.into()
    }
    /// The `client_id` for `POST /oauth/token`.
    async fn client_id(&self) -> &str {
        &self.0.client_id
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}

/// Who is asking: a user or an API key, in one organization.
pub struct Viewer;

#[Object]
impl Viewer {
    async fn kind(&self, ctx: &Context<'_>) -> async_graphql::Result<PrincipalKind> {
        let (rctx, _) = parts(ctx);
        Ok(match rctx.principal()?.kind {
            PrincipalType::User => PrincipalKind::User,
            PrincipalType::ApiKey => PrincipalKind::ApiKey,
            PrincipalType::Review => return Err(crate::error::Error::Forbidden.into()),
        })
    }
    /// The signed-in user; null for an API key.
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let (rctx, state) = parts(ctx);
        match rctx.user_id() {
            Ok(id) => Ok(crate::tenancy::user(&state.db, id).await?.map(User)),
            Err(_) => Ok(None),
        }
    }
    async fn organization(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Organization>> {
        super::current_organization(ctx).await
    }
    async fn roles(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Role>> {
        Ok(vec![parts(ctx).0.principal()?.role.into()])
    }
    /// The leader record linked to the signed-in member, if any.
    async fn leader(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Leader>> {
        let Some(id) = parts(ctx).0.principal()?.leader_id else {
            return Ok(None);
        };
        Ok(crate::graphql::loaders::one::<LeaderLoader>(ctx, id)
            .await?
            .map(Leader))
    }
    /// The user's membership in this organization; null for an API key.
    async fn membership(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Membership>> {
        let (rctx, state) = parts(ctx);
        let Some(id) = rctx.principal()?.membership_id else {
            return Ok(None);
        };
        let org = rctx.organization_id()?;
        Ok(
            crate::tenancy::find::<membership::Entity, _>(&state.db, org, id)
                .await?
                .map(Membership),
        )
    }
}

/// Tokens returned by sign-up, login, refresh and invitation acceptance.
#[derive(SimpleObject)]
pub struct AuthToken {
    /// A JWT for `Authorization: Bearer`; short-lived.
    pub access_token: String,
    /// Exchanges once for new tokens through `refreshToken`.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    pub expires_at: DateTime<Utc>,
}

impl From<crate::domain::accounts::AuthTokens> for AuthToken {
    fn from(t: crate::domain::accounts::AuthTokens) -> Self {
        Self {
            access_token: t.access_token,
            refresh_token: t.refresh_token,
            token_type: "Bearer",
            expires_at: t.expires_at,
        }
    }
}
