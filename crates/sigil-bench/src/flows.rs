//! The measured flows. Each runs `connections` tasks, one keep-alive connection each, for
//! `warmup + duration` seconds, and reports the rate and latency of what finished after warmup.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use clap::Args;
use hyper::Method;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::http::{Conn, cookies, csrf};

/// Common load settings.
#[derive(Debug, Clone, Args)]
pub struct LoadSettings {
    /// Concurrent connections.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Seconds measured.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Seconds of warm-up first.
    #[arg(long, default_value_t = 3)]
    warmup: u64,
}

/// `load`: one request repeated.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Base URL (`http://127.0.0.1:8080`); repeat it to spread connections over nodes.
    #[arg(long, required = true)]
    base: Vec<String>,
    /// Path.
    #[arg(long)]
    path: String,
    /// POST this form body (GET when absent).
    #[arg(long)]
    form: Option<String>,
    /// HTTP Basic credentials `id:secret`.
    #[arg(long)]
    basic: Option<String>,
    /// An extra request header, `name: value`; repeat for more.
    #[arg(long = "header")]
    headers: Vec<String>,
    /// Status every response must have.
    #[arg(long, default_value_t = 200)]
    expect: u16,
    #[command(flatten)]
    settings: LoadSettings,
}

/// `code-flow`.
#[derive(Debug, Args)]
pub struct CodeFlowArgs {
    /// Base URL.
    #[arg(long)]
    base: String,
    /// A first-party client (no consent screen) with `client_secret_basic`.
    #[arg(long)]
    client_id: String,
    /// Its secret.
    #[arg(long)]
    client_secret: String,
    /// Its redirect URI.
    #[arg(long)]
    redirect_uri: String,
    /// A user.
    #[arg(long)]
    username: String,
    /// The user's password.
    #[arg(long)]
    password: String,
    #[command(flatten)]
    settings: LoadSettings,
}

/// `sign-in`.
#[derive(Debug, Args)]
pub struct SignInArgs {
    /// Base URL; repeat it to spread connections over nodes.
    #[arg(long, required = true)]
    base: Vec<String>,
    /// A user.
    #[arg(long)]
    username: String,
    /// The user's password.
    #[arg(long)]
    password: String,
    #[command(flatten)]
    settings: LoadSettings,
}

/// `refresh`.
#[derive(Debug, Args)]
pub struct RefreshArgs {
    /// Base URL; repeat it to spread connections over nodes.
    #[arg(long, required = true)]
    base: Vec<String>,
    /// How many clients were seeded (grant `k` belongs to `seed-client-{1 + k % clients}`).
    #[arg(long)]
    seeded_clients: usize,
    /// The first seeded grant to use (each run needs grants no earlier run rotated).
    #[arg(long, default_value_t = 1)]
    first_grant: usize,
    #[command(flatten)]
    settings: LoadSettings,
}

/// One iteration of a flow; true when it succeeded.
pub(crate) type Step = Box<dyn FnMut() -> Pin<Box<dyn Future<Output = bool> + Send>> + Send>;

#[derive(Default)]
struct Tally {
    latencies_us: Vec<u64>,
    errors: u64,
}

fn report(tallies: Vec<Tally>, seconds: u64) -> Value {
    let mut all: Vec<u64> = tallies
        .iter()
        .flat_map(|t| t.latencies_us.iter().copied())
        .collect();
    let errors: u64 = tallies.iter().map(|t| t.errors).sum();
    all.sort_unstable();
    let pct = |p: f64| {
        let i = ((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1));
        all.get(i).copied().unwrap_or(0) as f64 / 1000.0
    };
    json!({
        "completed": all.len(),
        "per_second": (all.len() as f64 / seconds as f64).round(),
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "errors": errors,
    })
}

/// Runs one `Step` per connection until the end, tallying what started after warm-up.
pub(crate) async fn drive(
    settings: &LoadSettings,
    make: impl Fn(usize) -> Step,
) -> anyhow::Result<Value> {
    let measure_from = Instant::now() + Duration::from_secs(settings.warmup);
    let end = measure_from + Duration::from_secs(settings.duration);
    let mut tasks = Vec::new();
    for i in 0..settings.connections {
        let mut step = make(i);
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            while Instant::now() < end {
                let t0 = Instant::now();
                let ok = step().await;
                if t0 >= measure_from {
                    if ok {
                        tally.latencies_us.push(t0.elapsed().as_micros() as u64);
                    } else {
                        tally.errors += 1;
                    }
                }
            }
            tally
        }));
    }
    let mut tallies = Vec::new();
    for t in tasks {
        tallies.push(t.await?);
    }
    Ok(report(tallies, settings.duration))
}

fn basic(credentials: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(credentials)
    )
}

/// One request, repeated.
pub async fn load(args: LoadArgs) -> anyhow::Result<Value> {
    let mut headers: Vec<(String, String)> = args
        .headers
        .iter()
        .map(|h| {
            h.split_once(':')
                .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
                .ok_or_else(|| anyhow::anyhow!("--header {h:?}: expected name: value"))
        })
        .collect::<anyhow::Result<_>>()?;
    if let Some(b) = &args.basic {
        headers.push(("authorization".into(), basic(b)));
    }
    if args.form.is_some() {
        headers.push((
            "content-type".into(),
            "application/x-www-form-urlencoded".into(),
        ));
    }
    let headers = Arc::new(headers);
    drive(&args.settings, |i| {
        let conn = Arc::new(Mutex::new(Conn::new(&args.base[i % args.base.len()])));
        let (path, form, headers, expect) = (
            args.path.clone(),
            args.form.clone(),
            headers.clone(),
            args.expect,
        );
        Box::new(move || {
            let (conn, path, form, headers) =
                (conn.clone(), path.clone(), form.clone(), headers.clone());
            Box::pin(async move {
                let method = if form.is_some() {
                    Method::POST
                } else {
                    Method::GET
                };
                let reply = conn.lock().await.send(method, &path, &headers, form).await;
                reply.is_ok_and(|r| r.status.as_u16() == expect)
            })
        })
    })
    .await
}

