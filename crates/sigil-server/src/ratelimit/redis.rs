//! Buckets shared by every node through Redis: the GCRA of [`super::gcra`] as one Lua script,
//! run atomically by Redis against its own clock, so nodes agree whatever their clocks say.
//! The connection is made in the background and re-made by the connection manager; until it
//! works, and whenever a call fails or is slow, the caller counts in process instead.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use redis::Script;
use redis::aio::ConnectionManager;

use super::gcra::{Decision, Quota};

/// One request against a bucket; returns allowed, remaining, reset and retry-after (seconds).
/// Times are microseconds from Redis's `TIME`; the key expires when its bucket is full again.
const GCRA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now)
local nxt = tat + interval
if nxt - now > tolerance then
  local wait = nxt - tolerance - now
  return {0, 0, math.ceil((tat - now) / 1000000), math.max(1, math.ceil(wait / 1000000))}
end
redis.call('SET', KEYS[1], string.format('%.0f', nxt), 'PX', math.ceil((nxt - now) / 1000) + 1000)
local used = nxt - now
return {1, math.floor((tolerance - used) / interval), math.ceil(used / 1000000), 0}
";

/// How long a node waits for Redis before counting in process.
pub(super) const CALL_TIMEOUT: Duration = Duration::from_millis(250);

/// Buckets in Redis.
#[derive(Clone)]
pub struct RedisBuckets {
    connection: Arc<OnceLock<ConnectionManager>>,
    script: Arc<Script>,
    prefix: String,
}

impl std::fmt::Debug for RedisBuckets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBuckets")
            .field("connected", &self.connection.get().is_some())
            .finish()
    }
}

/// A connection to Redis made in the background, retried every few seconds and loudly logged
/// until it works (`what` names what it is for); empty until then.
pub fn connect_in_background(
    url: &str,
    what: &'static str,
) -> Result<Arc<OnceLock<ConnectionManager>>, redis::RedisError> {
    let client = redis::Client::open(url)?;
    let connection = Arc::new(OnceLock::new());
    let slot = connection.clone();
    tokio::spawn(async move {
        loop {
            match client.get_connection_manager().await {
                Ok(manager) => {
                    tracing::info!("{what} are shared through Redis");
                    let _ = slot.set(manager);
                    return;
                }
                Err(e) => {
                    tracing::error!(error = %e, "Redis is unreachable: {what} are counted per node until it is back");
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
            }
        }
    });
    Ok(connection)
}

impl RedisBuckets {
    /// Starts connecting to `url` in the background (retrying every few seconds, loudly);
    /// refuses only a URL that cannot be one.
    pub fn connect(url: &str, prefix: &str) -> Result<Self, redis::RedisError> {
        Ok(RedisBuckets {
            connection: connect_in_background(url, "rate limits")?,
            script: Arc::new(Script::new(GCRA)),
            prefix: prefix.to_owned(),
        })
    }

    /// Whether the connection has been made.
    pub fn is_connected(&self) -> bool {
        self.connection.get().is_some()
    }

    /// Counts one request against `key`; an error when Redis cannot answer in time.
    pub async fn check(&self, key: &str, quota: &Quota) -> Result<Decision, String> {
        let Some(manager) = self.connection.get() else {
            return Err("not connected".into());
        };
        let mut connection = manager.clone();
        let mut invocation = self.script.key(format!("{}{key}", self.prefix));
        invocation
            .arg(quota.interval_us())
            .arg(quota.tolerance_us());
        let reply: Vec<i64> =
            tokio::time::timeout(CALL_TIMEOUT, invocation.invoke_async(&mut connection))
                .await
                .map_err(|_| "timed out".to_owned())?
                .map_err(|e| e.to_string())?;
        let [allowed, remaining, reset, retry] = reply[..] else {
            return Err(format!("unexpected reply {reply:?}"));
        };
        let secs = |v: i64| u64::try_from(v).unwrap_or(0);
        Ok(Decision {
            allowed: allowed == 1,
            remaining: u32::try_from(remaining).unwrap_or(0),
            reset_secs: secs(reset),
            retry_after_secs: secs(retry),
        })
    }
}
