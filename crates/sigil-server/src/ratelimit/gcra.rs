//! The generic cell rate algorithm (GCRA): a token bucket kept as one number per key, the
//! theoretical arrival time (TAT) of the next request. One definition serves the in-process
//! table here and the Redis script in [`super::redis`], so a policy means the same wherever
//! it is counted. (`governor` implements GCRA well, but in process only and without the bucket
//! state the `RateLimit` header reports; sharing its arithmetic with a Redis script is not
//! possible, so both halves are written here, against the same tests.)

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// A token bucket: `burst` requests at once, refilled at `per_minute` a minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quota {
    /// Sustained requests per minute.
    pub per_minute: u32,
    /// Requests allowed at once (the bucket's size).
    pub burst: u32,
}

impl Quota {
    /// Microseconds between two requests at the sustained rate.
    pub fn interval_us(&self) -> u64 {
        60_000_000u64.div_ceil(u64::from(self.per_minute.max(1)))
    }

    /// How far ahead of now the TAT may run: the whole bucket.
    pub fn tolerance_us(&self) -> u64 {
        self.interval_us() * u64::from(self.burst.max(1))
    }

    /// Seconds a full bucket takes to refill (the `w` of `RateLimit-Policy`).
    pub fn window_secs(&self) -> u64 {
        self.tolerance_us().div_ceil(1_000_000).max(1)
    }
}

/// What one request costs a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may proceed.
    pub allowed: bool,
    /// Requests still allowed at once after this one.
    pub remaining: u32,
    /// Seconds until the bucket is full again.
    pub reset_secs: u64,
    /// Seconds to wait before retrying (refused requests only).
    pub retry_after_secs: u64,
}

/// Applies one request at `now_us` to a bucket whose TAT is `tat_us` (0 for a new key):
/// the decision and the TAT to store (unchanged when refused).
pub fn apply(quota: &Quota, tat_us: u64, now_us: u64) -> (Decision, u64) {
    let interval = quota.interval_us();
    let tolerance = quota.tolerance_us();
    let tat = tat_us.max(now_us);
    let next = tat + interval;
    if next - now_us > tolerance {
        let wait = next - tolerance - now_us;
        let decision = Decision {
            allowed: false,
            remaining: 0,
            reset_secs: (tat - now_us).div_ceil(1_000_000),
            retry_after_secs: wait.div_ceil(1_000_000).max(1),
        };
        return (decision, tat_us);
    }
    let used = next - now_us;
    let decision = Decision {
        allowed: true,
        remaining: ((tolerance - used) / interval) as u32,
        reset_secs: used.div_ceil(1_000_000),
        retry_after_secs: 0,
    };
    (decision, next)
}

/// Shards of the in-process table (keys spread by hash, so requests contend little).
const SHARDS: usize = 32;
/// Keys per shard before full buckets are swept out.
const SHARD_CAPACITY: usize = 8192;

/// Buckets kept in this process's memory.
#[derive(Debug)]
pub struct LocalBuckets {
    shards: Vec<Mutex<HashMap<String, u64>>>,
    hasher: RandomState,
}

impl Default for LocalBuckets {
    fn default() -> Self {
        LocalBuckets {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: RandomState::new(),
        }
    }
}

impl LocalBuckets {
    /// Counts one request against `key`.
    pub fn check(&self, key: &str, quota: &Quota, now_us: u64) -> Decision {
        let shard = &self.shards[(self.hasher.hash_one(key) as usize) % SHARDS];
        let mut map = shard.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tat) = map.get_mut(key) {
            let (decision, next) = apply(quota, *tat, now_us);
            *tat = next;
            return decision;
        }
        let (decision, next) = apply(quota, 0, now_us);
        if next != 0 {
            if map.len() >= SHARD_CAPACITY {
                // A bucket whose TAT has passed is full: forgetting it changes nothing.
                map.retain(|_, tat| *tat > now_us);
                if map.len() >= SHARD_CAPACITY {
                    // Under a flood of distinct keys, memory wins over exactness.
                    map.clear();
                }
            }
            map.insert(key.to_owned(), next);
        }
        decision
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: u64 = 1_000_000;

    #[test]
    fn a_burst_passes_then_the_rate_holds() {
        let q = Quota {
            per_minute: 120,
            burst: 3,
        };
        let buckets = LocalBuckets::default();
        let t0 = 100 * SEC;
        let remaining: Vec<u32> = (0..3)
            .map(|_| buckets.check("k", &q, t0).remaining)
            .collect();
        assert_eq!(remaining, vec![2, 1, 0]);
        let refused = buckets.check("k", &q, t0);
        assert!(!refused.allowed);
        assert_eq!(
            refused.retry_after_secs, 1,
            "one interval (0.5 s), rounded up"
        );
        assert!(
            buckets.check("k", &q, t0 + SEC / 2).allowed,
            "one token back after 0.5 s"
        );
        assert!(!buckets.check("k", &q, t0 + SEC / 2).allowed);
        assert!(buckets.check("other", &q, t0).allowed, "keys are separate");
        let full = buckets.check("k", &q, t0 + 10 * SEC);
        assert_eq!(
            (full.allowed, full.remaining),
            (true, 2),
            "refilled, never above burst"
        );
    }

    #[test]
    fn policy_numbers_match_the_headers() {
        let q = Quota {
            per_minute: 600,
            burst: 100,
        };
        assert_eq!(q.window_secs(), 10);
        let (d, _) = apply(&q, 0, SEC);
        assert_eq!((d.remaining, d.reset_secs), (99, 1));
    }

    #[test]
    fn a_refused_request_costs_nothing() {
        let q = Quota {
            per_minute: 60,
            burst: 1,
        };
        let (_, tat) = apply(&q, 0, SEC);
        let (refused, same) = apply(&q, tat, SEC);
        assert!(!refused.allowed);
        assert_eq!(same, tat);
    }

    #[test]
    fn a_flood_of_keys_stays_bounded() {
        let q = Quota {
            per_minute: 60,
            burst: 5,
        };
        let buckets = LocalBuckets::default();
        for i in 0..(SHARDS * SHARD_CAPACITY * 2) {
            buckets.check(&format!("ip-{i}"), &q, SEC);
        }
        let total: usize = buckets
            .shards
            .iter()
            .map(|s| s.lock().map(|m| m.len()).unwrap_or(0))
            .sum();
        assert!(total <= SHARDS * SHARD_CAPACITY);
    }
}
