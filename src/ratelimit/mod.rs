//! Leaky-bucket budgets: query cost per principal and per organization, and login
//! attempts per client address and per account.
//!
//! A bucket holds up to `maximum` points and regains `restore_rate` points a second. A
//! charge takes points from every bucket it names at once, or from none when one of them
//! lacks the points; a refund gives unused points back. Buckets live in this process, or
//! in Redis when `COLEAD_REDIS_URL` is set, so that several instances share them. When
//! Redis cannot be reached the process falls back to its own buckets and says so in
//! the log: a cache outage must not take the API down.

mod redis_store;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use redis_store::RedisStore;

/// The size and the restore rate of one kind of bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub maximum: f64,
    /// Points regained per second.
    pub restore_rate: f64,
}

/// One bucket to charge: its key and its rate.
#[derive(Debug, Clone)]
pub struct Bucket {
    pub key: String,
    pub rate: Rate,
}

/// A bucket's state after a charge, as reported in `extensions.cost.throttleStatus`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThrottleStatus {
    pub maximum_available: f64,
    pub currently_available: f64,
    pub restore_rate: f64,
}

/// The answer to a charge.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Charge {
    /// The points were taken; the status is that of the first bucket.
    Granted(ThrottleStatus),
    /// Nothing was taken; retry after the given time.
    Refused {
        status: ThrottleStatus,
        retry_after: Duration,
    },
}

#[derive(Debug, Clone, Copy)]
struct Level {
    available: f64,
    at: Instant,
}

/// Buckets kept in this process.
#[derive(Debug, Default)]
pub struct LocalStore {
    buckets: Mutex<HashMap<String, Level>>,
    /// When full buckets were last forgotten.
    pruned: Mutex<Option<Instant>>,
}

/// Buckets beyond which full ones are forgotten (a full bucket equals a missing one).
const FORGET_ABOVE: usize = 100_000;

impl LocalStore {
    fn charge(&self, buckets: &[Bucket], cost: f64, force: bool) -> Charge {
        let Some(first) = buckets.first() else {
            return Charge::Granted(ThrottleStatus {
                maximum_available: 0.0,
                currently_available: 0.0,
                restore_rate: 0.0,
            });
        };
        let now = Instant::now();
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > FORGET_ABOVE {
            let mut pruned = self.pruned.lock().unwrap_or_else(|p| p.into_inner());
            if pruned.is_none_or(|at| now.duration_since(at).as_secs() >= 10) {
                *pruned = Some(now);
                map.retain(|_, l| l.available < 0.0 || now.duration_since(l.at).as_secs() < 3600);
            }
        }
        let levels: Vec<f64> = buckets
            .iter()
            .map(|b| match map.get(&b.key) {
                None => b.rate.maximum,
                Some(l) => refill(l.available, now.duration_since(l.at), b.rate),
            })
            .collect();
        let status = |i: usize, available: f64| ThrottleStatus {
            maximum_available: buckets[i].rate.maximum,
            currently_available: available,
            restore_rate: buckets[i].rate.restore_rate,
        };
        if !force && levels.iter().any(|&level| level < cost) {
            let short = (0..buckets.len())
                .map(|j| wait_for(cost - levels[j], buckets[j].rate))
                .fold(Duration::ZERO, Duration::max);
            return Charge::Refused {
                status: status(0, levels[0]),
                retry_after: short,
            };
        }
        for (b, level) in buckets.iter().zip(&levels) {
            let available = (level - cost).min(b.rate.maximum);
            map.insert(b.key.clone(), Level { available, at: now });
        }
        Charge::Granted(status(0, (levels[0] - cost).min(first.rate.maximum)))
    }
}

fn refill(available: f64, elapsed: Duration, rate: Rate) -> f64 {
    (available + elapsed.as_secs_f64() * rate.restore_rate).min(rate.maximum)
}

