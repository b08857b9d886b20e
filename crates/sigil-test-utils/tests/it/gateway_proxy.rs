//! `sigil gateway` in front of a real upstream (an HTTP server in the test that echoes what
//! reached it): a browser signs in through Sigil's pages, and the test checks what the
//! upstream saw — identity headers from the permits that allowed, forged copies stripped in
//! every spelling, Sigil's and the gateway's cookies kept away — and what the user saw:
//! public routes without sign-in, 401 challenges for API clients, deny winning, nested
//! realms ANDed, step-up and idle timeouts sending the user to sign in again, WebSocket-style
//! upgrades spliced through, and an audit event for every decision.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use reqwest::header::{ACCEPT, HeaderMap as ReqHeaders, LOCATION};
use serde_json::{Value, json};
use sigil_core::model::User;
use sigil_gateway::{Gateway, GatewaySettings};
use sigil_keys::MasterKey;
use sigil_oidc::admin::{NewClient, NewGroup, NewUser, Precondition, UserPatch};
use sigil_policy::Application;
use sigil_policy::siteminder::{ImportOptions, import};
use sigil_test_utils::browser::query_param;
use sigil_test_utils::{Browser, PASSWORD, TestApp};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub(super) const POLICIES: &str = r#"
@id("staff")
permit (principal in Sigil::Group::"corp:staff", action, resource == Sigil::Realm::"app");
@id("admins")
permit (principal in Sigil::Group::"corp:admins", action == Sigil::Action::"GET", resource == Sigil::Realm::"admin");
@id("no-mallory")
forbid (principal == Sigil::User::"corp:mallory", action, resource == Sigil::Realm::"app");
@id("no-delete")
forbid (principal, action == Sigil::Action::"DELETE", resource == Sigil::Realm::"app");
@id("secure-staff")
permit (principal in Sigil::Group::"corp:staff", action == Sigil::Action::"GET", resource == Sigil::Realm::"secure");
"#;

fn route(id: &str, methods: &[&str]) -> Value {
    json!({"id": id, "name": id, "methods": methods, "pattern": {"kind": "glob", "text": "*"}, "effect": "allow"})
}

pub(super) fn application(upstream: &str) -> Application {
    let all = ["GET", "HEAD", "POST", "PUT", "DELETE"];
    serde_json::from_value(json!({
        "name": "shop",
        "upstream": upstream,
        "realms": [
            {"id": "public", "name": "Public", "prefix": "/pub/", "protected": false,
             "routes": [route("public-all", &["GET", "HEAD"])]},
            {"id": "app", "name": "Shop", "prefix": "/app/", "protected": true, "assurance": 5,
             "authenticator": "Forms", "idle_timeout": 600, "xid": "CA.SM::Realm@06-app",
             "routes": [route("app-all", &all)]},
            {"id": "admin", "name": "Shop admin", "parent": "app", "prefix": "/app/admin/",
             "protected": true, "assurance": 5, "routes": [route("admin-all", &all)]},
            {"id": "secure", "name": "Vault", "prefix": "/secure/", "protected": true,
             "assurance": 15, "routes": [route("secure-all", &["GET"])]}
        ],
        "policies": POLICIES,
        "responses": {
            "staff": [
                {"kind": "header", "name": "X-Employee", "value": {"source": "user_attribute", "value": "email"}},
                {"kind": "cookie", "name": "SHOPPROFILE", "value": {"source": "user_attribute", "value": "username"}}
            ],
            "admins": [{"kind": "header", "name": "X-Admin", "value": {"source": "static", "value": "yes"}}]
        },
        "legacy_headers": true
    }))
    .unwrap()
}

/// The upstream: answers every request with what reached it, and switches an `Upgrade:
/// echo` request to a protocol that echoes bytes.
async fn upstream() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().fallback(echo);
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

