//! Prometheus metrics: request counts and latencies per route, plus what the provider counts
//! (sign-ins by outcome, tokens by grant). One recorder per process.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, LazyLock, Mutex, OnceLock, RwLock};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use metrics::{Counter, Histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use pin_project_lite::pin_project;
use tower::{Layer, Service};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Latency buckets, seconds: from sub-millisecond token minting to slow sign-ins.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Installs the process-wide recorder once and returns its handle.
pub fn install() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
                .unwrap_or_else(|_| PrometheusBuilder::new())
                .build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder was installed first; the handle still renders
            // this recorder's (then empty) metrics.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// One route's handles: its latency histogram and a counter per method and status seen.
struct RouteHandles {
    duration: Histogram,
    requests: Mutex<Vec<(Method, u16, Counter)>>,
}

impl RouteHandles {
    fn new(route: &str) -> Self {
        RouteHandles {
            duration: metrics::histogram!(
                "sigil_http_request_duration_seconds", "route" => route.to_owned()
            ),
            requests: Mutex::new(Vec::new()),
        }
    }

    fn record(&self, route: &str, method: &Method, status: StatusCode, elapsed: Duration) {
        self.duration.record(elapsed.as_secs_f64());
        let status = status.as_u16();
        let mut requests = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, _, counter)) = requests
            .iter()
            .find(|(m, s, _)| m == method && *s == status)
        {
            counter.increment(1);
            return;
        }
        let counter = metrics::counter!(
            "sigil_http_requests_total",
            "route" => route.to_owned(),
            "method" => method.as_str().to_owned(),
            "status" => status.to_string()
        );
        counter.increment(1);
        requests.push((method.clone(), status, counter));
    }
}

/// The handles of every route template seen, so that a request looks its metrics up by
/// borrowed name instead of building labelled keys (a dozen allocations) each time.
static ROUTES: LazyLock<RwLock<HashMap<String, Arc<RouteHandles>>>> =
    LazyLock::new(Default::default);

fn handles(route: &str) -> Arc<RouteHandles> {
    if let Some(h) = ROUTES.read().unwrap_or_else(|p| p.into_inner()).get(route) {
        return h.clone();
    }
    ROUTES
        .write()
        .unwrap_or_else(|p| p.into_inner())
        .entry(route.to_owned())
        .or_insert_with(|| Arc::new(RouteHandles::new(route)))
        .clone()
}

/// The methods HTTP defines keep their name; any other becomes `OTHER`, so a caller making
/// methods up cannot make up labels.
fn method_label(method: &Method) -> Method {
    const KNOWN: [Method; 9] = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::HEAD,
        Method::OPTIONS,
        Method::CONNECT,
        Method::TRACE,
    ];
    if KNOWN.contains(method) {
        method.clone()
    } else {
        Method::from_bytes(b"OTHER").unwrap_or(Method::GET)
    }
}

/// Layer: counts and times each request by route template (never the raw path, so ids and
/// tokens in paths never become labels). A plain tower layer rather than an axum `from_fn`,
/// which would box every request's future and clone the route inside it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Track;

impl<S> Layer<S> for Track {
    type Service = Tracked<S>;

    fn layer(&self, inner: S) -> Tracked<S> {
        Tracked { inner }
    }
}

/// A route whose requests [`Track`] counts and times.
#[derive(Clone, Debug)]
pub struct Tracked<S> {
    inner: S,
}

impl<S> Service<Request> for Tracked<S>
where
    S: Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = TrackedFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        TrackedFuture {
            route: req.extensions().get::<MatchedPath>().cloned(),
            method: method_label(req.method()),
            start: Instant::now(),
            inner: self.inner.call(req),
        }
    }
}

pin_project! {
    /// The response of a [`Tracked`] route, recorded when it is ready.
    pub struct TrackedFuture<F> {
        #[pin]
        inner: F,
        route: Option<MatchedPath>,
        method: Method,
        start: Instant,
    }
}

impl<F, E> Future for TrackedFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        if let Ok(res) = &result {
            let route = this.route.as_ref().map_or("unmatched", MatchedPath::as_str);
            handles(route).record(route, this.method, res.status(), this.start.elapsed());
        }
        Poll::Ready(result)
    }
}
