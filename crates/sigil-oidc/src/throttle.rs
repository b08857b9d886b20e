//! Throttling of failed sign-ins, per account and per client IP, with exponential backoff.
//!
//! Keys are counted whether or not the account exists, so throttling reveals nothing about
//! which usernames are real. State is in memory: one node's view (issue: shared limits across
//! nodes come with the Redis-backed rate limiter).

use std::collections::HashMap;
use std::sync::Mutex;

use sigil_core::UnixTime;

use crate::config::ThrottleConfig;

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
}

impl Throttle {
    /// A throttle with the given policy.
    pub fn new(cfg: ThrottleConfig) -> Self {
        Throttle {
            cfg,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds to wait before `keys` may try again, if any is blocked.
    pub fn retry_after(&self, keys: &[String], now: UnixTime) -> Option<u64> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        keys.iter()
            .filter_map(|k| entries.get(k))
            .map(|e| now.seconds_until(e.blocked_until))
            .filter(|s| *s > 0)
            .max()
    }

    /// Records a failure for each key; `free` is the number of failures allowed without delay
    /// for that key.
    pub fn record_failure(&self, keys: &[(String, u32)], now: UnixTime) {
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
            if e.failures > *free {
                let exponent = (e.failures - free - 1).min(20);
                let delay = (1u64 << exponent).min(self.cfg.max_delay);
                e.blocked_until = UnixTime(now.0 + delay as i64);
            }
        }
    }

    /// Forgets the failures of an account after a successful sign-in.
    pub fn record_success(&self, key: &str) {
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
            t.record_failure(&[(k[0].clone(), 2)], now);
        }
        assert_eq!(t.retry_after(&k, now), None, "free failures");
        t.record_failure(&[(k[0].clone(), 2)], now);
        assert_eq!(t.retry_after(&k, now), Some(1));
        t.record_failure(&[(k[0].clone(), 2)], now);
        assert_eq!(t.retry_after(&k, now), Some(2));
        t.record_failure(&[(k[0].clone(), 2)], now);
        assert_eq!(t.retry_after(&k, now), Some(4));
        assert_eq!(t.retry_after(&k, UnixTime(1004)), None);
        t.record_success("acct:x");
        assert_eq!(t.retry_after(&k, now), None);
    }

    #[test]
    fn delay_is_capped() {
        let t = Throttle::new(ThrottleConfig {
            account_free_failures: 0,
            max_delay: 60,
            ..ThrottleConfig::default()
        });
        for _ in 0..40 {
            t.record_failure(&[("k".to_owned(), 0)], UnixTime(0));
        }
        assert_eq!(t.retry_after(&["k".to_owned()], UnixTime(0)), Some(60));
    }
}
