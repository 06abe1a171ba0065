//! Authentication: the bearer token is verified once per request and becomes a
//! [`RequestContext`]; the membership (or API key) behind it is re-checked per request
//! through a short-lived cache that every change to memberships and keys clears.

pub mod external;
pub mod jwt;
pub mod password;
pub mod secrets;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use actix_web::HttpRequest;
use actix_web::http::header;
use entity::enums::{MembershipStatus, Role};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::startup::AppState;
use crate::telemetry::RequestId;
use jwt::PrincipalType;

/// An authenticated caller inside one organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub kind: PrincipalType,
    /// The user id, or the API key id.
    pub id: Uuid,
    pub organization_id: Uuid,
    pub role: Role,
    pub membership_id: Option<Uuid>,
    pub leader_id: Option<Uuid>,
}

/// What every resolver knows about the request.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub request_id: RequestId,
    pub principal: Option<Arc<Principal>>,
    /// Why a presented token was refused: the request runs as anonymous, and the first
    /// field that needs a principal reports this.
    pub auth_error: Option<&'static str>,
    /// The address of the client's connection (for per-address limits).
    pub client_ip: Option<std::net::IpAddr>,
}

impl RequestContext {
    pub fn anonymous(request_id: RequestId) -> Self {
        Self {
            request_id,
            principal: None,
            auth_error: None,
            client_ip: None,
        }
    }

    /// The principal, or `UNAUTHENTICATED`. An external rater's review token is refused
    /// here (`FORBIDDEN`): it opens its one review and nothing else.
    pub fn principal(&self) -> Result<&Principal> {
        match self.principal.as_deref() {
            None => Err(Error::Unauthenticated(self.auth_error)),
            Some(p) if p.kind == PrincipalType::Review => Err(Error::Forbidden),
            Some(p) => Ok(p),
        }
    }

    /// The review an external rater's token opens, with its organization.
    pub fn review_scope(&self) -> Option<(Uuid, Uuid)> {
        self.principal
            .as_deref()
            .filter(|p| p.kind == PrincipalType::Review)
            .map(|p| (p.organization_id, p.id))
    }

    /// The organization of any authenticated caller, review tokens included.
    pub fn any_organization_id(&self) -> Result<Uuid> {
        self.principal
            .as_deref()
            .map(|p| p.organization_id)
            .ok_or(Error::Unauthenticated(self.auth_error))
    }

    /// The principal if it holds one of `roles`, else `FORBIDDEN`.
    pub fn require(&self, roles: &[Role]) -> Result<&Principal> {
        let p = self.principal()?;
        if roles.contains(&p.role) {
            Ok(p)
        } else {
            Err(Error::Forbidden)
        }
    }

    pub fn organization_id(&self) -> Result<Uuid> {
        Ok(self.principal()?.organization_id)
    }

    /// The user behind the request, or `FORBIDDEN` for machine clients.
    pub fn user_id(&self) -> Result<Uuid> {
        let p = self.principal()?;
        match p.kind {
            PrincipalType::User => Ok(p.id),
            PrincipalType::ApiKey | PrincipalType::Review => Err(Error::Forbidden),
        }
    }
}

/// Why a presented token was refused. Deliberately vague towards the client.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("the Authorization header must be `Bearer <token>`")]
    Malformed,
    #[error("the access token is invalid or expired")]
    Invalid,
    #[error("the access token no longer grants access")]
    Revoked,
    #[error("could not check the access token")]
    Unavailable,
}

impl AuthError {
    pub fn message(&self) -> &'static str {
        match self {
            AuthError::Malformed => "the Authorization header must be `Bearer <token>`",
            AuthError::Invalid => "the access token is invalid or expired",
            AuthError::Revoked => "the access token no longer grants access",
            AuthError::Unavailable => "could not check the access token",
        }
    }
}

const CACHE_TTL: Duration = Duration::from_secs(30);
const CACHE_MAX: usize = 10_000;

type CacheKey = (PrincipalType, Uuid, Uuid);