async fn echo(mut request: Request<Body>) -> Response<Body> {
    if request.headers().contains_key(header::UPGRADE) {
        let upgrade = hyper::upgrade::on(&mut request);
        tokio::spawn(async move {
            let mut io = hyper_util::rt::TokioIo::new(upgrade.await.unwrap());
            let mut buf = [0u8; 64];
            while let Ok(n) = io.read(&mut buf).await {
                if n == 0 || io.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        });
        return Response::builder()
            .status(StatusCode::SWITCHING_PROTOCOLS)
            .header(header::CONNECTION, "upgrade")
            .header(header::UPGRADE, "echo")
            .body(Body::empty())
            .unwrap();
    }
    let mut headers = serde_json::Map::new();
    for (name, value) in request.headers() {
        let list = headers
            .entry(name.as_str().to_owned())
            .or_insert_with(|| json!([]));
        list.as_array_mut()
            .unwrap()
            .push(json!(String::from_utf8_lossy(value.as_bytes())));
    }
    let seen = json!({
        "method": request.method().as_str(),
        "path": request.uri().path(),
        "query": request.uri().query(),
        "headers": headers,
    });
    Response::new(Body::from(seen.to_string()))
}

pub(super) struct Harness {
    pub(super) sigil: TestApp,
    pub(super) gateway: String,
    pub(super) gw: Arc<Gateway>,
    pub(super) users: Vec<User>,
    /// Where the echoing upstream listens.
    pub(super) upstream: String,
}

impl Harness {
    /// Sigil with users alice (staff), bob (staff, admins) and mallory (staff, but forbidden),
    /// the `shop` application, and a gateway in front of the echoing upstream (registered for
    /// back-channel logout).
    pub(super) async fn start() -> Self {
        Self::start_with(true).await
    }

    /// The same, the gateway registered for back-channel logout or not.
    pub(super) async fn start_with(backchannel: bool) -> Self {
        let sigil = TestApp::spawn().await;
        let provider = sigil.provider.clone();
        let tenant = sigil.tenant();
        let mut users = Vec::new();
        for name in ["alice", "bob", "mallory"] {
            users.push(sigil.create_user(name).await);
        }
        let ids = |names: &[usize]| names.iter().map(|&i| users[i].id.clone()).collect();
        for (group, members) in [("staff", ids(&[0, 1, 2])), ("admins", ids(&[1]))] {
            let new = NewGroup {
                name: group.into(),
                members,
                ..NewGroup::default()
            };
            provider
                .create_group_with(&tenant, new, "test")
                .await
                .unwrap();
        }
        let upstream = upstream().await;
        provider
            .save_access_apps(
                &provider.tenant_ctx(&tenant),
                "test",
                &[application(&upstream)],
            )
            .await
            .unwrap();
        let (gateway, gw) = start_gateway(&sigil, "shop", "corp", None, backchannel).await;
        Harness {
            sigil,
            gateway,
            gw,
            users,
            upstream,
        }
    }

    pub(super) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.gateway)
    }

    /// A browser's GET at the gateway (it asks for HTML), with extra headers.
    pub(super) async fn visit(
        &self,
        browser: &Browser,
        path: &str,
        extra: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = browser
            .client()
            .get(self.url(path))
            .header(ACCEPT, "text/html,application/xhtml+xml");
        for (name, value) in extra {
            request = request.header(*name, *value);
        }
        request.send().await.unwrap()
    }

    /// Signs `user` in starting from `path`, and returns the gateway's answer for `path`.
    pub(super) async fn sign_in(
        &self,
        browser: &Browser,
        path: &str,
        user: &str,
    ) -> reqwest::Response {
        let start = self.visit(browser, path, &[]).await;
        assert_eq!(
            start.status(),
            StatusCode::FOUND,
            "sign-in starts with a redirect"
        );
        self.finish_sign_in(browser, &location(start.headers()), user)
            .await;
        self.visit(browser, path, &[]).await
    }

    /// Completes a sign-in at Sigil from the authorization URL and lands back at the
    /// gateway; returns where it sends the browser and the session cookie it set.
    async fn finish_sign_in(
        &self,
        browser: &Browser,
        authorize: &str,
        user: &str,
    ) -> (String, String) {
        assert!(authorize.starts_with(&self.sigil.base), "{authorize}");
        let back = browser.authorize(authorize, user, PASSWORD).await;
        let callback = back
            .location()
            .expect("Sigil redirects back to the gateway");
        assert!(
            callback.starts_with(&self.url("/.sigil/callback?")),
            "{callback}"
        );
        let landed = self
            .visit(browser, &callback[self.gateway.len()..], &[])
            .await;
        assert_eq!(landed.status(), StatusCode::SEE_OTHER);
        let session = landed
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
            .find(|pair| pair.starts_with("sigil-gw-") && !pair.starts_with("sigil-gw-login"))
            .expect("a session cookie");
        (location(landed.headers()), session)
    }
}

