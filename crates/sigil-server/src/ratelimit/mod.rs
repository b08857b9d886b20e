//! Rate limits on every endpoint: token buckets per client IP, per client and per tenant,
//! with limits per route class (token endpoints, sign-in, pages, management API, discovery).
//! A request over any of its buckets gets `429` with `Retry-After`; every limited response
//! carries the `RateLimit-Policy` and `RateLimit` fields of draft-ietf-httpapi-ratelimit-headers
//! (structured fields naming each policy: `"ip";q=200;w=2` and `"ip";r=150;t=1`).
//!
//! Buckets live in process by default. With `rate_limits.redis_url` (`--rate-limit-redis`) they
//! are shared by every node through Redis; while Redis is unreachable or slow each node counts
//! on its own, and says so in its log. Sign-in attempts are also counted per account named
//! (in the sign-in handler, which reads the form), and failed ones slowed per account by the
//! provider's own throttle, whatever the IP.

pub mod failures;
mod gcra;
mod redis;

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::header::{AUTHORIZATION, RETRY_AFTER};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use sigil_oidc::{TenantCtx, endpoints as ep};

pub use gcra::{Decision, LocalBuckets, Quota};
pub use redis::RedisBuckets;

use crate::error::problem;
use crate::state::AppState;

/// The limits of one route class, per dimension; `None` leaves a dimension unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClassLimits {
    /// Per client IP.
    pub per_ip: Option<Quota>,
    /// Per client (token endpoints: the client authenticating with HTTP Basic or naming
    /// itself in the form; the management API: the access token).
    pub per_client: Option<Quota>,
    /// Per tenant, all callers together.
    pub per_tenant: Option<Quota>,
    /// Per account named (sign-in: the username tried, whether or not it exists).
    pub per_user: Option<Quota>,
}

impl ClassLimits {
    /// The quotas of the dimensions the rate limit middleware counts, as [`DIMENSIONS`]
    /// names them.
    fn counted(&self) -> [Option<Quota>; 3] {
        [self.per_ip, self.per_client, self.per_tenant]
    }
}

/// The dimensions the rate limit middleware counts, in the order the headers list them.
const DIMENSIONS: [&str; 3] = ["ip", "client", "tenant"];

/// How many sets of [`DIMENSIONS`] a request can be counted in (a bit per dimension).
const DIMENSION_SETS: usize = 1 << DIMENSIONS.len();

/// A quota of `per_minute` requests with bursts of `burst`.
const fn quota(per_minute: u32, burst: u32) -> Option<Quota> {
    Some(Quota { per_minute, burst })
}

/// Rate limit settings (`server.rate_limits`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Whether limits apply at all.
    pub enabled: bool,
    /// Share buckets across nodes through this Redis (`redis://host:6379`).
    pub redis_url: Option<String>,
    /// Prefix of this deployment's keys in Redis (deployments sharing a Redis differ here).
    pub redis_prefix: String,
    /// `/token`, `/introspect`, `/revoke`, `/device_authorization`.
    pub token: ClassLimits,
    /// Sign-in form submissions (`POST /login`).
    pub sign_in: ClassLimits,
    /// Hosted pages and the authorization endpoint.
    pub pages: ClassLimits,
    /// The management API.
    pub api: ClassLimits,
    /// Discovery documents, JWKS, static files.
    pub discovery: ClassLimits,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            enabled: true,
            redis_url: None,
            redis_prefix: "sigil:rl:".into(),
            token: ClassLimits {
                per_ip: quota(6000, 200),
                per_client: quota(6000, 200),
                per_tenant: quota(60_000, 2000),
                per_user: None,
            },
            sign_in: ClassLimits {
                per_ip: quota(120, 30),
                per_client: None,
                per_tenant: quota(6000, 500),
                per_user: quota(30, 10),
            },
            pages: ClassLimits {
                per_ip: quota(1200, 100),
                per_tenant: quota(60_000, 2000),
                ..ClassLimits::default()
            },
            api: ClassLimits {
                per_ip: quota(3000, 200),
                per_client: quota(3000, 200),
                per_tenant: quota(30_000, 1000),
                per_user: None,
            },
            discovery: ClassLimits {
                per_ip: quota(6000, 500),
                ..ClassLimits::default()
            },
        }
    }
}

