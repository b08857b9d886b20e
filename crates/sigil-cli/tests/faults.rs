//! Faults, really done: a node killed with SIGKILL under load, PostgreSQL stopped and started
//! under the nodes, and a graceful stop with a request in flight. The test runs its own
//! throw-away PostgreSQL server (initdb + pg_ctl on a random port), so stopping it disturbs
//! no other test.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::deployment::Deployment;
use common::flow::{begin, browser, finish, login_form, redeem, sign_in};
use common::pg::PgServer;

/// The issuer the nodes share behind their (imaginary) load balancer.
const ISSUER: &str = "http://sigil.test";

#[tokio::test]
async fn nodes_survive_kill_database_restart_and_stop_gracefully() {
    let pg = PgServer::start();
    let dir = tempfile::tempdir().unwrap();
    let mut setup = Deployment::on_postgres(pg.url(), dir.path());
    // The load below is one client on one address as fast as it can: the test is about
    // faults, not rate limits.
    setup
        .env
        .push(("SIGIL_SERVER__RATE_LIMITS__ENABLED".into(), "false".into()));
    let svc_auth = setup.service_client("svc");
    let web_auth = setup.web_client();
    setup.user("alice");
    // A user whose password hash is expensive, so that a sign-in is long enough to be in flight.
    let slow_hash = Deployment {
        global: setup.global.clone(),
        env: [
            setup.env.clone(),
            vec![
                ("SIGIL_PASSWORDS__MEMORY_KIB".into(), "131072".into()),
                ("SIGIL_PASSWORDS__ITERATIONS".into(), "6".into()),
            ],
        ]
        .concat(),
    };
    slow_hash.user("slow");

    let a = setup.node(dir.path(), &[], Some(ISSUER));
    let b = setup.node(
        dir.path(),
        &[("SIGIL_SERVER__SHUTDOWN_GRACE", "5")],
        Some(ISSUER),
    );
    a.wait_ready().await;
    b.wait_ready().await;

    // --- kill -9 of node A under load ---------------------------------------------------------
    let stop = Arc::new(AtomicBool::new(false));
    let b_ok = Arc::new(AtomicUsize::new(0));
    let b_failed = Arc::new(AtomicUsize::new(0));
    let load = {
        let (stop, b_ok, b_failed, auth, nodes) = (
            stop.clone(),
            b_ok.clone(),
            b_failed.clone(),
            svc_auth.clone(),
            [a.base.clone(), b.base.clone()],
        );
        tokio::spawn(async move {
            let mut i = 0usize;
            while !stop.load(Ordering::Relaxed) {
                let node = &nodes[i % 2];
                let res = reqwest::Client::new()
                    .post(format!("{node}/token"))
                    .basic_auth(&auth.0, Some(&auth.1))
                    .form(&[("grant_type", "client_credentials")])
                    .send()
                    .await;
                if i % 2 == 1 {
                    let counter = if res.is_ok_and(|r| r.status() == 200) {
                        &b_ok
                    } else {
                        &b_failed
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
                }
                i += 1;
            }
        })
    };
    let http = browser();
    let interaction = sign_in(&http, &a, &web_auth.0, "alice", "openid").await;
    let mut a = a;
    a.child.kill().unwrap(); // SIGKILL
    a.child.wait().unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;

    // The flow begun on A finishes on B: same session cookie, same stored interaction.
    let code = finish(&http, &b, &interaction).await;
    let res = redeem(&b, (&web_auth.0, &web_auth.1), &code).await;
    assert_eq!(
        res.status(),
        200,
        "a flow begun on the killed node completes on another"
    );
    let tokens: serde_json::Value = res.json().await.unwrap();
    // Let the load run until B has answered a fair number (a busy CI machine is slow).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while b_ok.load(Ordering::Relaxed) <= 10 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.store(true, Ordering::Relaxed);
    load.await.unwrap();
    assert!(
        b_ok.load(Ordering::Relaxed) > 10,
        "B kept serving under load"
    );
    assert_eq!(
        b_failed.load(Ordering::Relaxed),
        0,
        "B never failed while A died"
    );

    // --- PostgreSQL stopped and started under B -----------------------------------------------
    pg.down();
    let down_at = Instant::now();
    loop {
        let res = reqwest::get(format!("{}/readyz", b.base)).await.unwrap();
        if res.status() == 503 {
            assert!(res.headers().contains_key("retry-after"));
            break;
        }
        assert!(
            down_at.elapsed() < Duration::from_secs(10),
            "B never reported not ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Under load while the database is gone: every request that needs it gets 503 with
    // Retry-After, promptly; none hangs, the node does not crash.
    let asked = Instant::now();
    let outage_load: Vec<_> = (0..20)
        .map(|_| {
            let url = format!("{}/introspect", b.base);
            let (id, secret) = web_auth.clone();
            let token = tokens["access_token"].as_str().unwrap().to_owned();
            tokio::spawn(async move {
                let res = reqwest::Client::new()
                    .post(url)
                    .basic_auth(id, Some(secret))
                    .form(&[("token", token)])
                    .send()
                    .await
                    .unwrap();
                (
                    res.status().as_u16(),
                    res.headers().contains_key("retry-after"),
                )
            })
        })
        .collect();
    for request in outage_load {
        assert_eq!(
            request.await.unwrap(),
            (503, true),
            "refused with Retry-After, not hung"
        );
    }
    assert!(
        asked.elapsed() < Duration::from_secs(10),
        "answered within the pool's timeout: {:?}",
        asked.elapsed()
    );
    assert_eq!(
        reqwest::get(format!("{}/healthz", b.base))
            .await
            .unwrap()
            .status(),
        200,
        "alive though not ready"
    );

    pg.up();
    let up_at = Instant::now();
    loop {
        if reqwest::get(format!("{}/readyz", b.base))
            .await
            .unwrap()
            .status()
            == 200
        {
            break;
        }
        assert!(
            up_at.elapsed() < Duration::from_secs(20),
            "B never recovered"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let res = reqwest::Client::new()
        .post(format!("{}/introspect", b.base))
        .basic_auth(&web_auth.0, Some(&web_auth.1))
        .form(&[("token", tokens["access_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "recovered by itself");

    // --- graceful stop with a sign-in in flight -----------------------------------------------
    let http = browser();
    let (interaction, csrf) = begin(&http, &b, &web_auth.0, "openid").await;
    let in_flight = {
        let url = format!("{}/login", b.base);
        let form = login_form(csrf, interaction, "slow");
        let http = http.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let res = http
                .post(url)
                .header("origin", "http://sigil.test")
                .form(&form)
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(150)).await;
    let stopping = Instant::now();
    let base = b.base.clone();
    let log = b.stop();
    assert!(
        stopping.elapsed() < Duration::from_secs(6),
        "exits within the grace period"
    );
    let (status, took) = in_flight.await.unwrap();
    assert_eq!(
        status, 303,
        "the sign-in in flight when SIGTERM came was finished (it took {took:?})"
    );
    assert!(
        took > Duration::from_millis(150),
        "it really was in flight: {took:?}"
    );
    assert!(
        reqwest::get(format!("{base}/healthz")).await.is_err(),
        "no longer accepting"
    );
    assert!(
        log.contains("shutting down") && log.contains("Sigil stopped"),
        "{log}"
    );
}