/// Signs in through the form; returns the cookie jar.
pub(crate) async fn signed_in_jar(
    conn: &mut Conn,
    username: &str,
    password: &str,
) -> anyhow::Result<Vec<String>> {
    let mut jar = Vec::new();
    let page = conn
        .send(Method::GET, "/login", &[] as &[(&str, String)], None)
        .await?;
    cookies(&page.headers, &mut jar);
    let form = format!(
        "csrf={}&return_to=%2Faccount&username={}&password={}",
        csrf(&page.body)?,
        urlencode(username),
        urlencode(password)
    );
    let headers = [
        (
            "content-type",
            "application/x-www-form-urlencoded".to_owned(),
        ),
        ("cookie", jar.join("; ")),
    ];
    let res = conn
        .send(Method::POST, "/login", &headers, Some(form))
        .await?;
    anyhow::ensure!(
        res.status.as_u16() == 303,
        "sign-in failed with {}",
        res.status
    );
    cookies(&res.headers, &mut jar);
    Ok(jar)
}

/// Full authorization-code round trips: authorize (signed in, consent not needed), redeem.
pub async fn code_flow(args: CodeFlowArgs) -> anyhow::Result<Value> {
    let mut setup = Conn::new(&args.base);
    let jar = signed_in_jar(&mut setup, &args.username, &args.password)
        .await?
        .join("; ");
    let auth = basic(&format!("{}:{}", args.client_id, args.client_secret));
    let settings = args.settings.clone();
    let a = Arc::new(args);
    drive(&settings, |_| {
        let conn = Arc::new(Mutex::new(Conn::new(&a.base)));
        let (a, jar, auth) = (a.clone(), jar.clone(), auth.clone());
        Box::new(move || {
            let (a, jar, auth, conn) = (a.clone(), jar.clone(), auth.clone(), conn.clone());
            Box::pin(async move {
                round_trip(&a, &jar, &auth, &mut *conn.lock().await)
                    .await
                    .unwrap_or(false)
            })
        })
    })
    .await
}

async fn round_trip(
    a: &CodeFlowArgs,
    jar: &str,
    auth: &str,
    conn: &mut Conn,
) -> anyhow::Result<bool> {
    let verifier = sigil_core::random::secret_token();
    let challenge = sigil_oidc::pkce::s256(&verifier);
    let path = format!(
        "/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid&state=s&nonce=n&code_challenge={challenge}&code_challenge_method=S256",
        a.client_id,
        urlencode(&a.redirect_uri)
    );
    let res = conn
        .send(Method::GET, &path, &[("cookie", jar.to_owned())], None)
        .await?;
    let location = res
        .headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some(code) = location
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("code="))
    else {
        return Ok(false);
    };
    let form = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={}&code_verifier={verifier}",
        urlencode(&a.redirect_uri)
    );
    let headers = [
        ("authorization", auth.to_owned()),
        (
            "content-type",
            "application/x-www-form-urlencoded".to_owned(),
        ),
    ];
    let res = conn
        .send(Method::POST, "/token", &headers, Some(form))
        .await?;
    Ok(res.status.as_u16() == 200)
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Password sign-ins through the form, each from a fresh form (as separate browsers do).
pub async fn sign_in(args: SignInArgs) -> anyhow::Result<Value> {
    let settings = args.settings.clone();
    let a = Arc::new(args);
    drive(&settings, |i| {
        let conn = Arc::new(Mutex::new(Conn::new(&a.base[i % a.base.len()])));
        let a = a.clone();
        Box::new(move || {
            let (a, conn) = (a.clone(), conn.clone());
            Box::pin(async move {
                signed_in_jar(&mut *conn.lock().await, &a.username, &a.password)
                    .await
                    .is_ok()
            })
        })
    })
    .await
}

/// Refresh-token rotations: connection `c` follows the chain of seeded grant `c + 1`, always
/// presenting the token the previous rotation returned.
pub async fn refresh(args: RefreshArgs) -> anyhow::Result<Value> {
    let settings = args.settings.clone();
    let next_grant = std::sync::atomic::AtomicUsize::new(args.first_grant);
    let a = Arc::new(args);
    drive(&settings, |i| {
        let grant = next_grant.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let client = 1 + grant % a.seeded_clients;
        let auth = basic(&format!("seed-client-{client}:seed-secret-{client}"));
        let token = Arc::new(Mutex::new(format!("seed-rt-{}", grant * 5)));
        let conn = Arc::new(Mutex::new(Conn::new(&a.base[i % a.base.len()])));
        Box::new(move || {
            let (auth, token, conn) = (auth.clone(), token.clone(), conn.clone());
            Box::pin(async move {
                let mut current = token.lock().await;
                let form = format!(
                    "grant_type=refresh_token&refresh_token={}",
                    urlencode(&current)
                );
                let headers = [
                    ("authorization", auth),
                    (
                        "content-type",
                        "application/x-www-form-urlencoded".to_owned(),
                    ),
                ];
                let Ok(res) = conn
                    .lock()
                    .await
                    .send(Method::POST, "/token", &headers, Some(form))
                    .await
                else {
                    return false;
                };
                let body: Value = serde_json::from_slice(&res.body).unwrap_or_default();
                match body["refresh_token"].as_str() {
                    Some(next) => {
                        *current = next.to_owned();
                        true
                    }
                    None => false,
                }
            })
        })
    })
    .await
}
