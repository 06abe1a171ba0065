//! Schema building and the GraphQL building blocks: ids, connections, errors, nodes,
//! loaders, and one module per area.

pub mod accounts;
pub mod audit;
pub mod compiled;
pub mod connection;
pub mod cost;
pub mod cycles;
pub mod frameworks;
mod hooks;
pub mod ids;
pub mod insights;
pub mod live;
pub mod loaders;
pub mod node;
pub mod people;
pub mod plans;
pub mod results;
pub mod reviews;
mod server;
pub mod webhooks;

use std::sync::Arc;

use async_graphql::{Context, MergedObject, Schema};

use crate::auth::RequestContext;
use crate::error::{Error, UserError};
use crate::startup::AppState;

#[derive(MergedObject, Default)]
pub struct Query(
    server::ServerQuery,
    node::NodeQuery,
    accounts::AccountsQuery,
    people::PeopleQuery,
    frameworks::FrameworksQuery,
    cycles::CyclesQuery,
    reviews::ReviewsQuery,
    insights::InsightsQuery,
    plans::PlansQuery,
    audit::AuditQuery,
    webhooks::WebhooksQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    accounts::AccountsMutation,
    people::PeopleMutation,
    people::ImportMutation,
    frameworks::FrameworksMutation,
    cycles::CyclesMutation,
    reviews::ReviewsMutation,
    plans::PlansMutation,
    webhooks::WebhooksMutation,
);

pub use live::Subscription;

pub type ColeadSchema = Schema<Query, Mutation, Subscription>;

fn builder() -> async_graphql::SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(Query::default(), Mutation::default(), Subscription)
}

fn configured(state: &AppState) -> async_graphql::SchemaBuilder<Query, Mutation, Subscription> {
    let mut schema = builder().extension(hooks::request_hooks());
    if !state.config.hardening.introspection {
        schema = schema.disable_introspection().disable_suggestions();
    }
    schema
}

/// Builds the schema with the shared state as schema data.
pub fn build_schema(state: Arc<AppState>) -> ColeadSchema {
    configured(&state).data(state).finish()
}

/// The schema of `/graphql/ws`, where the HTTP cost analysis does not run: the library's
/// own depth, complexity and directive limits bound each subscription instead.
pub fn build_ws_schema(state: Arc<AppState>) -> ColeadSchema {
    let limits = &state.config.hardening.limits;
    configured(&state)
        .limit_depth(limits.depth as usize)
        .limit_directives(limits.directives as usize)
        .limit_complexity(live::MAX_COMPLEXITY)
        .data(state)
        .finish()
}

/// The schema's SDL, as exported to `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}

/// Attaches what every request carries: its context and its per-request loaders.
pub fn request_data(
    request: async_graphql::Request,
    state: &AppState,
    ctx: RequestContext,
) -> async_graphql::Request {
    let org = ctx.principal.as_ref().map(|p| p.organization_id);
    loaders::attach(
        request.data(ctx),
        loaders::Scope::new(state.db.clone(), org),
    )
}

/// The request context and shared state of a resolver.
pub fn parts<'a>(ctx: &'a Context<'_>) -> (&'a RequestContext, &'a Arc<AppState>) {
    // Both are attached to every request and the schema by construction.
    (
        ctx.data_unchecked::<RequestContext>(),
        ctx.data_unchecked::<Arc<AppState>>(),
    )
}

/// Splits a domain result into a payload's object and its user errors; other errors
/// become GraphQL errors with their code.
pub fn payload<T>(
    r: crate::error::Result<T>,
) -> async_graphql::Result<(Option<T>, Vec<UserError>)> {
    match r {
        Ok(v) => Ok((Some(v), Vec::new())),
        Err(Error::Invalid(errors)) => {
            crate::domain::audit::note_refused();
            crate::domain::outbox::discard_pending();
            Ok((None, errors))
        }
        Err(e) => Err(e.into()),
    }
}
