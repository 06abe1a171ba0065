//! Schema building and the GraphQL building blocks: ids, connections, errors, nodes.

pub mod connection;
pub mod ids;
mod server;

use async_graphql::{EmptyMutation, EmptySubscription, MergedObject, Schema};
use sea_orm::DatabaseConnection;

#[derive(MergedObject, Default)]
pub struct Query(server::ServerQuery);

pub type ColeadSchema = Schema<Query, EmptyMutation, EmptySubscription>;

/// Builds the schema with the database as schema data.
pub fn build_schema(db: DatabaseConnection) -> ColeadSchema {
    Schema::build(Query::default(), EmptyMutation, EmptySubscription)
        .data(db)
        .extension(crate::http::graphql::execution_marker())
        .finish()
}

/// The schema's SDL, as exported to `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(Query::default(), EmptyMutation, EmptySubscription)
        .finish()
        .sdl()
}
