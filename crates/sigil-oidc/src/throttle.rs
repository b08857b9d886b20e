//! Throttling of failed sign-ins, per account and per client IP, with exponential backoff.
//!
//! Keys are counted whether or not the account exists, so throttling reveals nothing about
//! which usernames are real. Counts are kept in process and, when the deployment shares state
//! through Redis ([`SharedFailures`]), there too, so that every node holds an account back
//! however its attempts are spread; if the shared store fails, the node's own counts decide.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use sigil_core::UnixTime;

use crate::config::ThrottleConfig;

/// Failure counts shared by every node (Redis), with the same backoff as the in-process table.
#[async_trait]
pub trait SharedFailures: Send + Sync + std::fmt::Debug {
    /// Seconds to wait before `keys` may try again, if any is blocked.
    async fn retry_after(&self, keys: &[String], now: UnixTime) -> Result<Option<u64>, String>;
    /// Records a failure for each key (with the failures it may have without delay).
    async fn record_failure(
        &self,
        keys: &[(String, u32)],
        now: UnixTime,
        cfg: &ThrottleConfig,
    ) -> Result<(), String>;
    /// Forgets a key's failures.
    async fn forget(&self, key: &str) -> Result<(), String>;
    /// Whether the shared store is reachable now.
    fn is_connected(&self) -> bool;
}

/// The delay after `failures` failures of which `free` come without delay: doubling from one
/// second, at most `max_delay`.
pub fn backoff(failures: u32, free: u32, max_delay: u64) -> Option<u64> {
    (failures > free).then(|| (1u64 << (failures - free - 1).min(20)).min(max_delay))
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    last_failure: UnixTime,
    blocked_until: UnixTime,
}

/// Bounds the table so a flood of distinct usernames cannot exhaust memory.
const MAX_ENTRIES: usize = 100_000;

/// Failure counters.
#[derive(Debug)]
pub struct Throttle {
    cfg: ThrottleConfig,
    entries: Mutex<HashMap<String, Entry>>,
    shared: Option<Arc<dyn SharedFailures>>,
    /// When a failure of the shared store was last logged (seconds).
    last_complaint: AtomicI64,
}

impl Throttle {
    /// A throttle with the given policy, counting in process only.
    pub fn new(cfg: ThrottleConfig) -> Self {
        Throttle {
            cfg,
            entries: Mutex::new(HashMap::new()),
            shared: None,
            last_complaint: AtomicI64::new(0),
        }
    }

    /// Counts in `shared` too.
    pub fn with_shared(mut self, shared: Option<Arc<dyn SharedFailures>>) -> Self {
        self.shared = shared;
        self
    }

    /// Whether failures are counted across nodes right now.
    pub fn is_shared(&self) -> bool {
        self.shared.as_ref().is_some_and(|s| s.is_connected())
    }

    /// Logs a failure of the shared store, at most every ten seconds.
    fn complain(&self, now: UnixTime, error: &str) {
        let last = self.last_complaint.load(Ordering::Relaxed);
        if now.0 - last >= 10 {
            self.last_complaint.store(now.0, Ordering::Relaxed);
            tracing::error!(
                error,
                "shared sign-in failure counts are unavailable: counting per node"
            );
        }
    }

    /// Seconds to wait before `keys` may try again, if any is blocked (by the shared counts
    /// when they answer, else by this node's).
    pub async fn retry_after(&self, keys: &[String], now: UnixTime) -> Option<u64> {
        if let Some(shared) = &self.shared {
            match shared.retry_after(keys, now).await {
                Ok(wait) => return wait,
                Err(e) => self.complain(now, &e),
            }
        }
        self.local_retry_after(keys, now)
    }

    fn local_retry_after(&self, keys: &[String], now: UnixTime) -> Option<u64> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        keys.iter()
            .filter_map(|k| entries.get(k))
            .map(|e| now.seconds_until(e.blocked_until))
            .filter(|s| *s > 0)
            .max()
    }

    /// Records a failure for each key; `free` is the number of failures allowed without delay
    /// for that key.
    pub async fn record_failure(&self, keys: &[(String, u32)], now: UnixTime) {
        if let Some(shared) = &self.shared
            && let Err(e) = shared.record_failure(keys, now, &self.cfg).await
        {
            self.complain(now, &e);
        }
        self.record_local_failure(keys, now);
    }

    fn record_local_failure(&self, keys: &[(String, u32)], now: UnixTime) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES {
            let window = self.cfg.window as i64;
            entries.retain(|_, e| now.0 - e.last_failure.0 < window);
        }
        for (key, free) in keys {
            let e = entries.entry(key.clone()).or_insert(Entry {
                failures: 0,
                last_failure: now,
                blocked_until: now,
            });
            if now.0 - e.last_failure.0 >= self.cfg.window as i64 {
                e.failures = 0;
            }
            e.failures += 1;
            e.last_failure = now;
            if let Some(delay) = backoff(e.failures, *free, self.cfg.max_delay) {
                e.blocked_until = UnixTime(now.0 + delay as i64);
            }
        }
    }

    /// Forgets the failures of an account after a successful sign-in.
    pub async fn record_success(&self, key: &str) {
        if let Some(shared) = &self.shared
            && let Err(e) = shared.forget(key).await
        {
            tracing::warn!(error = %e, "could not clear shared sign-in failure counts");
        }
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }

    /// The policy.
    pub fn config(&self) -> &ThrottleConfig {
        &self.cfg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_then_resets() {
        let t = Throttle::new(ThrottleConfig {
            account_free_failures: 2,
            ..ThrottleConfig::default()
        });
        let k = vec!["acct:x".to_owned()];
        let now = UnixTime(1000);
        for _ in 0..2 {
            t.record_local_failure(&[(k[0].clone(), 2)], now);
        }
        assert_eq!(t.local_retry_after(&k, now), None, "free failures");
        t.record_local_failure(&[(k[0].clone(), 2)], now);
        assert_eq!(t.local_retry_after(&k, now), Some(1));
        t.record_local_failure(&[(k[0].clone(), 2)], now);
        assert_eq!(t.local_retry_after(&k, now), Some(2));
        t.record_local_failure(&[(k[0].clone(), 2)], now);
        assert_eq!(t.local_retry_after(&k, now), Some(4));
        assert_eq!(t.local_retry_after(&k, UnixTime(1004)), None);
        t.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove("acct:x");
        assert_eq!(t.local_retry_after(&k, now), None);
    }

    #[test]
    fn delay_is_capped() {
        let t = Throttle::new(ThrottleConfig {
            account_free_failures: 0,
            max_delay: 60,
            ..ThrottleConfig::default()
        });
        for _ in 0..40 {
            t.record_local_failure(&[("k".to_owned(), 0)], UnixTime(0));
        }
        assert_eq!(
            t.local_retry_after(&["k".to_owned()], UnixTime(0)),
            Some(60)
        );
    }
}
