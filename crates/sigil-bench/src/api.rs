//! The management API on a big store: users created per second, and the latency of looking
//! users up and of listing them, at random places among the seeded ones (`sigil store seed`
//! names them `seed1` … `seedN`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use clap::Args;
use hyper::Method;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::flows::{LoadSettings, drive};
use crate::http::Conn;
use crate::lookup::percentiles;

/// `api`.
#[derive(Debug, Args)]
pub struct ApiArgs {
    /// Base URL of the node.
    #[arg(long)]
    base: String,
    /// An access token with `users:read` and `users:write`.
    #[arg(long)]
    token: String,
    /// How many users were seeded.
    #[arg(long)]
    seeded_users: u64,
    /// A SCIM provisioning token: also measures SCIM filters.
    #[arg(long)]
    scim_token: Option<String>,
    /// Sequential requests of each kind for the latencies.
    #[arg(long, default_value_t = 2_000)]
    samples: usize,
    #[command(flatten)]
    settings: LoadSettings,
}

fn random_seeded(n: u64) -> u64 {
    1 + u64::from_le_bytes(sigil_core::random::bytes::<8>()) % n
}

/// Creates users (no password: the API and the store, not argon2id) as fast as they go.
async fn creation(args: &ApiArgs) -> anyhow::Result<Value> {
    let auth = Arc::new(vec![
        ("authorization", format!("Bearer {}", args.token)),
        ("content-type", "application/json".to_owned()),
    ]);
    let counter = Arc::new(AtomicU64::new(0));
    let run = sigil_core::random::identifier();
    drive(&args.settings, |i| {
        let conn = Arc::new(Mutex::new(Conn::new(&args.base)));
        let (auth, counter, run) = (auth.clone(), counter.clone(), run.clone());
        Box::new(move || {
            let (conn, auth) = (conn.clone(), auth.clone());
            let n = counter.fetch_add(1, Ordering::Relaxed);
            let body = json!({"username": format!("bench-{run}-{i}-{n}"), "email": format!("b{n}-{run}@example.com")});
            Box::pin(async move {
                let reply = conn
                    .lock()
                    .await
                    .send(Method::POST, "/api/v1/users", &auth, Some(body.to_string()))
                    .await;
                reply.is_ok_and(|r| r.status.as_u16() == 201)
            })
        })
    })
    .await
}

/// GETs `path`, timing it; the JSON body.
async fn timed(
    conn: &mut Conn,
    auth: &[(&str, String)],
    path: &str,
    into: &mut Vec<u64>,
) -> anyhow::Result<Value> {
    let t0 = Instant::now();
    let reply = conn.send(Method::GET, path, auth, None).await?;
    into.push(t0.elapsed().as_micros() as u64);
    anyhow::ensure!(reply.status.as_u16() == 200, "{path}: {}", reply.status);
    Ok(serde_json::from_slice(&reply.body)?)
}

/// Looks seeded users up (by username, e-mail and id) and lists pages of 50, one request at
/// a time.
async fn latencies(args: &ApiArgs) -> anyhow::Result<Value> {
    let auth = [("authorization", format!("Bearer {}", args.token))];
    let mut conn = Conn::new(&args.base);
    let (mut by_name, mut by_email, mut by_id) = (Vec::new(), Vec::new(), Vec::new());
    let (mut pages, mut next_pages) = (Vec::new(), Vec::new());
    for _ in 0..args.samples {
        let i = random_seeded(args.seeded_users);
        let found = timed(
            &mut conn,
            &auth,
            &format!("/api/v1/users?username_prefix=seed{i}&limit=1"),
            &mut by_name,
        )
        .await?;
        let user = &found["items"][0];
        anyhow::ensure!(
            user["username"] == format!("seed{i}"),
            "seed{i} not found: {found}"
        );
        let id = user["id"].as_str().unwrap_or_default();
        timed(&mut conn, &auth, &format!("/api/v1/users/{id}"), &mut by_id).await?;
        let by_mail = timed(
            &mut conn,
            &auth,
            &format!("/api/v1/users?email=seed{i}%40example.com"),
            &mut by_email,
        )
        .await?;
        anyhow::ensure!(by_mail["items"][0]["id"] == user["id"], "seed{i} by e-mail");
        // Type-ahead: the first page of 50 names starting with a short random prefix (about
        // a tenth of all users for `seed1`), then the page after it through its cursor.
        let prefix = 1 + random_seeded(99);
        let first = timed(
            &mut conn,
            &auth,
            &format!("/api/v1/users?username_prefix=seed{prefix}&limit=50"),
            &mut pages,
        )
        .await?;
        anyhow::ensure!(
            first["items"].as_array().is_some_and(|a| !a.is_empty()),
            "empty page"
        );
        if let Some(cursor) = first["next_cursor"].as_str() {
            let path =
                format!("/api/v1/users?username_prefix=seed{prefix}&limit=50&after={cursor}");
            timed(&mut conn, &auth, &path, &mut next_pages).await?;
        }
    }
    Ok(json!({
        "lookup_by_username": percentiles(by_name),
        "lookup_by_email": percentiles(by_email),
        "read_by_id": percentiles(by_id),
        "list_first_page": percentiles(pages),
        "list_next_page": percentiles(next_pages),
    }))
}

/// What SCIM filters cost, one request at a time: the lookups provisioning clients make before
/// every create (by `userName`, `externalId`, e-mail), a page of 50 with its total count, and a
/// substring match, which no index serves.
async fn scim_latencies(args: &ApiArgs, token: &str) -> anyhow::Result<Value> {
    let auth = [("authorization", format!("Bearer {token}"))];
    let mut conn = Conn::new(&args.base);
    let kinds = [
        "username_eq",
        "external_id_eq",
        "email_eq",
        "username_sw_page",
        "username_co",
    ];
    let mut samples: Vec<Vec<u64>> = vec![Vec::new(); kinds.len()];
    for round in 0..args.samples {
        let i = random_seeded(args.seeded_users);
        let prefix = 1 + random_seeded(99);
        let filters = [
            format!("userName eq \"seed{i}\""),
            format!("externalId eq \"ext-{i}\""),
            format!("emails.value eq \"seed{i}@example.com\""),
            format!("userName sw \"seed{prefix}\""),
            format!("userName co \"{i}\""),
        ];
        for (k, filter) in filters.iter().enumerate() {
            // A substring match scans the table: a tenth of the samples is plenty.
            if kinds[k] == "username_co" && round % 10 != 0 {
                continue;
            }
            let count = if kinds[k] == "username_sw_page" {
                50
            } else {
                1
            };
            let query: String = form_urlencoded::Serializer::new(String::new())
                .append_pair("filter", filter)
                .append_pair("count", &count.to_string())
                .finish();
            let path = format!("/scim/v2/Users?{query}");
            let found = timed(&mut conn, &auth, &path, &mut samples[k]).await?;
            anyhow::ensure!(
                found["totalResults"].as_u64().unwrap_or(0) >= 1,
                "{filter}: {found}"
            );
        }
    }
    Ok(Value::Object(
        kinds
            .iter()
            .zip(samples)
            .map(|(k, s)| ((*k).to_owned(), percentiles(s)))
            .collect(),
    ))
}

/// Runs the measurements: latencies first, on the store as seeded.
pub async fn run(args: ApiArgs) -> anyhow::Result<Value> {
    let latency = latencies(&args).await?;
    let scim = match &args.scim_token {
        Some(token) => scim_latencies(&args, token).await?,
        None => Value::Null,
    };
    let create = creation(&args).await?;
    Ok(json!({"latency": latency, "scim": scim, "create_users": create}))
}
