//! Who sent the request being handled: client IP, user agent and request id, set once by the
//! HTTP layer for the whole handling of a request (a task-local), so that every audit event
//! recorded while handling it carries them without each protocol function passing them on.
//! Outside a request (the CLI, background jobs) there is none.

use std::future::Future;

/// Longest user agent kept; longer ones are cut (on a character boundary).
const MAX_USER_AGENT: usize = 256;

/// The request being handled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestContext {
    /// Client IP (from the connection, or `X-Forwarded-For` when configured to trust it).
    pub ip: Option<String>,
    /// `User-Agent`, at most 256 bytes.
    pub user_agent: Option<String>,
    /// The request id: the caller's `X-Request-Id` when acceptable, otherwise a fresh one.
    pub request_id: String,
}

impl RequestContext {
    /// A context with a user agent cut to size and a request id: the caller's when it is
    /// 1 to 128 visible ASCII characters, otherwise a new random one.
    pub fn new(ip: Option<String>, user_agent: Option<&str>, request_id: Option<&str>) -> Self {
        let user_agent = user_agent.map(|ua| {
            let mut end = ua.len().min(MAX_USER_AGENT);
            while !ua.is_char_boundary(end) {
                end -= 1;
            }
            ua[..end].to_owned()
        });
        let request_id = request_id
            .filter(|id| (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic()))
            .map_or_else(crate::random::identifier, str::to_owned);
        RequestContext {
            ip,
            user_agent,
            request_id,
        }
    }
}

tokio::task_local! {
    static CURRENT: RequestContext;
}

/// Runs `f` as the handling of the request `ctx` describes.
pub async fn scope<F: Future>(ctx: RequestContext, f: F) -> F::Output {
    CURRENT.scope(ctx, f).await
}

/// The request being handled, if any.
pub fn current() -> Option<RequestContext> {
    CURRENT.try_with(Clone::clone).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_kept_only_when_harmless() {
        assert_eq!(
            RequestContext::new(None, None, Some("abc-123")).request_id,
            "abc-123"
        );
        for bad in ["", "has space", "new\nline", &"x".repeat(129)] {
            let id = RequestContext::new(None, None, Some(bad)).request_id;
            assert_ne!(id, bad);
            assert_eq!(id.len(), 22, "a fresh 128-bit id");
        }
    }

    #[test]
    fn user_agents_are_cut_on_a_character_boundary() {
        let long = "é".repeat(200);
        let ua = RequestContext::new(None, Some(&long), None)
            .user_agent
            .unwrap();
        assert!(ua.len() <= MAX_USER_AGENT && ua.chars().all(|c| c == 'é'));
    }

    #[tokio::test]
    async fn the_context_is_visible_inside_its_scope_only() {
        assert_eq!(current(), None);
        let ctx = RequestContext::new(Some("10.0.0.1".into()), Some("curl"), Some("r1"));
        let seen = scope(ctx.clone(), async { current() }).await;
        assert_eq!(seen, Some(ctx));
        assert_eq!(current(), None);
    }
}
