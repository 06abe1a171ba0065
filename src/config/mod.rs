//! Typed settings read from `COLEAD_*` environment variables, with defaults.
//!
//! Every variable is parsed once at start; an invalid value stops the start with a
//! message that names the variable.

use std::net::SocketAddr;
use std::time::Duration;

use rand::RngCore;

mod hardening;
mod webhooks;

pub use hardening::{CostBudgets, Hardening, PersistedQueries};
pub use webhooks::WebhookSettings;

/// Where the service runs; production turns off developer conveniences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

/// A secret that never prints itself.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// All settings of one colead process.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub bind: SocketAddr,
    pub env: Environment,
    pub jwt_secret: Secret,
    /// True when no secret was configured and one was made at start (development only).
    pub jwt_secret_generated: bool,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub graphiql: bool,
    pub auto_migrate: bool,
    pub log: String,
    pub max_connections: u32,
    /// How the service signs its own tokens.
    pub jwt_algorithm: JwtAlgorithm,
    /// PEM private key for EdDSA or RS256 signing.
    pub jwt_private_key_file: Option<std::path::PathBuf>,
    /// `kid` of the service's asymmetric signing key, published in the JWKS.
    pub jwt_key_id: String,
    /// An external identity provider whose tokens are accepted too.
    pub idp: Option<IdpConfig>,
    /// Query limits, rate limits, timeouts and the other protections.
    pub hardening: Hardening,
    /// Where spans go over OTLP/HTTP, e.g. `http://collector:4318/v1/traces`.
    pub otlp_endpoint: Option<String>,
    /// Webhook delivery: the SSRF guard, polling, retries.
    pub webhooks: WebhookSettings,
}

/// The algorithm of tokens the service issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtAlgorithm {
    Hs256,
    EdDsa,
    Rs256,
}

/// An external identity provider: its JWKS (file or URL), expected `iss` and `aud`, and
/// which claims carry the tenant, the roles and the email.
#[derive(Debug, Clone)]
pub struct IdpConfig {
    pub jwks: String,
    pub issuer: String,
    pub audience: String,
    pub tenant_claim: String,
    pub roles_claim: String,
    pub email_claim: String,
    /// The least time between two JWKS refreshes triggered by unknown key ids.
    pub min_refresh: Duration,
}

/// A variable that could not be used, and why.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid configuration: {variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

pub(crate) fn invalid(variable: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        message: message.into(),
    }
}