/// Recently checked principals, so that the membership check is not a query per request.
#[derive(Default)]
pub struct PrincipalCache {
    entries: RwLock<HashMap<CacheKey, (Instant, Option<Principal>)>>,
    /// Bumped by every invalidation: a load that began before one is not cached, so a
    /// removal can never be undone by a request that read the membership just before it.
    generation: std::sync::atomic::AtomicU64,
}

impl PrincipalCache {
    fn get(&self, key: &CacheKey) -> Option<Option<Principal>> {
        let entries = self.entries.read().ok()?;
        let (at, p) = entries.get(key)?;
        (at.elapsed() < CACHE_TTL).then(|| p.clone())
    }

    fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Acquire)
    }

    fn put(&self, key: CacheKey, value: Option<Principal>, generation: u64) {
        if let Ok(mut entries) = self.entries.write() {
            if self.generation() != generation {
                return;
            }
            if entries.len() >= CACHE_MAX {
                entries.clear();
            }
            entries.insert(key, (Instant::now(), value));
        }
    }

    /// Forgets everything about `id` (a user or an API key) in `organization_id`.
    pub fn invalidate(&self, organization_id: Uuid, id: Uuid) {
        if let Ok(mut entries) = self.entries.write() {
            self.generation
                .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
            entries.retain(|(_, i, o), _| !(*i == id && *o == organization_id));
        }
    }
}

/// Turns the request's bearer token, if any, into a [`RequestContext`]. A refused token
/// leaves the request anonymous with the reason noted, so that `refreshToken` and
/// `login` still work for a client whose access token expired; only an outage of the
/// checks themselves fails the request.
pub async fn authenticate(
    state: &AppState,
    req: &HttpRequest,
    request_id: RequestId,
) -> Result<RequestContext, AuthError> {
    let client_ip = crate::ratelimit::client_ip(req, state.config.hardening.trust_forwarded_for);
    match bearer(state, req, request_id.clone()).await {
        Err(AuthError::Unavailable) => Err(AuthError::Unavailable),
        Err(e) => Ok(RequestContext {
            auth_error: Some(e.message()),
            client_ip,
            ..RequestContext::anonymous(request_id)
        }),
        Ok(ctx) => Ok(RequestContext { client_ip, ..ctx }),
    }
}

async fn bearer(
    state: &AppState,
    req: &HttpRequest,
    request_id: RequestId,
) -> Result<RequestContext, AuthError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(RequestContext::anonymous(request_id));
    };
    let value = value.to_str().map_err(|_| AuthError::Malformed)?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(AuthError::Malformed)?;
    let principal = principal_for_token(state, token).await?;
    Ok(RequestContext {
        request_id,
        principal: Some(Arc::new(principal)),
        auth_error: None,
        client_ip: None,
    })
}

/// Verifies `token` (ours, or the external provider's) and checks that what it names
/// still grants access.
pub async fn principal_for_token(state: &AppState, token: &str) -> Result<Principal, AuthError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::Invalid)?;
    if !state.jwt.is_own(&header) {
        return match &state.idp {
            Some(idp) => external_principal(state, idp, token, &header).await,
            None => Err(AuthError::Invalid),
        };
    }
    let claims = match state.jwt.verify(token) {
        Ok(c) if c.pty != PrincipalType::Review => c,
        Ok(_) => return Err(AuthError::Invalid),
        Err(_) => match state.jwt.verify_review(token) {
            Ok(c) if c.pty == PrincipalType::Review => c,
            _ => return Err(AuthError::Invalid),
        },
    };
    let id: Uuid = claims.sub.parse().map_err(|_| AuthError::Invalid)?;
    let key = (claims.pty, id, claims.org_id);
    let principal = match state.principals.get(&key) {
        Some(p) => p,
        None => {
            let generation = state.principals.generation();
            let p = load_principal(state, key)
                .await
                .map_err(|_| AuthError::Unavailable)?;
            state.principals.put(key, p.clone(), generation);
            p
        }
    };
    principal.ok_or(AuthError::Revoked)
}

