//! Tokens from an external identity provider: RS256/ES256, verified against the
//! provider's JWKS (a file or a URL), cached and refreshed when an unknown `kid` appears.
//! Configurable claims name the tenant (an organization id or slug), the roles and the
//! email; the person must still hold an active membership in that organization.

use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use serde_json::Value;
use tokio::sync::RwLock;

use crate::config::IdpConfig;

/// Keys are re-read at least this often.
const MAX_AGE: Duration = Duration::from_secs(3600);

/// What the provider says about the caller.
#[derive(Debug, Clone)]
pub struct ExternalIdentity {
    /// `iss|sub`, unique across providers.
    pub subject: String,
    /// The email, present only when the provider marks it `email_verified`.
    pub email: Option<String>,
    pub tenant: String,
    pub roles: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ExternalError {
    #[error("the token is not valid")]
    Invalid,
    #[error("the identity provider's keys could not be loaded: {0}")]
    Keys(String),
}

struct Cached {
    keys: JwkSet,
    fetched: Instant,
}

pub struct ExternalIdp {
    config: IdpConfig,
    http: reqwest::Client,
    cache: RwLock<Option<Cached>>,
}

impl ExternalIdp {
    pub fn new(config: IdpConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        Self {
            config,
            http,
            cache: RwLock::new(None),
        }
    }

    async fn fetch(&self) -> Result<JwkSet, ExternalError> {
        let src = &self.config.jwks;
        let text = if src.starts_with("http://") || src.starts_with("https://") {
            let res = self
                .http
                .get(src)
                .send()
                .await
                .map_err(|e| ExternalError::Keys(e.to_string()))?;
            res.error_for_status()
                .map_err(|e| ExternalError::Keys(e.to_string()))?
                .text()
                .await
                .map_err(|e| ExternalError::Keys(e.to_string()))?
        } else {
            tokio::fs::read_to_string(src.strip_prefix("file://").unwrap_or(src))
                .await
                .map_err(|e| ExternalError::Keys(e.to_string()))?
        };
        serde_json::from_str(&text).map_err(|e| ExternalError::Keys(e.to_string()))
    }

    /// The key for `kid`, refreshing the set once if it is unknown or stale.
    async fn key(&self, kid: &str) -> Result<Option<DecodingKey>, ExternalError> {
        {
            let cache = self.cache.read().await;
            if let Some(c) = cache.as_ref() {
                let fresh = c.fetched.elapsed() < MAX_AGE;
                if let Some(jwk) = c.keys.find(kid).filter(|_| fresh) {
                    return Ok(DecodingKey::from_jwk(jwk).ok());
                }
                if c.fetched.elapsed() < self.config.min_refresh {
                    return Ok(None);
                }
            }
        }
        let mut cache = self.cache.write().await;
        // Another request may have refreshed while this one waited.
        let stale = cache
            .as_ref()
            .is_none_or(|c| c.fetched.elapsed() >= self.config.min_refresh);
        if stale {
            let keys = self.fetch().await?;
            *cache = Some(Cached {
                keys,
                fetched: Instant::now(),
            });
        }
        Ok(cache
            .as_ref()
            .and_then(|c| c.keys.find(kid))
            .and_then(|jwk| DecodingKey::from_jwk(jwk).ok()))
    }

    /// Verifies a provider token and reads the configured claims.
    pub async fn verify(
        &self,
        token: &str,
        header: &Header,
    ) -> Result<ExternalIdentity, ExternalError> {
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
            return Err(ExternalError::Invalid);
        }
        let kid = header.kid.as_deref().ok_or(ExternalError::Invalid)?;
        let key = self.key(kid).await?.ok_or(ExternalError::Invalid)?;
        let mut validation = Validation::new(header.alg);
        validation.leeway = super::jwt::LEEWAY_SECS;
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.config.issuer]);
        validation.set_audience(&[&self.config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let claims = jsonwebtoken::decode::<Value>(token, &key, &validation)
            .map_err(|_| ExternalError::Invalid)?
            .claims;
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
        let roles = match claims.get(&self.config.roles_claim) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            Some(Value::String(s)) => s
                .split([' ', ','])
                .filter(|r| !r.is_empty())
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        Ok(ExternalIdentity {
            subject: format!(
                "{}|{}",
                self.config.issuer,
                text("sub").ok_or(ExternalError::Invalid)?
            ),
            // Linking by email is only safe when the provider vouches for the address.
            email: text(&self.config.email_claim)
                .filter(|_| matches!(claims.get("email_verified"), Some(Value::Bool(true))))
                .map(|e| e.to_lowercase()),
            tenant: text(&self.config.tenant_claim).ok_or(ExternalError::Invalid)?,
            roles,
        })
    }
}