const MIN_SECRET_LEN: usize = 32;

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests can pass a map instead of the environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let env = match get("COLEAD_ENV").as_deref().map(str::trim) {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(other) => {
                return Err(invalid(
                    "COLEAD_ENV",
                    format!("'{other}' is not one of development, production"),
                ));
            }
        };
        let production = env == Environment::Production;
        let bind = match get("COLEAD_BIND") {
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
            Some(v) => v.trim().parse().map_err(|_| {
                invalid(
                    "COLEAD_BIND",
                    format!("'{v}' is not a socket address like 127.0.0.1:8080"),
                )
            })?,
        };
        let database_url =
            get("COLEAD_DATABASE_URL").unwrap_or_else(|| "sqlite://colead.db?mode=rwc".to_owned());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(invalid(
                "COLEAD_DATABASE_URL",
                "expected a sqlite:// or postgres:// URL",
            ));
        }
        let jwt_algorithm = match get("COLEAD_JWT_ALGORITHM").as_deref().map(str::trim) {
            None | Some("HS256") => JwtAlgorithm::Hs256,
            Some("EdDSA") => JwtAlgorithm::EdDsa,
            Some("RS256") => JwtAlgorithm::Rs256,
            Some(other) => {
                return Err(invalid(
                    "COLEAD_JWT_ALGORITHM",
                    format!("'{other}' is not one of HS256, EdDSA, RS256"),
                ));
            }
        };
        let jwt_private_key_file = get("COLEAD_JWT_PRIVATE_KEY_FILE").map(std::path::PathBuf::from);
        if jwt_algorithm != JwtAlgorithm::Hs256 && jwt_private_key_file.is_none() {
            return Err(invalid(
                "COLEAD_JWT_PRIVATE_KEY_FILE",
                "is required when COLEAD_JWT_ALGORITHM is EdDSA or RS256",
            ));
        }
        let idp = match get("COLEAD_OIDC_JWKS") {
            None => None,
            Some(jwks) => Some(IdpConfig {
                jwks,
                issuer: get("COLEAD_OIDC_ISSUER").ok_or_else(|| {
                    invalid("COLEAD_OIDC_ISSUER", "is required with COLEAD_OIDC_JWKS")
                })?,
                audience: get("COLEAD_OIDC_AUDIENCE").ok_or_else(|| {
                    invalid("COLEAD_OIDC_AUDIENCE", "is required with COLEAD_OIDC_JWKS")
                })?,
                tenant_claim: get("COLEAD_OIDC_TENANT_CLAIM")
                    .unwrap_or_else(|| "org_id".to_owned()),
                roles_claim: get("COLEAD_OIDC_ROLES_CLAIM").unwrap_or_else(|| "roles".to_owned()),
                email_claim: get("COLEAD_OIDC_EMAIL_CLAIM").unwrap_or_else(|| "email".to_owned()),
                min_refresh: Duration::from_secs(10),
            }),
        };
        let needs_secret = production && jwt_algorithm == JwtAlgorithm::Hs256;
        let (jwt_secret, jwt_secret_generated) = match get("COLEAD_JWT_SECRET") {
            Some(s) if s.len() < MIN_SECRET_LEN => {
                return Err(invalid(
                    "COLEAD_JWT_SECRET",
                    format!("must be at least {MIN_SECRET_LEN} bytes long"),
                ));
            }
            Some(s) => (Secret::new(s), false),
            None if needs_secret => {
                return Err(invalid("COLEAD_JWT_SECRET", "is required in production"));
            }
            None => (Secret::new(random_hex(32)), true),
        };
        let log = get("COLEAD_LOG").unwrap_or_else(|| "info".to_owned());
        tracing_subscriber::EnvFilter::try_new(&log)
            .map_err(|e| invalid("COLEAD_LOG", format!("not a valid log filter: {e}")))?;
        let hardening = Hardening::from_lookup(&get, production)?;
        let webhooks = WebhookSettings::from_lookup(&get)?;
        let otlp_endpoint = get("COLEAD_OTLP_ENDPOINT").map(|e| {
            let e = e.trim().trim_end_matches('/').to_owned();
            if e.ends_with("/v1/traces") {
                e
            } else {
                format!("{e}/v1/traces")
            }
        });
        if let Some(e) = &otlp_endpoint
            && !(e.starts_with("http://") || e.starts_with("https://"))
        {
            return Err(invalid(
                "COLEAD_OTLP_ENDPOINT",
                format!("'{e}' is not an http(s) URL"),
            ));
        }
        Ok(Self {
            hardening,
            webhooks,
            otlp_endpoint,
            database_url,
            bind,
            env,
            jwt_secret,
            jwt_secret_generated,
            jwt_issuer: get("COLEAD_JWT_ISSUER").unwrap_or_else(|| "colead".to_owned()),
            jwt_audience: get("COLEAD_JWT_AUDIENCE").unwrap_or_else(|| "colead-api".to_owned()),
            access_token_ttl: Duration::from_secs(seconds(
                &get,
                "COLEAD_ACCESS_TOKEN_TTL_SECS",
                900,
            )?),
            refresh_token_ttl: Duration::from_secs(seconds(
                &get,
                "COLEAD_REFRESH_TOKEN_TTL_SECS",
                30 * 24 * 3600,
            )?),
            graphiql: boolean(&get, "COLEAD_GRAPHIQL", !production)?,
            auto_migrate: boolean(&get, "COLEAD_AUTO_MIGRATE", true)?,
            log,
            jwt_algorithm,
            jwt_private_key_file,
            jwt_key_id: get("COLEAD_JWT_KEY_ID").unwrap_or_else(|| "colead-1".to_owned()),
            idp,
            max_connections: seconds(&get, "COLEAD_DB_MAX_CONNECTIONS", 10)?
                .try_into()
                .map_err(|_| invalid("COLEAD_DB_MAX_CONNECTIONS", "too large"))?,
        })
    }

    pub fn is_production(&self) -> bool {
        self.env == Environment::Production
    }
}

pub(crate) fn boolean(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: bool,
) -> Result<bool, ConfigError> {
    match get(name) {
        None => Ok(default),
        Some(v) => match v.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" => Ok(false),
            _ => Err(invalid(
                name,
                format!("'{v}' is not a boolean (true/false, 1/0, on/off)"),
            )),
        },
    }
}

pub(crate) fn seconds(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: u64,
) -> Result<u64, ConfigError> {
    match get(name) {
        None => Ok(default),
        Some(v) => match v.trim().parse::<u64>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(invalid(name, format!("'{v}' is not a positive integer"))),
        },
    }
}

/// `n` random bytes as lowercase hex.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}
