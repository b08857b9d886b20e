//! Answering a presentation request: the request checked against its client identifier,
//! the credentials that answer its DCQL query found, the holder shown exactly what would be
//! disclosed and to whom (the whole subject of a W3C credential, which cannot be shown in
//! part), and only that presented, bound to the request's nonce.

use std::collections::HashSet;

use anyhow::{Context, bail};
use serde::Serialize;
use serde_json::{Map, Value, json};
use sigil_vc::dcql::DcqlQuery;
use sigil_vc::holder::{
    check_request_claims, check_request_object, disclosures_for, present as present_sd_jwt,
    request_by_value,
};
use sigil_vc::types::CredentialFormat;
use sigil_vc::w3c::presentation::present_vc_jwt;

use super::http::{body, check_url, client, json_answer};
use super::store::{StoredCredential, Wallet};

/// What the holder is asked to approve.
#[derive(Debug, Clone, Serialize)]
pub struct Consent {
    /// Who asks (its client identifier).
    pub verifier: String,
    /// Its name, as it gives it (self-asserted).
    pub name: Option<String>,
    /// The host the answer is sent to.
    pub responds_to: String,
    /// Per credential asked for: which of the wallet's credentials, and the claims disclosed.
    pub disclosures: Vec<Disclosed>,
}

/// One credential's part of a presentation.
#[derive(Debug, Clone, Serialize)]
pub struct Disclosed {
    /// The verifier's id for what it asked.
    pub query: String,
    /// The wallet's credential.
    pub credential: String,
    /// Its name.
    pub name: String,
    /// The claims disclosed: label and value.
    pub claims: Map<String, Value>,
}

/// What happened.
#[derive(Debug, Clone, Serialize)]
pub struct PresentOutcome {
    /// What was disclosed (or would have been).
    pub consent: Consent,
    /// Whether the holder approved and the verifier took the response.
    pub sent: bool,
}

/// Answers the request behind `link` (`openid4vp://…`). `approve` sees what would be
/// disclosed and decides.
pub async fn present(
    wallet: &Wallet,
    link: &str,
    approve: impl FnOnce(&Consent) -> bool,
    now: i64,
) -> anyhow::Result<PresentOutcome> {
    let prepared = prepare(wallet, link, now).await?;
    let sent = approve(&prepared.consent);
    if sent {
        prepared.send(wallet, now).await?;
    }
    Ok(PresentOutcome {
        consent: prepared.consent,
        sent,
    })
}

/// A presentation request read and checked, with what answering it would disclose; sent
/// once the holder approves.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// What the holder is asked to approve.
    pub consent: Consent,
    client_id: String,
    request: Map<String, Value>,
    /// Per credential query: the wallet credential's id and the claims to disclose.
    chosen: Vec<(String, String, Vec<String>)>,
}

/// Reads the request behind `link` (`openid4vp://…`), checks it against its client
/// identifier and finds the credentials that answer it.
pub async fn prepare(wallet: &Wallet, link: &str, now: i64) -> anyhow::Result<Prepared> {
    let client = client()?;
    let query = link
        .split_once('?')
        .map(|(_, q)| q)
        .context("not a presentation request link")?;
    let params = request_by_value(query);
    let client_id = params
        .get("client_id")
        .and_then(Value::as_str)
        .context("the request names no client_id")?;
    let by_value = params.get("request").and_then(Value::as_str);
    let request = match params.get("request_uri").and_then(Value::as_str) {
        None if by_value.is_some() => {
            check_request_object(by_value.unwrap_or_default(), client_id, now)
                .map_err(anyhow::Error::msg)?
        }
        Some(uri) => {
            check_url(uri)?;
            let (status, jwt) = body(
                client
                    .get(uri)
                    .send()
                    .await
                    .context("fetching the request")?,
            )
            .await?;
            anyhow::ensure!(status == 200, "the request could not be fetched: {status}");
            check_request_object(jwt.trim(), client_id, now).map_err(anyhow::Error::msg)?
        }
        None => {
            check_request_claims(client_id, &params, true).map_err(anyhow::Error::msg)?;
            params.clone()
        }
    };
    let dcql = DcqlQuery::parse(
        request
            .get("dcql_query")
            .context("the request has no DCQL query")?,
    )
    .map_err(anyhow::Error::msg)?;
    let chosen = choose(wallet, &dcql, now)?;
    let responds_to = request
        .get("response_uri")
        .and_then(Value::as_str)
        .and_then(|u| url::Url::parse(u).ok())
        .and_then(|u| u.host_str().map(str::to_owned))
        .context("the request has no usable response_uri")?;
    let consent = Consent {
        verifier: client_id.to_owned(),
        responds_to,
        name: request.get("client_metadata").unwrap_or(&Value::Null)["client_name"]
            .as_str()
            .map(str::to_owned),
        disclosures: chosen
            .iter()
            .map(|(query, c, names)| Disclosed {
                query: query.clone(),
                credential: c.id.clone(),
                name: c.name.clone(),
                claims: {
                    let shown = c.shown_claims();
                    names
                        .iter()
                        .map(|n| {
                            (
                                c.label(n).to_owned(),
                                shown.get(n).cloned().unwrap_or(Value::Null),
                            )
                        })
                        .collect()
                },
            })
            .collect(),
    };
    Ok(Prepared {
        consent,
        client_id: client_id.to_owned(),
        chosen: chosen
            .into_iter()
            .map(|(query, c, names)| (query, c.id.clone(), names))
            .collect(),
        request,
    })
}

