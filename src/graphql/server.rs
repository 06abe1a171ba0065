//! `serverInfo`: what this server is.

use async_graphql::{Object, SimpleObject};

#[derive(Default)]
pub struct ServerQuery;

/// Facts about the running server.
#[derive(SimpleObject)]
pub struct ServerInfo {
    /// The colead version.
    version: &'static str,
}

#[Object]
impl ServerQuery {
    /// Facts about the running server; needs no authentication.
    async fn server_info(&self) -> ServerInfo {
        ServerInfo {
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}
