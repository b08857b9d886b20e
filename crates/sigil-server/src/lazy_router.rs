//! A router built on its first request rather than at start.
//!
//! The management API's router is the one that needs it: `utoipa-axum` builds every
//! operation's OpenAPI description along with its route, which at start was 4 MiB of the
//! 5.5 MiB heap peak and code from all over the binary, kept resident afterwards by a server
//! nobody may ever administer over HTTP. Built on demand, the first API request pays a few
//! milliseconds instead.

use std::convert::Infallible;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};

use axum::Router;
use axum::extract::Request;
use axum::response::Response;
use axum::routing::future::RouteFuture;
use tower::Service;

/// A [`Router`] built by `build` on the first request; clones share the one router.
#[derive(Clone)]
pub struct LazyRouter {
    router: Arc<OnceLock<Router>>,
    build: Arc<dyn Fn() -> Router + Send + Sync>,
}

impl LazyRouter {
    /// A router that `build` makes when it is first needed.
    pub fn new(build: impl Fn() -> Router + Send + Sync + 'static) -> Self {
        LazyRouter {
            router: Arc::new(OnceLock::new()),
            build: Arc::new(build),
        }
    }
}

impl Service<Request> for LazyRouter {
    type Response = Response;
    type Error = Infallible;
    type Future = RouteFuture<Infallible>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        self.router.get_or_init(|| (self.build)()).clone().call(req)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt as _;

    use super::*;

    #[tokio::test]
    async fn builds_once_on_the_first_request_and_clones_share_it() {
        let built = Arc::new(AtomicUsize::new(0));
        let counter = built.clone();
        let lazy = LazyRouter::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            Router::new().route("/ping", get(|| async { "pong" }))
        });
        assert_eq!(built.load(Ordering::SeqCst), 0, "nothing built at start");
        for service in [lazy.clone(), lazy] {
            let res = service
                .oneshot(Request::get("/ping").body(Body::empty()).expect("request"))
                .await
                .expect("infallible");
            assert_eq!(res.status(), 200);
        }
        assert_eq!(built.load(Ordering::SeqCst), 1);
    }
}