async fn load_principal(state: &AppState, key: CacheKey) -> Result<Option<Principal>> {
    let (kind, id, organization_id) = key;
    match kind {
        PrincipalType::User => {
            let m = crate::tenancy::membership_of(&state.db, organization_id, id).await?;
            Ok(m.filter(|m| m.status == MembershipStatus::Active)
                .map(|m| Principal {
                    kind,
                    id,
                    organization_id,
                    role: m.role,
                    membership_id: Some(m.id),
                    leader_id: m.leader_id,
                }))
        }
        PrincipalType::Review => {
            let r =
                crate::tenancy::find::<entity::review::Entity, _>(&state.db, organization_id, id)
                    .await?;
            Ok(r.filter(|r| r.external_email.is_some()).map(|_| Principal {
                kind,
                id,
                organization_id,
                role: Role::Member,
                membership_id: None,
                leader_id: None,
            }))
        }
        PrincipalType::ApiKey => {
            let k = crate::tenancy::api_key_by_id(&state.db, organization_id, id).await?;
            Ok(k.filter(|k| k.revoked_at.is_none()).map(|k| Principal {
                kind,
                id,
                organization_id,
                role: k.role,
                membership_id: None,
                leader_id: None,
            }))
        }
    }
}

fn parse_role(name: &str) -> Option<Role> {
    match name.to_ascii_uppercase().as_str() {
        "ADMIN" => Some(Role::Admin),
        "HR" => Some(Role::Hr),
        "MEMBER" => Some(Role::Member),
        _ => None,
    }
}

/// A provider token names a person by subject (or email, linked on first use) and a
/// tenant by id or slug; the person needs an active membership there. The provider's
/// roles claim can narrow the membership's role (an ADMIN signed in as MEMBER), never widen it.
async fn external_principal(
    state: &AppState,
    idp: &external::ExternalIdp,
    token: &str,
    header: &jsonwebtoken::Header,
) -> Result<Principal, AuthError> {
    use crate::tenancy;
    let identity = idp.verify(token, header).await.map_err(|e| match e {
        external::ExternalError::Invalid => AuthError::Invalid,
        external::ExternalError::Keys(reason) => {
            tracing::error!(%reason, "the identity provider's keys could not be loaded");
            AuthError::Unavailable
        }
    })?;
    let db = &state.db;
    let unavailable = |_| AuthError::Unavailable;
    let org = match identity.tenant.parse::<Uuid>() {
        Ok(id) => tenancy::organization(db, id).await.map_err(unavailable)?,
        Err(_) => tenancy::organization_by_slug(db, &identity.tenant)
            .await
            .map_err(unavailable)?,
    }
    .ok_or(AuthError::Revoked)?;
    let user = match tenancy::user_by_external_subject(db, &identity.subject)
        .await
        .map_err(unavailable)?
    {
        Some(u) => u,
        None => {
            let email = identity.email.as_deref().ok_or(AuthError::Revoked)?;
            let u = tenancy::user_by_email(db, email)
                .await
                .map_err(unavailable)?
                .ok_or(AuthError::Revoked)?;
            if u.external_subject.is_some() {
                return Err(AuthError::Revoked);
            }
            tenancy::link_external_subject(db, u.id, &identity.subject)
                .await
                .map_err(unavailable)?;
            u
        }
    };
    let m = tenancy::membership_of(db, org.id, user.id)
        .await
        .map_err(unavailable)?
        .filter(|m| m.status == MembershipStatus::Active)
        .ok_or(AuthError::Revoked)?;
    // The provider may narrow a member's role, never widen it past the membership's.
    let rank = |r: &Role| match r {
        Role::Admin => 0,
        Role::Hr => 1,
        _ => 2,
    };
    let claimed = identity
        .roles
        .iter()
        .filter_map(|r| parse_role(r))
        .min_by_key(rank);
    let role = match claimed {
        Some(c) if rank(&c) > rank(&m.role) => c,
        _ => m.role,
    };
    Ok(Principal {
        kind: PrincipalType::User,
        id: user.id,
        organization_id: org.id,
        role,
        membership_id: Some(m.id),
        leader_id: m.leader_id,
    })
}