/// Which limits a request falls under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteClass {
    /// Token, introspection, revocation, device authorization.
    Token,
    /// Sign-in submissions.
    SignIn,
    /// Pages and the authorization endpoint.
    Pages,
    /// The management API and SCIM.
    Api,
    /// Discovery, JWKS, static files.
    Discovery,
}

impl RouteClass {
    /// Every class, in declaration order.
    const ALL: [RouteClass; 5] = [
        RouteClass::Token,
        RouteClass::SignIn,
        RouteClass::Pages,
        RouteClass::Api,
        RouteClass::Discovery,
    ];

    /// The class of a request, or `None` for health and metrics endpoints (never limited).
    pub fn of(method: &Method, path: &str) -> Option<Self> {
        let path = match crate::tenant::tenant_in_path(path) {
            Some(t) => path
                .strip_prefix("/t/")
                .and_then(|p| p.strip_prefix(t))
                .unwrap_or(path),
            None => path,
        };
        Some(match path {
            "/healthz" | "/readyz" | "/metrics" => return None,
            ep::TOKEN | ep::INTROSPECT | ep::REVOKE | ep::DEVICE_AUTHORIZATION | ep::PAR => {
                RouteClass::Token
            }
            ep::LOGIN if method == Method::POST => RouteClass::SignIn,
            p if p.starts_with("/api/") || p.starts_with("/scim/") => RouteClass::Api,
            p if p.starts_with("/.well-known/") || p == ep::JWKS || p.starts_with("/static/") => {
                RouteClass::Discovery
            }
            _ => RouteClass::Pages,
        })
    }

    fn name(self) -> &'static str {
        match self {
            RouteClass::Token => "token",
            RouteClass::SignIn => "sign_in",
            RouteClass::Pages => "pages",
            RouteClass::Api => "api",
            RouteClass::Discovery => "discovery",
        }
    }

    /// This class's limits.
    pub fn limits(self, cfg: &RateLimitConfig) -> &ClassLimits {
        match self {
            RouteClass::Token => &cfg.token,
            RouteClass::SignIn => &cfg.sign_in,
            RouteClass::Pages => &cfg.pages,
            RouteClass::Api => &cfg.api,
            RouteClass::Discovery => &cfg.discovery,
        }
    }
}

/// Counts requests: in process, or through Redis with the process as the fallback.
#[derive(Debug, Default)]
pub struct Limiter {
    local: LocalBuckets,
    shared: Option<RedisBuckets>,
    /// When a Redis failure was last logged (seconds), so an outage logs every few seconds
    /// rather than on every request.
    last_error_log: AtomicU64,
    /// The `RateLimit-Policy` value of each class and set of dimensions counted (a bit per
    /// dimension), written once: the quotas are fixed for the process's life.
    policies: Vec<Option<HeaderValue>>,
}

/// The `RateLimit-Policy` value of `limits` when the dimensions in `mask` were counted.
fn policy_header(limits: &ClassLimits, mask: usize) -> Option<HeaderValue> {
    let mut policy = String::new();
    let counted = DIMENSIONS.iter().zip(limits.counted()).enumerate();
    for (i, (name, quota)) in counted {
        let Some(q) = quota.filter(|_| mask & (1 << i) != 0) else {
            continue;
        };
        if !policy.is_empty() {
            policy.push_str(", ");
        }
        let _ = write!(policy, "\"{name}\";q={};w={}", q.burst, q.window_secs());
    }
    HeaderValue::try_from(policy).ok()
}

impl Limiter {
    /// A limiter for these settings; connects to Redis in the background when configured.
    pub fn new(cfg: &RateLimitConfig) -> Result<Self, String> {
        let shared = match &cfg.redis_url {
            Some(url) if cfg.enabled => Some(
                RedisBuckets::connect(url, &cfg.redis_prefix)
                    .map_err(|e| format!("rate_limits.redis_url: {e}"))?,
            ),
            _ => None,
        };
        let policies = RouteClass::ALL
            .iter()
            .flat_map(|class| {
                (0..DIMENSION_SETS).map(|mask| policy_header(class.limits(cfg), mask))
            })
            .collect();
        Ok(Limiter {
            local: LocalBuckets::default(),
            shared,
            last_error_log: AtomicU64::new(0),
            policies,
        })
    }

