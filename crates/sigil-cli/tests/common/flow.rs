//! An authorization-code flow driven by hand against `sigil serve` nodes, so that each step can
//! land on a different node: sign in on one, finish the interaction and redeem on others.

use super::Server;
use super::deployment::PASSWORD;

/// The PKCE verifier every flow here uses.
pub const VERIFIER: &str = "cli-test-verifier-0123456789-abcdefghijklmnopqrstu";

/// The redirect URI of the clients these flows sign in to.
pub const REDIRECT_URI: &str = "https://app.example/cb";

/// A client that follows no redirects and keeps cookies: nodes share `127.0.0.1`, so one
/// browser session reaches all of them.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Starts an authorization request for `scope` on `node` and opens its sign-in page, returning
/// the interaction's path and the page's CSRF token.
pub async fn begin(
    http: &reqwest::Client,
    node: &Server,
    client_id: &str,
    scope: &str,
) -> (String, String) {
    let base = &node.base;
    let res = http
        .get(format!("{base}/authorize"))
        .query(&[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", REDIRECT_URI),
            ("scope", scope),
            ("code_challenge", &sigil_oidc::pkce::s256(VERIFIER)),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    let interaction = res.headers()["location"].to_str().unwrap().to_owned();
    let page = http
        .get(format!("{base}{interaction}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    (interaction, csrf)
}

/// The sign-in form's fields for `username`, whose password every test here sets.
pub fn login_form(
    csrf: String,
    interaction: String,
    username: &str,
) -> [(&'static str, String); 4] {
    [
        ("csrf", csrf),
        ("return_to", interaction),
        ("username", username.to_owned()),
        ("password", PASSWORD.to_owned()),
    ]
}

/// [`begin`]s on `node` and signs `username` in there, returning the path of the interaction
/// so another node can finish it.
pub async fn sign_in(
    http: &reqwest::Client,
    node: &Server,
    client_id: &str,
    username: &str,
    scope: &str,
) -> String {
    let (interaction, csrf) = begin(http, node, client_id, scope).await;
    let res = http
        .post(format!("{}/login", node.base))
        .header("origin", node.issuer.as_str())
        .form(&login_form(csrf, interaction.clone(), username))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "sign-in on {}", node.base);
    interaction
}

/// Follows the interaction on `node` to the client's redirect URI and returns the code.
pub async fn finish(http: &reqwest::Client, node: &Server, interaction: &str) -> String {
    let res = http
        .get(format!("{}{interaction}", node.base))
        .send()
        .await
        .unwrap();
    let location = res.headers()["location"].to_str().unwrap();
    let redirect = reqwest::Url::parse(location).unwrap();
    redirect
        .query_pairs()
        .find(|(name, _)| name == "code")
        .unwrap_or_else(|| panic!("no code in {location}"))
        .1
        .into_owned()
}

/// Posts a form to `node`'s token endpoint with HTTP Basic client authentication.
pub async fn token(node: &Server, auth: (&str, &str), form: &[(&str, &str)]) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/token", node.base))
        .basic_auth(auth.0, Some(auth.1))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// Redeems `code` (from a flow begun with [`VERIFIER`]) on `node`.
pub async fn redeem(node: &Server, auth: (&str, &str), code: &str) -> reqwest::Response {
    token(
        node,
        auth,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", VERIFIER),
        ],
    )
    .await
}
