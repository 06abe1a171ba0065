//! Relay object identification: the `Node` interface, `node(id)` and `nodes(ids)`.
//! Every lookup is scoped to the caller's organization; another organization's object is
//! not found (null), never forbidden.

use async_graphql::{Context, ID, Interface, Object};
use entity::enums::Role;
use entity::{api_key, behavior, indicator, membership};

use crate::domain::integrations::webhooks;
use crate::domain::{frameworks, people};
use crate::graphql::accounts::{ApiKey, Membership, Organization, User};
use crate::graphql::audit::AuditEvent;
use crate::graphql::cycles::{Assessment, AssessmentCycle};
use crate::graphql::frameworks::{Behavior, Framework, Indicator};
use crate::graphql::ids::{self, Kind};
use crate::graphql::parts;
use crate::graphql::people::{Leader, Team};
use crate::graphql::plans::{Action, CheckIn, DevelopmentPlan, Goal, PlanSupporter};
use crate::graphql::reviews::Review;
use crate::graphql::webhooks::{WebhookDelivery, WebhookEndpoint};
use crate::tenancy;

/// An object with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"))]
pub enum Node {
    Organization(Organization),
    User(User),
    Membership(Membership),
    ApiKey(ApiKey),
    Leader(Leader),
    Team(Team),
    Framework(Framework),
    Behavior(Behavior),
    Indicator(Indicator),
    AssessmentCycle(AssessmentCycle),
    Assessment(Assessment),
    Review(Review),
    DevelopmentPlan(DevelopmentPlan),
    Goal(Goal),
    Action(Action),
    CheckIn(CheckIn),
    PlanSupporter(PlanSupporter),
    AuditEvent(AuditEvent),
    WebhookEndpoint(WebhookEndpoint),
    WebhookDelivery(WebhookDelivery),
}

#[derive(Default)]
pub struct NodeQuery;

/// Most ids accepted by one `nodes` call.
const MAX_NODES: usize = 100;