/// A gateway for application `app` (registered at Sigil as a first-party client, with its
/// back-channel logout URI when `backchannel`), its users qualified by `directory`; its base
/// URL and the gateway.
async fn start_gateway(
    sigil: &TestApp,
    app: &str,
    directory: &str,
    upstream: Option<String>,
    backchannel: bool,
) -> (String, Arc<Gateway>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let client = sigil
        .create_client(NewClient {
            name: format!("{app} gateway"),
            redirect_uris: vec![format!("{base}/.sigil/callback")],
            first_party: true,
            logout: sigil_core::model::LogoutChannels {
                backchannel_uri: backchannel.then(|| format!("{base}/.sigil/backchannel-logout")),
                backchannel_session_required: true,
                ..Default::default()
            },
            ..NewClient::default()
        })
        .await;
    let settings = GatewaySettings {
        tenant: sigil.tenant(),
        app: app.into(),
        public_url: base.clone(),
        issuer: sigil.base.clone(),
        client_id: client.client_id,
        client_secret: client.client_secret,
        upstream,
        directory: Some(directory.into()),
        assurance: Default::default(),
        session_lifetime: Duration::from_secs(8 * 3600),
        reload_every: Duration::from_secs(3600),
    };
    let gateway = Gateway::new(settings, sigil.provider.clone(), &MasterKey::generate())
        .await
        .unwrap();
    tokio::spawn(Arc::clone(&gateway).serve(listener, std::future::pending()));
    (base, gateway)
}

fn location(headers: &ReqHeaders) -> String {
    headers.get(LOCATION).unwrap().to_str().unwrap().to_owned()
}

