//! Buckets in Redis, shared by every instance: one Lua script charges all the buckets
//! of a request atomically, on the Redis server's clock.

use std::time::Duration;

use redis::aio::ConnectionManager;
use tokio::sync::Mutex;

use super::{Bucket, Charge, ThrottleStatus};

/// How long a charge may wait for Redis before the process uses its own buckets.
const ANSWER_WITHIN: Duration = Duration::from_millis(250);
/// The least time between two attempts to connect.
const RECONNECT_EVERY: Duration = Duration::from_secs(5);

const SCRIPT: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local cost = tonumber(ARGV[1])
local force = ARGV[2] == '1'
local levels = {}
local ok = 1
local wait = 0
for i, key in ipairs(KEYS) do
  local max = tonumber(ARGV[2 * i + 1])
  local rate = tonumber(ARGV[2 * i + 2])
  local state = redis.call('HMGET', key, 'a', 't')
  local a = tonumber(state[1]) or max
  local t = tonumber(state[2]) or now
  if now > t then a = math.min(max, a + (now - t) / 1000 * rate) end
  levels[i] = a
  if a < cost and not force then
    ok = 0
    local w = (cost - a) / rate * 1000
    if w > wait then wait = w end
  end
end
if ok == 1 then
  for i, key in ipairs(KEYS) do
    local max = tonumber(ARGV[2 * i + 1])
    local rate = tonumber(ARGV[2 * i + 2])
    local a = math.min(max, levels[i] - cost)
    levels[i] = a
    redis.call('HSET', key, 'a', tostring(a), 't', tostring(now))
    redis.call('PEXPIRE', key, math.ceil((max - a) / rate * 1000) + 1000)
  end
end
return {ok, tostring(levels[1]), tostring(math.ceil(wait))}
";

/// A lazily connected Redis; after a failure it is left alone for a few seconds (the
/// process's own buckets answer meanwhile), so an outage costs no request a wait.
pub struct RedisStore {
    client: redis::Client,
    prefix: String,
    script: redis::Script,
    conn: Mutex<(Option<ConnectionManager>, Option<tokio::time::Instant>)>,
    /// Until when Redis is skipped after a failure.
    resting_until: std::sync::Mutex<Option<std::time::Instant>>,
}

impl RedisStore {
    /// Checks the URL; connecting waits for the first charge.
    pub fn new(url: &str, prefix: &str) -> Result<Self, redis::RedisError> {
        Ok(Self {
            client: redis::Client::open(url)?,
            prefix: prefix.to_owned(),
            script: redis::Script::new(SCRIPT),
            conn: Mutex::new((None, None)),
            resting_until: std::sync::Mutex::new(None),
        })
    }

    /// The connection, or why there is none; `None` when a recent attempt failed (that
    /// failure was already logged).
    async fn connection(&self) -> Result<ConnectionManager, Option<String>> {
        let mut guard = self.conn.lock().await;
        if let Some(conn) = &guard.0 {
            return Ok(conn.clone());
        }
        if guard.1.is_some_and(|at| at.elapsed() < RECONNECT_EVERY) {
            return Err(None);
        }
        guard.1 = Some(tokio::time::Instant::now());
        let conn = tokio::time::timeout(
            ANSWER_WITHIN * 4,
            ConnectionManager::new(self.client.clone()),
        )
        .await
        .map_err(|_| "connecting to Redis timed out".to_owned())?
        .map_err(|e| format!("connecting to Redis: {e}"))?;
        guard.0 = Some(conn.clone());
        Ok(conn)
    }

    fn resting(&self) -> bool {
        let until = *self.resting_until.lock().unwrap_or_else(|p| p.into_inner());
        until.is_some_and(|t| std::time::Instant::now() < t)
    }

    fn rest(&self) {
        *self.resting_until.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(std::time::Instant::now() + RECONNECT_EVERY);
    }

    /// Takes `cost` points from all `buckets`, or none; with `force`, takes them even
    /// below zero (a debit for work already done).
    pub(super) async fn charge(
        &self,
        buckets: &[Bucket],
        cost: f64,
        force: bool,
    ) -> Result<Charge, Option<String>> {
        if self.resting() {
            return Err(None);
        }
        let result = self.run(buckets, cost, force).await;
        if matches!(result, Err(Some(_))) {
            self.rest();
        }
        result
    }

    async fn run(
        &self,
        buckets: &[Bucket],
        cost: f64,
        force: bool,
    ) -> Result<Charge, Option<String>> {
        let Some(first) = buckets.first() else {
            return Err(Some("no bucket to charge".to_owned()));
        };
        let mut conn = self.connection().await?;
        let mut call = self.script.prepare_invoke();
        call.arg(cost).arg(if force { "1" } else { "0" });
        for b in buckets {
            call.key(format!("{}{}", self.prefix, b.key))
                .arg(b.rate.maximum)
                .arg(b.rate.restore_rate);
        }
        let (ok, available, wait): (i64, String, String) =
            tokio::time::timeout(ANSWER_WITHIN, call.invoke_async(&mut conn))
                .await
                .map_err(|_| Some("Redis did not answer in time".to_owned()))?
                .map_err(|e| Some(format!("running the bucket script: {e}")))?;
        let status = ThrottleStatus {
            maximum_available: first.rate.maximum,
            currently_available: available.parse().unwrap_or(0.0),
            restore_rate: first.rate.restore_rate,
        };
        Ok(if ok == 1 {
            Charge::Granted(status)
        } else {
            Charge::Refused {
                status,
                retry_after: Duration::from_millis(wait.parse::<f64>().unwrap_or(1000.0) as u64),
            }
        })
    }
}