async fn load(ctx: &Context<'_>, id: &str) -> async_graphql::Result<Option<Node>> {
    let (rctx, state) = parts(ctx);
    let (kind, uuid) = ids::decode_any(id)?;
    // An external rater's token reaches its one review and nothing else.
    if rctx.review_scope().is_some() {
        return Ok(match kind {
            Kind::Review => crate::domain::reviews::own_review(&state.db, rctx, uuid)
                .await
                .ok()
                .map(|r| Node::Review(Review(r))),
            _ => None,
        });
    }
    let org = rctx.organization_id()?;
    let db = &state.db;
    Ok(match kind {
        Kind::Organization if uuid == org => tenancy::organization(db, uuid)
            .await?
            .map(|o| Node::Organization(Organization(o))),
        Kind::Organization => None,
        Kind::User => crate::domain::accounts::members::visible_user(state, rctx, uuid)
            .await?
            .map(|u| Node::User(User(u))),
        Kind::Membership => tenancy::find::<membership::Entity, _>(db, org, uuid)
            .await?
            .filter(|m| {
                rctx.require(&[Role::Admin, Role::Hr]).is_ok()
                    || rctx.user_id().ok() == Some(m.user_id)
            })
            .map(|m| Node::Membership(Membership(m))),
        Kind::ApiKey if rctx.principal()?.role == Role::Admin => {
            tenancy::find::<api_key::Entity, _>(db, org, uuid)
                .await?
                .map(|k| Node::ApiKey(ApiKey(k)))
        }
        Kind::ApiKey => None,
        Kind::Leader => people::get(state, rctx, uuid)
            .await?
            .map(|l| Node::Leader(Leader(l))),
        Kind::Team => people::teams::get(state, rctx, uuid)
            .await?
            .map(|t| Node::Team(Team(t))),
        Kind::Framework => frameworks::get(state, rctx, uuid)
            .await?
            .map(|f| Node::Framework(Framework(f))),
        Kind::Behavior => {
            rctx.require(frameworks::READERS)?;
            tenancy::find_visible::<behavior::Entity, _>(db, org, uuid)
                .await?
                .map(|b| Node::Behavior(Behavior(b)))
        }
        Kind::AssessmentCycle => crate::domain::cycles::visible_cycle(state, rctx, uuid)
            .await?
            .map(|c| Node::AssessmentCycle(AssessmentCycle(c))),
        Kind::Assessment => crate::domain::cycles::visible_assessment(state, rctx, uuid)
            .await?
            .map(|a| Node::Assessment(Assessment(a))),
        Kind::Review => crate::domain::reviews::visible_review(state, rctx, uuid)
            .await?
            .map(|r| Node::Review(Review(r))),
        Kind::DevelopmentPlan => {
            plan_child::<entity::development_plan::Entity, _>(state, rctx, uuid, |p| p.id)
                .await?
                .map(|p| Node::DevelopmentPlan(DevelopmentPlan(p)))
        }
        Kind::Goal => plan_child::<entity::goal::Entity, _>(state, rctx, uuid, |g| g.plan_id)
            .await?
            .map(|g| Node::Goal(Goal(g))),
        Kind::Action => plan_child::<entity::action::Entity, _>(state, rctx, uuid, |a| a.plan_id)
            .await?
            .map(|a| Node::Action(Action(a))),
        Kind::CheckIn => {
            plan_child::<entity::plan_activity::Entity, _>(state, rctx, uuid, |c| c.plan_id)
                .await?
                .filter(|c| c.kind == "CHECK_IN")
                .map(|c| Node::CheckIn(CheckIn(c)))
        }
        Kind::PlanSupporter => {
            plan_child::<entity::plan_supporter::Entity, _>(state, rctx, uuid, |s| s.plan_id)
                .await?
                .map(|s| Node::PlanSupporter(PlanSupporter(s)))
        }
        Kind::AuditEvent if rctx.principal()?.role == Role::Admin => {
            tenancy::find::<entity::audit_event::Entity, _>(db, org, uuid)
                .await?
                .map(|e| Node::AuditEvent(AuditEvent(e)))
        }
        Kind::AuditEvent => None,
        Kind::WebhookEndpoint | Kind::WebhookDelivery if rctx.principal()?.role != Role::Admin => {
            None
        }
        Kind::WebhookEndpoint => webhooks::get(state, rctx, uuid)
            .await?
            .map(|w| Node::WebhookEndpoint(WebhookEndpoint(w))),
        Kind::WebhookDelivery => webhooks::deliveries::get(state, rctx, uuid)
            .await?
            .map(|d| Node::WebhookDelivery(WebhookDelivery(d))),
        Kind::Indicator => {
            rctx.require(frameworks::READERS)?;
            tenancy::find_visible::<indicator::Entity, _>(db, org, uuid)
                .await?
                .map(|i| Node::Indicator(Indicator(i)))
        }
    })
}

#[Object]
impl NodeQuery {
    /// Fetches any object by its global id; null when it does not exist or is not visible.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Node>> {
        load(ctx, &id).await
    }

    /// Fetches up to 100 objects by global id, in the order asked; null where not visible.
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        ids: Vec<ID>,
    ) -> async_graphql::Result<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(crate::error::Error::BadUserInput(format!(
                "at most {MAX_NODES} ids at once"
            ))
            .into());
        }
        let mut out = Vec::with_capacity(ids.len());
        for id in &ids {
            out.push(load(ctx, id).await?);
        }
        Ok(out)
    }
}

/// A plan, or a row of one, when the caller may see its plan.
async fn plan_child<E, F>(
    state: &crate::startup::AppState,
    ctx: &crate::auth::RequestContext,
    id: uuid::Uuid,
    plan_of: F,
) -> crate::error::Result<Option<E::Model>>
where
    E: tenancy::TenantEntity,
    F: Fn(&E::Model) -> uuid::Uuid,
{
    let org = ctx.organization_id()?;
    let Some(row) = tenancy::find::<E, _>(&state.db, org, id).await? else {
        return Ok(None);
    };
    match crate::domain::plans::access(&state.db, ctx, plan_of(&row)).await {
        Ok(_) => Ok(Some(row)),
        Err(crate::error::Error::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}
