//! `sigil wallet web`: the wallet page receives an offer pasted into it, lists the
//! credential, shows what a verifier asks for and to whom, and shares it only when the holder
//! says so; it answers only at its own address, with its secret, and to its own forms.

use sigil_cli::wallet::{Wallet, web_wallet};
use sigil_oidc::credentials::OfferGrant;

use super::credentials::{fresh, offer_of};

/// The wallet page, served in the background: its address (with the secret) and a client.
struct Page {
    url: String,
    origin: String,
    http: reqwest::Client,
}

impl Page {
    async fn start(dir: &std::path::Path) -> Page {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let now = || {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64)
        };
        let (router, url) = web_wallet(Wallet::open(dir).unwrap(), addr, now);
        tokio::spawn(async move { axum::serve(listener, router).await });
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Page {
            url,
            origin: format!("http://{addr}"),
            http,
        }
    }

    /// Posts a form to `path` (under the secret) from the page's own origin.
    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        let res = self
            .http
            .post(format!("{}{path}", self.url))
            .header("origin", &self.origin)
            .form(form)
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    }
}

/// The path (under the secret) of the form that answers a consent page.
fn decision_path(html: &str) -> String {
    let start = html.find("/present/").unwrap();
    let id: String = html[start + "/present/".len()..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    format!("present/{id}")
}

#[tokio::test]
async fn the_page_receives_lists_and_shares_only_with_consent() {
    let app = fresh().await;
    let dir = tempfile::tempdir().unwrap();
    let page = Page::start(dir.path()).await;

    let res = page.http.get(&page.url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    assert_eq!(res.headers()["referrer-policy"], "same-origin");
    assert_eq!(res.headers()["cache-control"], "no-store");
    let home = res.text().await.unwrap();
    assert!(home.contains("No credentials yet"));
    assert!(home.contains(r#"<label for="offer">"#));

    let created = offer_of(
        &app,
        "holder",
        "employee",
        OfferGrant::PreAuthorized { tx_code: false },
    )
    .await;
    let (status, html) = page
        .post(
            "receive",
            &[("offer", &created.credential_offer_uri), ("tx_code", "")],
        )
        .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Received Employee"), "{html}");
    assert!(
        html.contains("holder@example.com"),
        "the claims are listed: {html}"
    );

    // Declined: nothing reaches the verifier.
    let (id, link) = app.request_presentation("employee-check").await;
    let (status, consent) = page.post("present", &[("request", &link)]).await;
    assert_eq!(status, 200, "{consent}");
    assert!(consent.contains("Share these details?"));
    assert!(
        consent.contains("holder Example"),
        "the name asked for is shown: {consent}"
    );
    let path = decision_path(&consent);
    let (_, html) = page.post(&path, &[("decision", "decline")]).await;
    assert!(html.contains("Nothing was shared"));
    assert_eq!(app.presentation_outcome(&id).await["status"], "pending");
    let (status, _) = page.post(&path, &[("decision", "disclose")]).await;
    assert_eq!(status, 404, "an answered request cannot be answered again");

    // Shared: the verifier gets what the page showed.
    let (id, link) = app.request_presentation("employee-check").await;
    let (_, consent) = page.post("present", &[("request", &link)]).await;
    let (status, html) = page
        .post(&decision_path(&consent), &[("decision", "disclose")])
        .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Shared with"), "{html}");
    let result = app.presentation_outcome(&id).await;
    assert_eq!(result["status"], "verified", "{result}");
    assert_eq!(result["claims"]["employee"]["email"], "holder@example.com");
    let metrics = app.metrics().await;
    for line in [
        "sigil_credentials_issued_total{format=\"dc+sd-jwt\"} 1",
        "sigil_presentations_total{outcome=\"verified\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }

    // What cannot be done is said on the page, not as a failure.
    let (status, html) = page.post("receive", &[("offer", "not an offer")]).await;
    assert_eq!(status, 400);
    assert!(html.contains(r#"role="alert""#), "{html}");
}

#[tokio::test]
async fn the_page_answers_only_its_own_address_secret_and_forms() {
    let dir = tempfile::tempdir().unwrap();
    let page = Page::start(dir.path()).await;
    let (base, secret) = page.url.trim_end_matches('/').rsplit_once('/').unwrap();

    let wrong = page
        .http
        .get(format!("{base}/not-the-secret/"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 404);
    assert_eq!(wrong.headers()["cache-control"], "no-store");
    let css = page
        .http
        .get(format!("{}wallet.css", page.url))
        .send()
        .await
        .unwrap();
    assert_eq!(css.status(), 200);
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");

    // A rebinding site's name, and a form posted from another site.
    let rebound = page
        .http
        .get(&page.url)
        .header(
            "host",
            format!("evil.example:{}", page.origin.rsplit(':').next().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 421);
    let cross = page
        .http
        .post(format!("{base}/{secret}/present"))
        .header("origin", "https://evil.example")
        .form(&[("request", "openid4vp://?request_uri=x")])
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
}
