//! Sign-in failure counts shared by every node through Redis: the throttle's backoff
//! ([`sigil_oidc::throttle::backoff`]) as one Lua script per key, so that an attacker who
//! spreads guesses over the nodes behind a load balancer is held back as on one node. Times
//! are the provider's clock, as in the in-process table.

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use redis::Script;
use redis::aio::ConnectionManager;
use sigil_core::UnixTime;
use sigil_oidc::config::ThrottleConfig;
use sigil_oidc::throttle::SharedFailures;

use super::redis::{CALL_TIMEOUT, connect_in_background};

/// Records one failure: resets a count older than the window, doubles the delay past the free
/// failures (at most the cap), keeps the key as long as the window. Returns the block's end.
const FAILURE: &str = r"
local now = tonumber(ARGV[1])
local free = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local cap = tonumber(ARGV[4])
local f = tonumber(redis.call('HGET', KEYS[1], 'f') or '0')
local last = tonumber(redis.call('HGET', KEYS[1], 'l') or '0')
local blocked = tonumber(redis.call('HGET', KEYS[1], 'b') or '0')
if now - last >= window then f = 0 end
f = f + 1
if f > free then
  blocked = now + math.min(2 ^ math.min(f - free - 1, 20), cap)
end
redis.call('HSET', KEYS[1], 'f', f, 'l', now, 'b', string.format('%.0f', blocked))
redis.call('EXPIRE', KEYS[1], window)
return blocked
";

/// Failure counts in Redis.
pub struct RedisFailures {
    connection: Arc<OnceLock<ConnectionManager>>,
    script: Script,
    prefix: String,
}

impl std::fmt::Debug for RedisFailures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisFailures")
            .field("connected", &self.connection.get().is_some())
            .finish()
    }
}

impl RedisFailures {
    /// Starts connecting to `url` in the background; keys start with `prefix`.
    pub fn connect(url: &str, prefix: &str) -> Result<Self, redis::RedisError> {
        Ok(RedisFailures {
            connection: connect_in_background(url, "sign-in failure counts")?,
            script: Script::new(FAILURE),
            prefix: format!("{prefix}failures:"),
        })
    }

    fn connection(&self) -> Result<ConnectionManager, String> {
        self.connection
            .get()
            .cloned()
            .ok_or_else(|| "not connected to Redis".to_owned())
    }
}

#[async_trait]
impl SharedFailures for RedisFailures {
    async fn retry_after(&self, keys: &[String], now: UnixTime) -> Result<Option<u64>, String> {
        let mut connection = self.connection()?;
        let mut pipe = redis::pipe();
        for key in keys {
            pipe.hget(format!("{}{key}", self.prefix), "b");
        }
        let ends: Vec<Option<i64>> =
            tokio::time::timeout(CALL_TIMEOUT, pipe.query_async(&mut connection))
                .await
                .map_err(|_| "timed out".to_owned())?
                .map_err(|e| e.to_string())?;
        Ok(ends
            .into_iter()
            .flatten()
            .map(|end| now.seconds_until(UnixTime(end)))
            .filter(|s| *s > 0)
            .max())
    }

    async fn record_failure(
        &self,
        keys: &[(String, u32)],
        now: UnixTime,
        cfg: &ThrottleConfig,
    ) -> Result<(), String> {
        let mut connection = self.connection()?;
        for (key, free) in keys {
            let mut call = self.script.key(format!("{}{key}", self.prefix));
            call.arg(now.0)
                .arg(*free)
                .arg(cfg.window)
                .arg(cfg.max_delay);
            let _: i64 = tokio::time::timeout(CALL_TIMEOUT, call.invoke_async(&mut connection))
                .await
                .map_err(|_| "timed out".to_owned())?
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn is_connected(&self) -> bool {
        self.connection.get().is_some()
    }

    async fn forget(&self, key: &str) -> Result<(), String> {
        let mut connection = self.connection()?;
        let _: i64 = tokio::time::timeout(
            CALL_TIMEOUT,
            redis::cmd("DEL")
                .arg(format!("{}{key}", self.prefix))
                .query_async(&mut connection),
        )
        .await
        .map_err(|_| "timed out".to_owned())?
        .map_err(|e| e.to_string())?;
        Ok(())
    }
}
