//! Typed settings read from `COLEAD_*` environment variables, with defaults.
//!
//! Every variable is parsed once at start; an invalid value stops the start with a
//! message that names the variable.

use std::net::SocketAddr;
use std::time::Duration;

use rand::RngCore;

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
}

/// A variable that could not be used, and why.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid configuration: {variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

fn invalid(variable: &'static str, message: impl Into<String>) -> ConfigError {
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
        let (jwt_secret, jwt_secret_generated) = match get("COLEAD_JWT_SECRET") {
            Some(s) if s.len() < MIN_SECRET_LEN => {
                return Err(invalid(
                    "COLEAD_JWT_SECRET",
                    format!("must be at least {MIN_SECRET_LEN} bytes long"),
                ));
            }
            Some(s) => (Secret::new(s), false),
            None if production => {
                return Err(invalid("COLEAD_JWT_SECRET", "is required in production"));
            }
            None => (Secret::new(random_hex(32)), true),
        };
        let log = get("COLEAD_LOG").unwrap_or_else(|| "info".to_owned());
        tracing_subscriber::EnvFilter::try_new(&log)
            .map_err(|e| invalid("COLEAD_LOG", format!("not a valid log filter: {e}")))?;
        Ok(Self {
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
            max_connections: seconds(&get, "COLEAD_DB_MAX_CONNECTIONS", 10)?
                .try_into()
                .map_err(|_| invalid("COLEAD_DB_MAX_CONNECTIONS", "too large"))?,
        })
    }

    pub fn is_production(&self) -> bool {
        self.env == Environment::Production
    }
}

fn boolean(
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

fn seconds(
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