    /// Whether buckets are currently shared through Redis.
    pub fn is_shared(&self) -> bool {
        self.shared.as_ref().is_some_and(RedisBuckets::is_connected)
    }

    /// Counts one request against a bucket.
    pub async fn check(&self, key: &str, quota: &Quota) -> Decision {
        if let Some(shared) = &self.shared
            && shared.is_connected()
        {
            match shared.check(key, quota).await {
                Ok(decision) => return decision,
                Err(e) => {
                    metrics::counter!("sigil_rate_limit_redis_errors_total").increment(1);
                    let now = now_us() / 1_000_000;
                    let last = self.last_error_log.load(Ordering::Relaxed);
                    if now >= last + 10
                        && self
                            .last_error_log
                            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                            .is_ok()
                    {
                        tracing::error!(error = %e, "Redis rate limit calls fail; counting on this node");
                    }
                }
            }
        }
        self.local.check(key, quota, now_us())
    }
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// The `429` problem answer, with `Retry-After`.
pub fn too_many_requests(retry_after_secs: u64) -> Response {
    let mut res = problem(
        429,
        "rate-limited",
        "Too many requests",
        Some("slow down: retry after the number of seconds in Retry-After"),
    );
    if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
        res.headers_mut().insert(RETRY_AFTER, v);
    }
    res
}

/// Counts a request against one more bucket that only a handler can name (the account a
/// sign-in tries, the client a form names): the seconds to wait when it is spent.
pub async fn over_limit(
    state: &AppState,
    class: RouteClass,
    dimension: &'static str,
    quota: Option<Quota>,
    key: &str,
) -> Option<u64> {
    let quota = quota.filter(|_| state.config.rate_limits.enabled)?;
    let key = format!("{}:{dimension}:{key}", class.name());
    let decision = state.limiter.check(&key, &quota).await;
    if decision.allowed {
        return None;
    }
    metrics::counter!("sigil_rate_limited_total", "class" => class.name(), "by" => dimension)
        .increment(1);
    Some(decision.retry_after_secs)
}

/// Writes the client a request names in its head, if any: the HTTP Basic user (token
/// endpoints) or a digest of the bearer token (the management API).
fn write_client_key(headers: &HeaderMap, out: &mut String) -> bool {
    let Some(value) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let Some((scheme, credentials)) = value.split_once(' ') else {
        return false;
    };
    if scheme.eq_ignore_ascii_case("basic") {
        let Ok((id, _)) = sigil_oidc::client_auth::parse_basic(value) else {
            return false;
        };
        let _ = write!(out, "id:{id}");
    } else if scheme.eq_ignore_ascii_case("bearer") {
        let digest = sigil_core::Digest32::of(credentials.trim());
        let _ = write!(out, "at:{}", sigil_core::b64url_encode(&digest.0[..12]));
    } else {
        return false;
    }
    true
}

/// Writes the last part of a bucket's key, or says the request names nothing there.
type KeyWriter<'a> = dyn Fn(&mut String) -> bool + Sync + 'a;

/// One bucket a request was counted against.
struct Counted {
    name: &'static str,
    decision: Decision,
}

/// The buckets of its route class that a request was counted against (up to one per
/// dimension: client IP, client, tenant) and what each said.
#[derive(Default)]
pub struct Counts {
    class: Option<RouteClass>,
    counted: [Option<Counted>; 3],
}

impl Counts {
    fn iter(&self) -> impl Iterator<Item = &Counted> {
        self.counted.iter().flatten()
    }

    /// The `429` answer when any bucket was empty (SCIM's own error shape on SCIM paths).
    pub fn refusal(&self, path: &str) -> Option<Response> {
        let class = self.class?;
        let empty = self.iter().find(|c| !c.decision.allowed)?;
        metrics::counter!("sigil_rate_limited_total", "class" => class.name(), "by" => empty.name)
            .increment(1);
        let wait = empty.decision.retry_after_secs;
        Some(if crate::routes::scim::is_scim_path(path) {
            crate::routes::scim::too_many_requests(wait)
        } else {
            too_many_requests(wait)
        })
    }

