//! Routes: GraphQL, GraphiQL, OAuth, SCIM, health and readiness.

pub mod graphql;
pub mod metrics;
pub mod oauth;
pub mod scim;
pub mod webhook_client;
pub mod ws;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::startup::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/graphql", web::post().to(graphql::handle))
        .route("/graphql", web::get().to(graphql::handle))
        .route("/graphql/ws", web::get().to(ws::handle))
        .route("/graphiql", web::get().to(graphiql))
        .route("/oauth/token", web::post().to(oauth::token))
        .route("/.well-known/jwks.json", web::get().to(jwks))
        .route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/metrics", web::get().to(metrics::metrics))
        .configure(scim::routes);
}

/// CORS for browser clients: only the configured origins, with the headers GraphQL
/// clients send; no origins configured means no cross-origin access.
pub fn cors(origins: &[String]) -> actix_cors::Cors {
    let mut cors = actix_cors::Cors::default()
        .allowed_methods(["GET", "POST"])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
        .expose_headers(["x-request-id", "retry-after"])
        .max_age(3600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// The public keys of the service's own tokens; 404 when they are signed with a secret.
async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    match state.jwt.jwks() {
        Some(set) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
            .json(set),
        None => HttpResponse::NotFound().finish(),
    }
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    if crate::db::is_ready(&state.db).await {
        HttpResponse::Ok().json(json!({ "status": "ready" }))
    } else {
        HttpResponse::ServiceUnavailable()
            .json(json!({ "status": "unavailable", "reason": "the database does not answer" }))
    }
}

async fn graphiql(state: web::Data<AppState>) -> HttpResponse {
    if state.config.graphiql {
        graphiql_page()
    } else {
        HttpResponse::NotFound().finish()
    }
}

pub(crate) fn graphiql_page() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(
            async_graphql::http::GraphiQLSource::build()
                .endpoint("/graphql")
                .subscription_endpoint("/graphql/ws")
                .title("colead GraphiQL")
                .finish(),
        )
}