impl Prepared {
    /// Presents the chosen credentials, disclosing what the consent showed, bound to the
    /// request's nonce, and posts them to the verifier.
    pub async fn send(&self, wallet: &Wallet, now: i64) -> anyhow::Result<()> {
        let nonce = self
            .request
            .get("nonce")
            .and_then(Value::as_str)
            .context("the request has no nonce")?;
        let mut vp_token = Map::new();
        for (query, id, names) in &self.chosen {
            let credential = wallet
                .credentials
                .iter()
                .find(|c| c.id == *id)
                .context("the credential is no longer in the wallet")?;
            let holder = credential.key()?;
            let vp = match credential.format {
                CredentialFormat::SdJwtVc => present_sd_jwt(
                    &credential.credential,
                    names,
                    &holder,
                    &self.client_id,
                    nonce,
                    now,
                ),
                CredentialFormat::JwtVcJson => {
                    present_vc_jwt(&credential.credential, &holder, &self.client_id, nonce, now)
                }
            };
            vp_token.insert(query.clone(), json!([vp]));
        }
        send(&client()?, &self.request, Value::Object(vp_token)).await
    }
}

type Choice<'a> = (String, &'a StoredCredential, Vec<String>);

/// For each credential query, the first unexpired credential that answers it, from an issuer
/// its trusted authorities certify; the query as a whole must be satisfied.
fn choose<'a>(wallet: &'a Wallet, dcql: &DcqlQuery, now: i64) -> anyhow::Result<Vec<Choice<'a>>> {
    let mut chosen = Vec::new();
    for query in &dcql.credentials {
        let found = wallet
            .credentials
            .iter()
            .filter(|c| c.expires_at.is_none_or(|exp| exp > now))
            .filter(|c| query.trusts_chain(c.issuer_x5c().as_deref()))
            .find_map(|c| {
                disclosures_for(query, c.format, &c.claims)
                    .map(|names| (query.id.clone(), c, names))
            });
        if let Some(choice) = found {
            chosen.push(choice);
        }
    }
    let answered: HashSet<&str> = chosen.iter().map(|(q, _, _)| q.as_str()).collect();
    if !dcql.satisfied_by(&answered) {
        bail!("this wallet holds no credentials that answer the request");
    }
    Ok(chosen)
}

/// Posts the response (`direct_post`, or `direct_post.jwt` encrypted to the verifier's key).
async fn send(
    client: &reqwest::Client,
    request: &Map<String, Value>,
    vp_token: Value,
) -> anyhow::Result<()> {
    let response_uri = request
        .get("response_uri")
        .and_then(Value::as_str)
        .context("no response_uri")?;
    check_url(response_uri)?;
    let state = request.get("state").and_then(Value::as_str);
    let form: Vec<(String, String)> = match request.get("response_mode").and_then(Value::as_str) {
        Some("direct_post.jwt") => {
            let metadata = request.get("client_metadata").unwrap_or(&Value::Null);
            let key = metadata["jwks"]["keys"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|k| k["use"].as_str().is_none_or(|u| u == "enc"))
                .context("the verifier gives no key to encrypt to")?;
            let offered: Vec<&str> = metadata["encrypted_response_enc_values_supported"]
                .as_array()
                .map(|v| v.iter().filter_map(Value::as_str).collect())
                .unwrap_or_else(|| vec!["A128GCM"]);
            let enc = ["A128GCM", "A256GCM"]
                .into_iter()
                .find(|e| offered.contains(e))
                .context("the verifier accepts no encryption this wallet does")?;
            let mut payload = json!({"vp_token": vp_token});
            if let Some(s) = state {
                payload["state"] = json!(s);
            }
            let jwe = sigil_keys::jwe::encrypt_ecdh_es(
                payload.to_string().as_bytes(),
                key,
                enc,
                key["kid"].as_str(),
            )?;
            vec![("response".into(), jwe)]
        }
        _ => {
            let mut form = vec![("vp_token".into(), vp_token.to_string())];
            if let Some(s) = state {
                form.push(("state".into(), s.to_owned()));
            }
            form
        }
    };
    json_answer(client.post(response_uri).form(&form), "the response").await?;
    Ok(())
}
