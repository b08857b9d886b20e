//! Time as whole Unix seconds, which is what every token claim and expiry uses, Unix
//! milliseconds where a second is too coarse (the device flow's polling interval), and a
//! [`Clock`] seam so tests can move time instead of sleeping.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Seconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnixTime(pub i64);

impl UnixTime {
    /// RFC 3339 text in UTC (`2026-11-27T16:48:57Z`), as the APIs write times; empty for a
    /// time outside what RFC 3339 can write.
    pub fn rfc3339(self) -> String {
        time::OffsetDateTime::from_unix_timestamp(self.0)
            .ok()
            .and_then(|d| {
                d.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_default()
    }

    /// Parses RFC 3339 text (any offset) into whole seconds (a fraction is dropped).
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .ok()
            .map(|d| UnixTime(d.unix_timestamp()))
    }

    /// This instant plus a duration (saturating).
    pub fn plus(self, d: Duration) -> Self {
        UnixTime(
            self.0
                .saturating_add(i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
        )
    }

    /// This instant minus a duration (saturating).
    pub fn minus(self, d: Duration) -> Self {
        UnixTime(
            self.0
                .saturating_sub(i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
        )
    }

    /// Whole seconds from `self` until `later`, zero when `later` is in the past.
    pub fn seconds_until(self, later: UnixTime) -> u64 {
        u64::try_from(later.0.saturating_sub(self.0)).unwrap_or(0)
    }
}

impl fmt::Display for UnixTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Milliseconds since the Unix epoch (UTC), for intervals a whole second would misjudge: two
/// polls 10 ms apart can fall either side of a second's boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UnixMillis(pub i64);

impl UnixMillis {
    /// Milliseconds from `earlier` to `self` (negative when `earlier` is later).
    pub fn millis_since(self, earlier: UnixMillis) -> i64 {
        self.0.saturating_sub(earlier.0)
    }
}

/// Where protocol code gets "now" from.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time, in whole seconds.
    fn now(&self) -> UnixTime;
    /// The current time, in milliseconds.
    fn now_millis(&self) -> UnixMillis;
}

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

fn since_epoch() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

impl Clock for SystemClock {
    fn now(&self) -> UnixTime {
        UnixTime(i64::try_from(since_epoch().as_secs()).unwrap_or(i64::MAX))
    }

    fn now_millis(&self) -> UnixMillis {
        UnixMillis(i64::try_from(since_epoch().as_millis()).unwrap_or(i64::MAX))
    }
}

/// A clock that only moves when told to; for tests of expiry and timeouts. It keeps
/// milliseconds, so a test can also move it by less than a second.
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock stopped at `start`.
    pub fn new(start: UnixTime) -> Self {
        ManualClock(AtomicI64::new(start.0.saturating_mul(1000)))
    }

    /// A clock stopped at the current wall-clock time.
    pub fn starting_now() -> Self {
        Self::new(SystemClock.now())
    }

    /// Moves the clock forward.
    pub fn advance(&self, d: Duration) {
        self.0
            .fetch_add(i64::try_from(d.as_millis()).unwrap_or(0), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> UnixTime {
        UnixTime(self.now_millis().0.div_euclid(1000))
    }

    fn now_millis(&self) -> UnixMillis {
        UnixMillis(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates_and_counts_forward_only() {
        let t = UnixTime(100);
        assert_eq!(t.plus(Duration::from_secs(5)), UnixTime(105));
        assert_eq!(t.minus(Duration::from_secs(5)), UnixTime(95));
        assert_eq!(t.seconds_until(UnixTime(90)), 0);
        assert_eq!(t.seconds_until(UnixTime(160)), 60);
        assert_eq!(
            UnixTime(i64::MAX).plus(Duration::from_secs(1)),
            UnixTime(i64::MAX)
        );
    }

    #[test]
    fn manual_clock_moves_only_when_advanced() {
        let c = ManualClock::new(UnixTime(1_000));
        assert_eq!(c.now(), UnixTime(1_000));
        c.advance(Duration::from_secs(30));
        assert_eq!(c.now(), UnixTime(1_030));
        c.advance(Duration::from_millis(999));
        assert_eq!(
            (c.now(), c.now_millis()),
            (UnixTime(1_030), UnixMillis(1_030_999))
        );
        c.advance(Duration::from_millis(1));
        assert_eq!(c.now(), UnixTime(1_031));
        assert_eq!(c.now_millis().millis_since(UnixMillis(1_030_990)), 10);
    }
}
