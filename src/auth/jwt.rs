//! Access tokens the service issues (HS256 from `COLEAD_JWT_SECRET` by default; EdDSA or
//! RS256 from a PEM key file, published at `/.well-known/jwks.json`) and their
//! verification: signature, algorithm, `exp`, `nbf`, `iss` and `aud`, with a small leeway.

use chrono::{DateTime, Utc};
use entity::enums::Role;
use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::{Config, JwtAlgorithm};
use crate::error::{Context, Result};

/// Seconds of clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY_SECS: u64 = 30;

/// Who a token speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalType {
    User,
    ApiKey,
    /// An external rater, scoped to one review (its own audience).
    Review,
}

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub org_id: Uuid,
    pub roles: Vec<String>,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    pub jti: String,
    /// Whether `sub` is a user or an API key.
    pub pty: PrincipalType,
}

/// Signing and verification keys, built once at start.
pub struct JwtKeys {
    algorithm: Algorithm,
    /// `kid` of an asymmetric key; HS256 tokens carry none.
    kid: Option<String>,
    /// The public key, for the JWKS endpoint (asymmetric keys only).
    public: Option<Jwk>,
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    review_validation: Validation,
    issuer: String,
    audience: String,
    ttl: chrono::Duration,
}

/// A freshly signed access token.
pub struct SignedToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Admin => "ADMIN",
        Role::Hr => "HR",
        Role::Member => "MEMBER",
        Role::Integration => "INTEGRATION",
    }
}

impl JwtKeys {
    pub fn from_config(config: &Config) -> Result<Self> {
        let (algorithm, encoding, decoding, kid, public) = match config.jwt_algorithm {
            JwtAlgorithm::Hs256 => {
                let secret = config.jwt_secret.expose().as_bytes();
                let enc =
                    EncodingKey::from_secret(secret).context("loading the JWT signing key")?;
                let dec =
                    DecodingKey::from_secret(secret).context("loading the JWT verification key")?;
                (Algorithm::HS256, enc, dec, None, None)
            }
            JwtAlgorithm::EdDsa | JwtAlgorithm::Rs256 => {
                let path = config.jwt_private_key_file.clone().unwrap_or_default();
                let pem = std::fs::read(&path).with_context(|| {
                    format!("reading COLEAD_JWT_PRIVATE_KEY_FILE {}", path.display())
                })?;
                let (alg, enc) = if config.jwt_algorithm == JwtAlgorithm::EdDsa {
                    (Algorithm::EdDSA, EncodingKey::from_ed_pem(&pem))
                } else {
                    (Algorithm::RS256, EncodingKey::from_rsa_pem(&pem))
                };
                let enc = enc.context("parsing the JWT private key")?;
                let mut jwk =
                    Jwk::from_encoding_key(&enc, alg).context("deriving the JWT public key")?;
                jwk.common.key_id = Some(config.jwt_key_id.clone());
                jwk.common.public_key_use = Some(PublicKeyUse::Signature);
                jwk.common.key_algorithm = Some(if alg == Algorithm::EdDSA {
                    KeyAlgorithm::EdDSA
                } else {
                    KeyAlgorithm::RS256
                });
                let dec = DecodingKey::from_jwk(&jwk).context("loading the JWT public key")?;
                (alg, enc, dec, Some(config.jwt_key_id.clone()), Some(jwk))
            }
        };
        let mut validation = Validation::new(algorithm);
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        validation.set_issuer(&[&config.jwt_issuer]);
        validation.set_audience(&[&config.jwt_audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        let mut review_validation = validation.clone();
        review_validation.set_audience(&[review_audience(&config.jwt_audience)]);
        Ok(Self {
            review_validation,
            algorithm,
            kid,
            public,
            encoding,
            decoding,
            validation,
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
            ttl: chrono::Duration::from_std(config.access_token_ttl)
                .unwrap_or(chrono::Duration::minutes(15)),
        })
    }

    /// Whether a token with this header claims to be one of ours.
    pub fn is_own(&self, header: &Header) -> bool {
        header.alg == self.algorithm && header.kid == self.kid
    }

    /// The public keys to publish, when signing is asymmetric.
    pub fn jwks(&self) -> Option<JwkSet> {
        self.public.clone().map(|k| JwkSet { keys: vec![k] })
    }

    /// Signs an access token for `sub` in `org_id` with `role`.
    pub fn issue(
        &self,
        pty: PrincipalType,
        sub: Uuid,
        org_id: Uuid,
        role: Role,
    ) -> Result<SignedToken> {
        let now = Utc::now();
        let expires_at = now + self.ttl;
        let claims = Claims {
            sub: sub.to_string(),
            org_id,
            roles: vec![role_name(role).to_owned()],
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: expires_at.timestamp(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            jti: Uuid::now_v7().to_string(),
            pty,
        };
        let mut header = Header::new(self.algorithm);
        header.kid = self.kid.clone();
        let token = jsonwebtoken::encode(&header, &claims, &self.encoding)
            .context("signing an access token")?;
        Ok(SignedToken { token, expires_at })
    }

    /// A token for an external rater: audience `<aud>/review`, subject the review.
    pub fn issue_review_token(
        &self,
        review: Uuid,
        org_id: Uuid,
        until: DateTime<Utc>,
    ) -> Result<SignedToken> {
        let now = Utc::now();
        let claims = Claims {
            sub: review.to_string(),
            org_id,
            roles: Vec::new(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: until.timestamp(),
            iss: self.issuer.clone(),
            aud: review_audience(&self.audience),
            jti: Uuid::now_v7().to_string(),
            pty: PrincipalType::Review,
        };
        let mut header = Header::new(self.algorithm);
        header.kid = self.kid.clone();
        let token = jsonwebtoken::encode(&header, &claims, &self.encoding)
            .context("signing a review token")?;
        Ok(SignedToken {
            token,
            expires_at: until,
        })
    }

    /// Verifies an external rater's review token.
    pub fn verify_review(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.review_validation)
            .map(|d| d.claims)
    }

    /// Verifies a token; any failure is reported without detail to the client.
    pub fn verify(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map(|d| d.claims)
    }

    pub fn ttl_seconds(&self) -> i64 {
        self.ttl.num_seconds()
    }
}

fn review_audience(audience: &str) -> String {
    format!("{audience}/review")
}
