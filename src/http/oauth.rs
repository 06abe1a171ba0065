//! `POST /oauth/token`: OAuth 2.0 client credentials (RFC 6749 §4.4) exchanging an API
//! key for a short-lived JWT; errors in the RFC's JSON shape (§5.2).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use crate::domain::accounts::members::{ClientAuthError, exchange_client_credentials};
use crate::startup::AppState;

fn oauth_error(
    status: actix_web::http::StatusCode,
    error: &str,
    description: &str,
) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    res.insert_header((header::CACHE_CONTROL, "no-store"));
    if status == actix_web::http::StatusCode::UNAUTHORIZED {
        res.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"colead\""));
    }
    res.json(json!({ "error": error, "error_description": description }))
}

/// Client credentials from HTTP Basic auth (preferred by the RFC) or the form body.
fn credentials(req: &HttpRequest, form: &[(String, String)]) -> Option<(String, String)> {
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    if let Some(basic) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    {
        let decoded = STANDARD.decode(basic.trim()).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (id, secret) = text.split_once(':')?;
        return Some((id.to_owned(), secret.to_owned()));
    }
    Some((field("client_id")?, field("client_secret")?))
}

pub async fn token(req: HttpRequest, body: web::Bytes, state: web::Data<AppState>) -> HttpResponse {
    use actix_web::http::StatusCode;
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "send application/x-www-form-urlencoded",
        );
    }
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    match form
        .iter()
        .find(|(k, _)| k == "grant_type")
        .map(|(_, v)| v.as_str())
    {
        Some("client_credentials") => {}
        Some(_) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "only client_credentials is supported",
            );
        }
        None => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is required",
            );
        }
    }
    let Some((client_id, secret)) = credentials(&req, &form) else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication is required",
        );
    };
    let ip = crate::ratelimit::client_ip(&req, state.config.hardening.trust_forwarded_for);
    if let Err(crate::error::Error::RateLimited(wait)) =
        crate::ratelimit::login_attempt(&state, ip, &client_id).await
    {
        let secs = crate::error::retry_after_secs(wait);
        let mut res = oauth_error(
            StatusCode::TOO_MANY_REQUESTS,
            "slow_down",
            "too many attempts; try again later",
        );
        if let Ok(v) = header::HeaderValue::from_str(&secs.to_string()) {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return res;
    }
    let result = exchange_client_credentials(&state, &client_id, &secret).await;
    if result.is_ok() {
        crate::ratelimit::login_succeeded(&state, &client_id).await;
    }
    match result {
        Ok(token) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(json!({
                "access_token": token.token,
                "token_type": "Bearer",
                "expires_in": state.jwt.ttl_seconds(),
            })),
        Err(ClientAuthError::InvalidClient) => oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client or wrong secret",
        ),
        Err(ClientAuthError::Internal) => oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "try again later",
        ),
    }
}