fn wait_for(missing: f64, rate: Rate) -> Duration {
    if missing <= 0.0 {
        Duration::ZERO
    } else if rate.restore_rate <= 0.0 {
        Duration::from_secs(3600)
    } else {
        Duration::from_secs_f64(missing / rate.restore_rate)
    }
}

/// Where the buckets live.
pub struct Limiter {
    local: LocalStore,
    redis: Option<RedisStore>,
}

impl Limiter {
    pub fn new(redis: Option<RedisStore>) -> Self {
        Self {
            local: LocalStore::default(),
            redis,
        }
    }

    /// Takes `cost` points from every bucket in `buckets`, or none. The first bucket's
    /// state is the one reported.
    pub async fn charge(&self, buckets: &[Bucket], cost: u64) -> Charge {
        self.apply(buckets, cost as f64, false).await
    }

    /// Takes `points` for work already done, even below zero: the next charges wait.
    pub async fn debit(&self, buckets: &[Bucket], points: u64) {
        if points > 0 {
            self.apply(buckets, points as f64, true).await;
        }
    }

    async fn apply(&self, buckets: &[Bucket], cost: f64, force: bool) -> Charge {
        if let Some(redis) = &self.redis {
            match redis.charge(buckets, cost, force).await {
                Ok(charge) => return charge,
                Err(Some(e)) => {
                    tracing::warn!(error = %e, "rate limits fall back to this process: Redis failed");
                }
                Err(None) => {}
            }
        }
        self.local.charge(buckets, cost, force)
    }

    /// Gives `points` back to every bucket in `buckets` (never above their maximum).
    pub async fn refund(&self, buckets: &[Bucket], points: u64) {
        if points == 0 {
            return;
        }
        self.apply(buckets, -(points as f64), false).await;
    }
}

/// The buckets of one login attempt: the account, and the client's address when known.
fn login_buckets(
    state: &crate::startup::AppState,
    ip: Option<std::net::IpAddr>,
    account: &str,
) -> Vec<Bucket> {
    let h = &state.config.hardening;
    let mut buckets = vec![Bucket {
        key: format!("login:account:{}", account.trim().to_lowercase()),
        rate: h.login_per_account,
    }];
    if ip.is_some() {
        buckets.push(Bucket {
            key: format!("login:ip:{}", address_key(ip)),
            rate: h.login_per_ip,
        });
    }
    buckets
}

/// Counts one password (or client secret) attempt against the account and the client's
/// address; refused with `RATE_LIMITED` when either has no attempts left.
pub async fn login_attempt(
    state: &crate::startup::AppState,
    ip: Option<std::net::IpAddr>,
    account: &str,
) -> crate::error::Result<()> {
    match state
        .limiter
        .charge(&login_buckets(state, ip, account), 1)
        .await
    {
        Charge::Granted(_) => Ok(()),
        Charge::Refused { retry_after, .. } => {
            state.metrics.rate_limited();
            Err(crate::error::Error::RateLimited(retry_after))
        }
    }
}

/// Gives a successful attempt back to the account, so that its owner's own sign-ins do
/// not use up the allowance.
pub async fn login_succeeded(state: &crate::startup::AppState, account: &str) {
    let buckets = login_buckets(state, None, account);
    state.limiter.refund(&buckets, 1).await;
}

/// The client's address as a bucket key: IPv6 clients by their /64 network (one host
/// usually holds the whole prefix), IPv4 by address; `unknown` when there is none.
pub fn address_key(ip: Option<std::net::IpAddr>) -> String {
    match ip {
        Some(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Some(v4) => v4.to_string(),
        None => "unknown".to_owned(),
    }
}

/// The client's address: the connection's peer, or with `trust_forwarded` (behind one
/// trusted proxy) the last address that proxy appended to `X-Forwarded-For`.
pub fn client_ip(req: &actix_web::HttpRequest, trust_forwarded: bool) -> Option<std::net::IpAddr> {
    if trust_forwarded
        && let Some(ip) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse().ok())
    {
        return Some(ip);
    }
    req.peer_addr().map(|a| a.ip())
}