    /// Describes the buckets in `RateLimit-Policy` and `RateLimit`.
    pub fn describe(&self, limiter: &Limiter, res: &mut Response) {
        let Some(class) = self.class else {
            return;
        };
        let mask = self
            .counted
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_some())
            .fold(0, |mask, (i, _)| mask | 1 << i);
        if mask == 0 {
            return;
        }
        let mut current = String::with_capacity(64);
        let mut number = itoa::Buffer::new();
        for c in self.iter() {
            if !current.is_empty() {
                current.push_str(", ");
            }
            current.push('"');
            current.push_str(c.name);
            current.push_str("\";r=");
            current.push_str(number.format(c.decision.remaining));
            current.push_str(";t=");
            current.push_str(number.format(c.decision.reset_secs));
        }
        let policy = limiter.policies.get(class as usize * DIMENSION_SETS + mask);
        let headers = res.headers_mut();
        if let Some(Some(v)) = policy {
            headers.insert("ratelimit-policy", v.clone());
        }
        if let Ok(v) = HeaderValue::try_from(current) {
            headers.insert("ratelimit", v);
        }
    }
}

/// Counts a request against the buckets of its route class: per client IP, per client
/// named in its head and per tenant. Health and metrics endpoints are not counted.
pub async fn count(
    state: &AppState,
    parts: &Parts,
    tenant: &TenantCtx,
    ip: Option<&str>,
) -> Counts {
    let cfg = &state.config.rate_limits;
    let class = match RouteClass::of(&parts.method, parts.uri.path()) {
        Some(class) if cfg.enabled => class,
        _ => return Counts::default(),
    };
    let limits = class.limits(cfg);
    let mut counts = Counts {
        class: Some(class),
        ..Counts::default()
    };
    let ip = |key: &mut String| ip.map(|ip| key.push_str(ip)).is_some();
    let client = |key: &mut String| write_client_key(&parts.headers, key);
    let tenant = |key: &mut String| {
        key.push_str(tenant.id.as_str());
        true
    };
    let writers: [&KeyWriter; 3] = [&ip, &client, &tenant];
    let dimensions = DIMENSIONS.into_iter().zip(limits.counted()).zip(writers);
    let mut key = String::with_capacity(64);
    for (slot, ((name, quota), write_named)) in counts.counted.iter_mut().zip(dimensions) {
        let Some(quota) = quota else {
            continue;
        };
        key.clear();
        let _ = write!(key, "{}:{name}:", class.name());
        if write_named(&mut key) {
            let decision = state.limiter.check(&key, &quota).await;
            *slot = Some(Counted { name, decision });
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_field_lists_the_dimensions_counted() {
        let policy = |limits: &ClassLimits, mask| {
            policy_header(limits, mask).map(|v| v.to_str().unwrap_or_default().to_owned())
        };
        let token = RateLimitConfig::default().token;
        assert_eq!(
            policy(&token, 0b111).as_deref(),
            Some("\"ip\";q=200;w=2, \"client\";q=200;w=2, \"tenant\";q=2000;w=2")
        );
        assert_eq!(
            policy(&token, 0b101).as_deref(),
            Some("\"ip\";q=200;w=2, \"tenant\";q=2000;w=2")
        );
        let discovery = RateLimitConfig::default().discovery;
        assert_eq!(
            policy(&discovery, 0b111).as_deref(),
            Some("\"ip\";q=500;w=5"),
            "unlimited dimensions are not listed"
        );
    }

    #[test]
    fn routes_fall_into_classes() {
        let get = Method::GET;
        let post = Method::POST;
        assert_eq!(RouteClass::of(&post, "/token"), Some(RouteClass::Token));
        assert_eq!(
            RouteClass::of(&post, "/t/acme/introspect"),
            Some(RouteClass::Token)
        );
        assert_eq!(RouteClass::of(&post, "/login"), Some(RouteClass::SignIn));
        assert_eq!(RouteClass::of(&get, "/login"), Some(RouteClass::Pages));
        assert_eq!(
            RouteClass::of(&get, "/t/acme/api/v1/users"),
            Some(RouteClass::Api)
        );
        assert_eq!(RouteClass::of(&get, "/jwks"), Some(RouteClass::Discovery));
        assert_eq!(
            RouteClass::of(&get, "/.well-known/openid-configuration"),
            Some(RouteClass::Discovery)
        );
        assert_eq!(RouteClass::of(&get, "/authorize"), Some(RouteClass::Pages));
        assert_eq!(RouteClass::of(&get, "/healthz"), None);
    }
}