/// The header values the upstream saw under `name` (as it spells it).
pub(super) fn seen<'a>(echo: &'a Value, name: &str) -> Vec<&'a str> {
    echo["headers"][name]
        .as_array()
        .map(|v| v.iter().map(|s| s.as_str().unwrap()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn signed_in_requests_carry_identity_and_never_forged_headers_or_sigil_cookies() {
    let h = Harness::start().await;
    let browser = h.sigil.browser();
    let start = h.visit(&browser, "/app/report?month=11", &[]).await;
    let (back, session) = h
        .finish_sign_in(&browser, &location(start.headers()), "alice")
        .await;
    assert_eq!(back, "/app/report?month=11");
    let first = h.visit(&browser, &back, &[]).await;
    assert_eq!(first.status(), StatusCode::OK);
    let echo: Value = first.json().await.unwrap();
    assert_eq!(echo["path"], "/app/report");
    assert_eq!(echo["query"], "month=11");

    let forged = [
        ("SM_USER", "admin"),
        ("sm-user", "admin"),
        ("Sm_User", "admin"),
        ("X_Employee", "ceo@example.com"),
        ("X-Admin", "yes"),
    ];
    // An explicit Cookie header replaces the jar's: the session goes in by hand.
    let cookie = format!("theme=dark; SHOPPROFILE=admin; __Host-sigil-session=stolen; {session}");
    let forged: Vec<(&str, &str)> = forged
        .into_iter()
        .chain([("cookie", cookie.as_str())])
        .collect();
    let response = h.visit(&browser, "/app/orders", &forged).await;
    assert_eq!(response.status(), StatusCode::OK);
    let echo: Value = response.json().await.unwrap();
    assert_eq!(seen(&echo, "sm_user"), ["alice"]);
    assert!(seen(&echo, "sm-user").is_empty(), "{echo}");
    assert_eq!(seen(&echo, "x-employee"), ["alice@example.com"]);
    assert!(seen(&echo, "x_employee").is_empty() && seen(&echo, "x-admin").is_empty());
    assert_eq!(seen(&echo, "sm_userdn"), ["alice"]);
    assert_eq!(seen(&echo, "sm_realm"), ["Shop"]);
    assert_eq!(seen(&echo, "sm_realmoid"), ["CA.SM::Realm@06-app"]);
    assert_eq!(seen(&echo, "sm_authtype"), ["Forms"]);
    assert_eq!(seen(&echo, "sm_authdirname"), ["corp"]);
    let cookies = seen(&echo, "cookie").join("; ");
    assert!(cookies.contains("theme=dark"), "{cookies}");
    assert!(cookies.contains("SHOPPROFILE=alice"), "{cookies}");
    assert!(!cookies.contains("SHOPPROFILE=admin"), "{cookies}");
    assert!(
        !cookies.contains("sigil-"),
        "Sigil's and the gateway's cookies stay home: {cookies}"
    );
    assert_eq!(seen(&echo, "x-forwarded-for"), ["127.0.0.1"]);

    // Signing out ends the gateway session and continues to Sigil's end-session endpoint.
    let out = h.visit(&browser, "/.sigil/logout", &[]).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert!(location(out.headers()).starts_with(&h.sigil.url("/")));
    let after = h.visit(&browser, "/app/orders", &[]).await;
    assert_eq!(
        after.status(),
        StatusCode::FOUND,
        "signed out: back to sign-in"
    );
}

#[tokio::test]
async fn public_routes_need_no_sign_in_and_carry_no_identity_while_others_challenge() {
    let h = Harness::start().await;
    let browser = h.sigil.browser();
    let public = h
        .visit(&browser, "/pub/home", &[("SM_USER", "admin")])
        .await;
    assert_eq!(public.status(), StatusCode::OK);
    let echo: Value = public.json().await.unwrap();
    assert!(seen(&echo, "sm_user").is_empty(), "{echo}");

    let api = browser
        .client()
        .get(h.url("/app/orders"))
        .header(ACCEPT, "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        api.headers()[header::WWW_AUTHENTICATE.as_str()],
        "Bearer realm=\"shop\""
    );

    let start = h.visit(&browser, "/app/orders", &[]).await;
    assert_eq!(start.status(), StatusCode::FOUND);
    let authorize = location(start.headers());
    assert!(
        authorize.starts_with(&h.sigil.url("/authorize?")),
        "{authorize}"
    );
    assert_eq!(
        query_param(&authorize, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(
        query_param(&authorize, "redirect_uri"),
        Some(h.url("/.sigil/callback"))
    );
    assert!(
        query_param(&authorize, "nonce").is_some() && query_param(&authorize, "prompt").is_none()
    );

    // Paths are normalised once, before matching, as the upstream will see them.
    let encoded = h.visit(&browser, "/pub/..%2fapp/orders", &[]).await;
    assert_eq!(encoded.status(), StatusCode::BAD_REQUEST);
    let dotted = raw_request(
        &h.gateway,
        "GET /pub/../app/orders HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\r\n",
    )
    .await;
    assert!(dotted.starts_with("HTTP/1.1 401"), "{dotted}");

    // A callback that is not the answer to this browser's sign-in is refused.
    let stray = h
        .visit(&browser, "/.sigil/callback?code=x&state=y", &[])
        .await;
    assert_eq!(stray.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn deny_wins_and_nested_realms_must_all_allow() {
    let h = Harness::start().await;
    let alice = h.sigil.browser();
    assert_eq!(
        h.sign_in(&alice, "/app/", "alice").await.status(),
        StatusCode::OK
    );
    let admin = h.visit(&alice, "/app/admin/users", &[]).await;
    assert_eq!(
        admin.status(),
        StatusCode::FORBIDDEN,
        "staff alone does not open the nested realm"
    );
    assert!(admin.text().await.unwrap().contains("Access denied"));
    let delete = alice
        .client()
        .delete(h.url("/app/orders/7"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        delete.status(),
        StatusCode::FORBIDDEN,
        "a forbid beats the staff permit"
    );

    let bob = h.sigil.browser();
    let response = h.sign_in(&bob, "/app/admin/users", "bob").await;
    assert_eq!(response.status(), StatusCode::OK);
    let echo: Value = response.json().await.unwrap();
    assert_eq!(seen(&echo, "x-admin"), ["yes"]);
    assert_eq!(seen(&echo, "x-employee"), ["bob@example.com"]);

    let mallory = h.sigil.browser();
    let response = h.sign_in(&mallory, "/app/", "mallory").await;
    assert_eq!(
        response.status(),
        StatusCode::FORBIDDEN,
        "forbid wins over group permit"
    );
}

#[tokio::test]
async fn weak_or_idle_sessions_are_sent_to_sign_in_again() {
    let h = Harness::start().await;
    let browser = h.sigil.browser();
    assert_eq!(
        h.sign_in(&browser, "/app/", "alice").await.status(),
        StatusCode::OK
    );

    // A password sign-in has the app's ordinary assurance (5); the vault needs 15.
    let vault = h.visit(&browser, "/secure/keys", &[]).await;
    assert_eq!(vault.status(), StatusCode::FOUND);
    let authorize = location(vault.headers());
    assert_eq!(query_param(&authorize, "prompt").as_deref(), Some("login"));
    assert_eq!(
        query_param(&authorize, "acr_values").as_deref(),
        Some("urn:sigil:acr:credential")
    );
    // Signing in again with a password does not reach 15: refused, not looped.
    let (back, _) = h.finish_sign_in(&browser, &authorize, "alice").await;
    assert_eq!(back, "/secure/keys");
    let refused = h.visit(&browser, "/secure/keys", &[]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.text().await.unwrap().contains("stronger sign-in"));

    // The shop realm allows 600 s idle.
    assert_eq!(
        h.visit(&browser, "/app/", &[]).await.status(),
        StatusCode::OK
    );
    h.sigil.clock.advance(Duration::from_secs(601));
    let idle = h.visit(&browser, "/app/", &[]).await;
    assert_eq!(idle.status(), StatusCode::FOUND);
    assert_eq!(
        query_param(&location(idle.headers()), "prompt").as_deref(),
        Some("login")
    );
    let api = browser
        .client()
        .get(h.url("/app/"))
        .header(ACCEPT, "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
    let challenge = api.headers()[header::WWW_AUTHENTICATE.as_str()]
        .to_str()
        .unwrap();
    assert!(
        challenge.contains("error=\"insufficient_user_authentication\""),
        "{challenge}"
    );
}

#[tokio::test]
async fn a_disabled_user_loses_access_and_every_decision_is_audited() {
    let h = Harness::start().await;
    let browser = h.sigil.browser();
    assert_eq!(
        h.sign_in(&browser, "/app/", "alice").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        h.visit(&browser, "/app/admin/", &[]).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        h.visit(&browser, "/pub/", &[]).await.status(),
        StatusCode::OK
    );

    let mut decisions = Vec::new();
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (events, _) = h
            .sigil
            .provider
            .list_audit(&h.sigil.tenant(), sigil_store::AuditQuery::latest(50))
            .await
            .unwrap();
        decisions = events
            .into_iter()
            .map(|r| r.event)
            .filter(|e| e.kind.as_str() == "gateway.decision")
            .collect();
        if decisions.len() >= 4 {
            break;
        }
    }
    let find = |decision: &str, path: &str| {
        decisions
            .iter()
            .find(|e| e.details["decision"] == decision && e.details["path"] == path)
            .unwrap_or_else(|| panic!("no {decision} of {path} in {decisions:?}"))
    };
    let denied = find("deny", "/app/admin/");
    assert_eq!(denied.user_id.as_ref(), Some(&h.users[0].id));
    assert_eq!(denied.outcome.as_str(), "failure");
    assert_eq!(find("allow", "/app/").details["policies"], json!(["staff"]));
    assert_eq!(
        find("public", "/pub/").actor,
        format!("user:{}", h.users[0].id)
    );
    assert_eq!(find("step-up", "/app/").actor, "anonymous");

    // Disabled at Sigil: the gateway session counts for nothing once the identity is re-read.
    let patch = UserPatch {
        disabled: Some(true),
        ..UserPatch::default()
    };
    h.sigil
        .provider
        .update_user(
            &h.sigil.tenant(),
            &h.users[0].id,
            patch,
            Precondition::None,
            "test",
        )
        .await
        .unwrap();
    h.sigil.clock.advance(Duration::from_secs(31));
    let after = h.visit(&browser, "/app/", &[]).await;
    assert_eq!(after.status(), StatusCode::FOUND, "sent to sign in");
}

#[tokio::test]
async fn upgraded_connections_are_spliced_through() {
    let h = Harness::start().await;
    let address = h.gateway.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream
        .write_all(b"GET /pub/socket HTTP/1.1\r\nHost: shop\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
        .await
        .unwrap();
    let head = read_head(&mut stream).await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(
        head.to_ascii_lowercase().contains("upgrade: echo"),
        "{head}"
    );
    stream.write_all(b"ping").await.unwrap();
    let mut reply = [0u8; 4];
    tokio::time::timeout(Duration::from_secs(5), stream.read_exact(&mut reply))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&reply, b"ping");
}

async fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut byte))
            .await
            .unwrap()
            .unwrap();
        if n == 0 {
            break;
        }
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// One raw HTTP/1.1 request (paths a URL library would tidy up first); the response head.
async fn raw_request(base: &str, request: &str) -> String {
    let mut stream = TcpStream::connect(base.trim_start_matches("http://"))
        .await
        .unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    read_head(&mut stream).await
}

const NORTHWIND: &str = include_str!("../../../sigil-policy/tests/data/northwind-export.xml");

#[tokio::test]
async fn an_imported_siteminder_application_runs_behind_the_gateway_and_follows_edits() {
    let sigil = TestApp::spawn().await;
    let provider = sigil.provider.clone();
    let tenant = sigil.tenant();
    let t = provider.tenant_ctx(&tenant);
    let imported = import(NORTHWIND, &ImportOptions::default()).unwrap();
    provider
        .save_access_apps(&t, "test", &imported.applications)
        .await
        .unwrap();
    let ann = NewUser {
        username: "ann".into(),
        password: Some(PASSWORD.into()),
        external_id: Some("uid=ann,ou=people,dc=northwind,dc=example".into()),
        attributes: json!({"mail": "ann@nw.example", "departmentNumber": "4711"})
            .as_object()
            .unwrap()
            .clone(),
        ..NewUser::default()
    };
    let ann = provider.create_user(&tenant, ann, "test").await.unwrap();
    let employees = NewGroup {
        name: "employees".into(),
        external_id: Some("cn=employees,ou=groups,dc=northwind,dc=example".into()),
        members: vec![ann.id.clone()],
        ..NewGroup::default()
    };
    provider
        .create_group_with(&tenant, employees, "test")
        .await
        .unwrap();
    let upstream = upstream().await;
    let (base, gateway) = start_gateway(
        &sigil,
        "nw-portal-agent",
        "nw-corporate-ldap",
        Some(upstream.clone()),
        false,
    )
    .await;
    let h = Harness {
        sigil,
        gateway: base,
        gw: gateway.clone(),
        users: vec![ann],
        upstream,
    };
    let browser = h.sigil.browser();
    let start = h.visit(&browser, "/portal/news", &[]).await;
    let (_, session) = h
        .finish_sign_in(&browser, &location(start.headers()), "ann")
        .await;
    let response = h.visit(&browser, "/portal/news", &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let echo: Value = response.json().await.unwrap();
    assert_eq!(seen(&echo, "nw_email"), ["ann@nw.example"]);
    assert_eq!(seen(&echo, "nw_app"), ["portal"]);
    assert_eq!(seen(&echo, "sm_user"), ["ann"]);
    assert_eq!(
        seen(&echo, "sm_userdn"),
        ["uid=ann,ou=people,dc=northwind,dc=example"]
    );
    assert_eq!(seen(&echo, "sm_authdirname"), ["nw-corporate-ldap"]);
    // The sign-in cookie (an OnAuthAccept response) carries the attribute's value at sign-in,
    // on every request after it, and a copy the browser forges never reaches the app.
    let cookie_of = |echo: &Value| seen(echo, "cookie").join("; ");
    assert!(cookie_of(&echo).contains("NWDEPT=4711"), "{echo}");
    let later = reqwest::Client::new()
        .get(h.url("/portal/news"))
        .header(ACCEPT, "text/html")
        .header("cookie", format!("NWDEPT=9999; {session}"))
        .send()
        .await
        .unwrap();
    let later: Value = later.json().await.unwrap();
    assert!(cookie_of(&later).contains("NWDEPT=4711"), "{later}");
    assert!(!cookie_of(&later).contains("9999"), "{later}");
    // The admin console is for portal-admins, whatever the assurance.
    let admin = h.visit(&browser, "/portal/admin/", &[]).await;
    assert_eq!(admin.status(), StatusCode::FORBIDDEN);

    // An edit saved at Sigil is in force at the gateway once it reloads.
    let mut portal = imported
        .applications
        .iter()
        .find(|a| a.name == "nw-portal-agent")
        .unwrap()
        .clone();
    portal.policies.push_str(
        "@id(\"closed\")\nforbid (principal, action, resource == Sigil::Realm::\"NW-Employee-Apps/Portal\");\n",
    );
    provider
        .save_access_apps(&t, "test", &[portal])
        .await
        .unwrap();
    assert!(gateway.reload().await.unwrap());
    assert!(
        !gateway.reload().await.unwrap(),
        "nothing new the second time"
    );
    let closed = h.visit(&browser, "/portal/news", &[]).await;
    assert_eq!(closed.status(), StatusCode::FORBIDDEN);
}
