//! Receiving credentials: an offer (by value or by reference) redeemed with its
//! pre-authorized code or by signing the user in ([`super::sign_in`]), a fresh holder key per credential proven with the issuer's `c_nonce`,
//! the SD-JWT VC checked against the issuer's published keys before it is kept. A credential
//! the issuer defers is kept as pending, and collected later ([`collect`]).

use anyhow::{Context, bail};
use serde_json::{Map, Value, json};
use sigil_core::model::SigningAlg;
use sigil_core::{b64url_encode, random};
use sigil_keys::{PublicKey, SigningKey};
use sigil_vc::holder::key_proof;
use sigil_vc::metadata::well_known_url;
use sigil_vc::offer::{
    AuthorizationCodeGrant, CredentialOffer, OfferLink, PRE_AUTHORIZED_GRANT,
    PreAuthorizedCodeGrant, parse_link,
};
use sigil_vc::sd_jwt_vc::SD_JWT_VC;
use sigil_vc::types::CredentialFormat;
use sigil_vc::w3c::{JWT_VC_JSON, VC_JWT_TYP, types_of};

use super::access::{AccessGrant, NonceBox, send_with_nonce, token_request};
use super::http::{check_url, client, get_json};
use super::sealed::Sealing;
use super::sign_in::{SignIn, SignInRequest};
use super::store::{PendingCredential, StoredCredential, Wallet, holder_key};

/// What accepting an offer brought.
#[derive(Debug, Default)]
pub struct Received {
    /// Credentials issued, checked and kept.
    pub credentials: Vec<StoredCredential>,
    /// Credentials the issuer deferred.
    pub pending: Vec<PendingCredential>,
}

/// The issuer's answer to one credential request.
enum Answer {
    Issued(StoredCredential),
    Deferred(PendingCredential),
}

async fn well_known(client: &reqwest::Client, issuer: &str, name: &str) -> anyhow::Result<Value> {
    let url = well_known_url(issuer, name).with_context(|| format!("{issuer} is not a URL"))?;
    get_json(client, &url).await
}

/// How an offer is redeemed: with its pre-authorized code (and the transaction code the user
/// was given), or, for an offer that needs sign-in, through the wallet client `sign_in`.
#[derive(Default)]
pub struct Redeem<'a> {
    /// The transaction code, for a pre-authorized offer that asks for one.
    pub tx_code: Option<&'a str>,
    /// How to have the user sign in, for an authorization code offer.
    pub sign_in: Option<&'a SignIn>,
}

/// Accepts a pre-authorized credential offer (see [`receive_with`]).
pub async fn receive(
    wallet: &mut Wallet,
    link: &str,
    tx_code: Option<&str>,
    now: i64,
) -> anyhow::Result<Received> {
    let redeem = Redeem {
        tx_code,
        sign_in: None,
    };
    receive_with(wallet, link, &redeem, now).await
}

/// Accepts a credential offer: every credential it offers is issued, checked and stored, or
/// kept as pending when the issuer defers it.
pub async fn receive_with(
    wallet: &mut Wallet,
    link: &str,
    redeem: &Redeem<'_>,
    now: i64,
) -> anyhow::Result<Received> {
    let client = client()?;
    let offer: CredentialOffer = match parse_link(link).context("not a credential offer link")? {
        OfferLink::Value(offer) => offer,
        OfferLink::Reference(uri) => serde_json::from_value(get_json(&client, &uri).await?)
            .context("the offer fetched is not a credential offer")?,
    };
    let issuer = offer.credential_issuer.trim_end_matches('/').to_owned();
    check_url(&issuer)?;
    let meta = well_known(&client, &issuer, "openid-credential-issuer").await?;
    anyhow::ensure!(
        meta["credential_issuer"]
            .as_str()
            .map(|s| s.trim_end_matches('/'))
            == Some(&issuer),
        "the issuer's metadata names another issuer"
    );
    let grants = offer.grants.clone().unwrap_or_default();
    let grant = match (&grants.pre_authorized_code, &grants.authorization_code) {
        (Some(g), _) => OfferedGrant::PreAuthorized(g),
        (None, Some(g)) => OfferedGrant::SignIn(g),
        (None, None) => bail!("the offer names no grant this wallet can use"),
    };
    let named_server = match grant {
        OfferedGrant::PreAuthorized(g) => g.authorization_server.as_deref(),
        OfferedGrant::SignIn(g) => g.authorization_server.as_deref(),
    };
    let as_meta = authorization_server(&client, &meta, &issuer, named_server).await?;
    let token_endpoint = as_meta["token_endpoint"]
        .as_str()
        .context("the issuer has no token endpoint")?;
    check_url(token_endpoint)?;
    // Where the server takes DPoP, the token is bound to a key of this wallet (RFC 9449).
    let takes_dpop = as_meta["dpop_signing_alg_values_supported"]
        .as_array()
        .is_some_and(|algs| algs.iter().any(|a| a == "ES256"));
    let dpop_key = match takes_dpop {
        true => Some(SigningKey::generate(SigningAlg::ES256)?.0),
        false => None,
    };
    let nonce = NonceBox::default();
    let token = match grant {
        OfferedGrant::PreAuthorized(grant) => {
            if grant.tx_code.is_some() && redeem.tx_code.is_none() {
                bail!("this offer needs the transaction code you were given: --tx-code CODE");
            }
            let mut form = vec![
                ("grant_type", PRE_AUTHORIZED_GRANT),
                ("pre-authorized_code", grant.code.as_str()),
            ];
            if let Some(code) = redeem.tx_code.filter(|_| grant.tx_code.is_some()) {
                form.push(("tx_code", code));
            }
            let key = dpop_key.as_ref();
            token_request(&client, token_endpoint, &form, key, &nonce, now).await?
        }
        OfferedGrant::SignIn(grant) => {
            let sign_in = redeem.sign_in.context(
                "this offer is redeemed by signing in: --client-id CLIENT_ID (a wallet client registered at the issuer)",
            )?;
            let asked = SignInRequest {
                as_meta: &as_meta,
                issuer_state: grant.issuer_state.as_deref(),
                configuration_ids: &offer.credential_configuration_ids,
                dpop: dpop_key.as_ref().map(|key| (key, &nonce)),
            };
            sign_in.token(&client, &asked).await?
        }
    };
    let bound = token["token_type"]
        .as_str()
        .is_some_and(|t| t.eq_ignore_ascii_case("dpop"));
    let access = AccessGrant {
        token: token["access_token"]
            .as_str()
            .context("no access token")?
            .to_owned(),
        dpop: dpop_key.filter(|_| bound),
        nonce,
    };
    let mut received = Received::default();
    for configuration_id in &offer.credential_configuration_ids {
        let wanted = Wanted {
            configuration_id,
            identifier: credential_identifier(&token, configuration_id),
        };
        match issue_one(&client, &meta, &issuer, &access, &wanted, now).await? {
            Answer::Issued(stored) => {
                wallet.credentials.push(stored.clone());
                received.credentials.push(stored);
            }
            Answer::Deferred(pending) => {
                wallet.pending.push(pending.clone());
                received.pending.push(pending);
            }
        }
    }
    wallet.save()?;
    Ok(received)
}

/// The grant an offer is redeemed with (the pre-authorized code when it offers both).
#[derive(Clone, Copy)]
enum OfferedGrant<'g> {
    PreAuthorized(&'g PreAuthorizedCodeGrant),
    SignIn(&'g AuthorizationCodeGrant),
}

/// The authorization server metadata of the server an offer names, or the issuer's first.
async fn authorization_server(
    client: &reqwest::Client,
    meta: &Value,
    issuer: &str,
    named: Option<&str>,
) -> anyhow::Result<Value> {
    let servers: Vec<&str> = meta["authorization_servers"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let server = match (named, servers.first()) {
        (Some(named), _) => {
            anyhow::ensure!(
                servers.contains(&named),
                "the offer names an authorization server the issuer does not list"
            );
            named
        }
        (None, Some(first)) => first,
        (None, None) => issuer,
    };
    well_known(client, server, "oauth-authorization-server").await
}

/// The `credential_identifier` a token response granted for `configuration_id` (the
/// credential request must then use it, OpenID4VCI §8.2).
fn credential_identifier(token: &Value, configuration_id: &str) -> Option<String> {
    token["authorization_details"]
        .as_array()?
        .iter()
        .filter(|d| d["type"] == "openid_credential")
        .find(|d| d["credential_configuration_id"] == configuration_id)?["credential_identifiers"]
        [0]
    .as_str()
    .map(str::to_owned)
}

/// A credential to ask for: its configuration, and the identifier the token granted it by.
struct Wanted<'a> {
    configuration_id: &'a str,
    identifier: Option<String>,
}

/// Asks for every deferred credential once: those issued are checked and kept, those the
/// issuer refuses (or forgot) are dropped with the reason, the others stay pending.
pub async fn collect(wallet: &mut Wallet, now: i64) -> anyhow::Result<Collected> {
    let client = client()?;
    let mut collected = Collected::default();
    for pending in std::mem::take(&mut wallet.pending) {
        let body = json!({"transaction_id": pending.transaction_id});
        let access = AccessGrant {
            token: pending.access_token.clone(),
            dpop: pending.dpop_key.as_deref().map(holder_key).transpose()?,
            nonce: NonceBox::default(),
        };
        let endpoint = &pending.deferred_endpoint;
        // Each deferred request brings its own key for the answer (§9.1).
        let meta = well_known(&client, &pending.issuer, "openid-credential-issuer").await?;
        let sealing = Sealing::offered(&meta)?;
        let asked = Sealing::send(
            sealing.as_ref(),
            (&access, || client.post(endpoint), endpoint, now),
            body,
            "the deferred credential request",
        )
        .await;
        match asked {
            Ok(answer) if answer.get("credentials").is_some() => {
                let key = holder_key(&pending.holder_key)?;
                let to_keep = Request {
                    issuer: &pending.issuer,
                    configuration_id: &pending.configuration_id,
                    format: pending.format,
                    metadata: &pending.metadata,
                    access: &access,
                    notification_endpoint: pending.notification_endpoint.as_deref(),
                };
                let stored = keep(&client, &to_keep, &answer, &key, now).await?;
                wallet.credentials.push(stored.clone());
                collected.credentials.push(stored);
            }
            Ok(answer) => {
                let interval = answer["interval"].as_u64().unwrap_or(pending.interval);
                collected.waiting += 1;
                wallet.pending.push(PendingCredential {
                    interval,
                    ..pending
                });
            }
            Err(e) if refused(&e) => collected.dropped.push((pending.id, e.to_string())),
            Err(e) => {
                eprintln!("warning: {e}");
                collected.waiting += 1;
                wallet.pending.push(pending);
            }
        }
    }
    wallet.save()?;
    Ok(collected)
}

/// What one round of collection brought.
#[derive(Debug, Default)]
pub struct Collected {
    /// Credentials issued, checked and kept.
    pub credentials: Vec<StoredCredential>,
    /// How many are still pending.
    pub waiting: usize,
    /// Deferred credentials the issuer will not issue: the wallet's id and why.
    pub dropped: Vec<(String, String)>,
}

/// Whether the issuer refused a deferred request for good (OpenID4VCI §9.3).
fn refused(e: &anyhow::Error) -> bool {
    let text = e.to_string();
    ["invalid_transaction_id", "credential_request_denied"]
        .iter()
        .any(|code| text.contains(code))
}

/// What a credential was asked for with, to check and keep what comes back.
struct Request<'a> {
    issuer: &'a str,
    configuration_id: &'a str,
    format: CredentialFormat,
    metadata: &'a Value,
    access: &'a AccessGrant,
    notification_endpoint: Option<&'a str>,
}

async fn issue_one(
    client: &reqwest::Client,
    meta: &Value,
    issuer: &str,
    access: &AccessGrant,
    wanted: &Wanted<'_>,
    now: i64,
) -> anyhow::Result<Answer> {
    let configuration_id = wanted.configuration_id;
    let config = &meta["credential_configurations_supported"][configuration_id];
    let format: CredentialFormat =
        serde_json::from_value(config["format"].clone()).map_err(|_| {
            anyhow::anyhow!(
                "{configuration_id}: only {SD_JWT_VC} and {JWT_VC_JSON} credentials are supported"
            )
        })?;
    let nonce = match meta["nonce_endpoint"].as_str() {
        Some(url) => {
            check_url(url)?;
            // The nonce endpoint may give a DPoP nonce too (HAIP).
            let (status, _, text) =
                send_with_nonce(&access.nonce, |_| client.post(url), "the nonce request").await?;
            anyhow::ensure!(status == 200, "the nonce request: {status} {text}");
            let answer: Value = serde_json::from_str(&text).context("the nonce request")?;
            Some(answer["c_nonce"].as_str().context("no c_nonce")?.to_owned())
        }
        None => None,
    };
    let (holder, pkcs8) = SigningKey::generate(SigningAlg::ES256)?;
    let proof = key_proof(&holder, issuer, nonce.as_deref(), now);
    let endpoint = meta["credential_endpoint"]
        .as_str()
        .context("the issuer has no credential endpoint")?;
    check_url(endpoint)?;
    let body = match &wanted.identifier {
        Some(id) => json!({"credential_identifier": id, "proofs": {"jwt": [proof]}}),
        None => {
            json!({"credential_configuration_id": configuration_id, "proofs": {"jwt": [proof]}})
        }
    };
    let sealing = Sealing::offered(meta)?;
    let answer = Sealing::send(
        sealing.as_ref(),
        (access, || client.post(endpoint), endpoint, now),
        body,
        "the credential request",
    )
    .await?;
    let request = Request {
        issuer,
        configuration_id,
        format,
        metadata: &config["credential_metadata"],
        access,
        notification_endpoint: meta["notification_endpoint"].as_str(),
    };
    if let Some(transaction_id) = answer["transaction_id"].as_str() {
        let deferred_endpoint = meta["deferred_credential_endpoint"].as_str().context(
            "the issuer deferred the credential but has no deferred credential endpoint",
        )?;
        check_url(deferred_endpoint)?;
        return Ok(Answer::Deferred(PendingCredential {
            id: random::identifier(),
            issuer: issuer.to_owned(),
            configuration_id: configuration_id.to_owned(),
            format,
            metadata: config["credential_metadata"].clone(),
            transaction_id: transaction_id.to_owned(),
            deferred_endpoint: deferred_endpoint.to_owned(),
            notification_endpoint: request.notification_endpoint.map(str::to_owned),
            access_token: access.token.clone(),
            dpop_key: access.stored_key()?,
            holder_key: b64url_encode(&pkcs8[..]),
            interval: answer["interval"].as_u64().unwrap_or(5),
            asked_at: now,
        }));
    }
    keep(client, &request, &answer, &holder, now)
        .await
        .map(Answer::Issued)
}

/// Checks the credential of an issuer's answer, tells the issuer it arrived, and makes it a
/// credential to keep.
async fn keep(
    client: &reqwest::Client,
    request: &Request<'_>,
    answer: &Value,
    holder: &SigningKey,
    now: i64,
) -> anyhow::Result<StoredCredential> {
    let (issuer, access) = (request.issuer, request.access);
    let credential = answer["credentials"][0]["credential"]
        .as_str()
        .context("no credential in the response")?;
    let claims = check_credential(
        client,
        (issuer, request.format),
        credential,
        holder.public_key(),
        now,
    )
    .await?;
    if let (Some(id), Some(url)) = (
        answer["notification_id"].as_str(),
        request.notification_endpoint,
    ) {
        let note = json!({"notification_id": id, "event": "credential_accepted"});
        // The credential is kept either way; the issuer only misses the news.
        let sent = access
            .send(
                || client.post(url).json(&note),
                url,
                now,
                "the notification",
            )
            .await;
        match sent {
            Ok((status, _, _)) if (200..300).contains(&status) => {}
            Ok((status, _, text)) => eprintln!("warning: the notification: {status} {text}"),
            Err(e) => eprintln!("warning: {e}"),
        }
    }
    let display = request.metadata;
    // Claims are labelled by name: the last step of their path (a W3C claim's is under
    // credentialSubject).
    let labels: Map<String, Value> = display["claims"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| {
            Some((
                c["path"].as_array()?.last()?.as_str()?.to_owned(),
                c["display"][0]["name"].clone(),
            ))
        })
        .collect();
    let vct = match request.format {
        CredentialFormat::SdJwtVc => claims.get("vct").and_then(Value::as_str),
        CredentialFormat::JwtVcJson => types_of(&claims).last().copied(),
    };
    Ok(StoredCredential {
        id: random::identifier(),
        issuer: issuer.to_owned(),
        configuration_id: request.configuration_id.to_owned(),
        format: request.format,
        vct: vct.unwrap_or_default().to_owned(),
        name: display["display"][0]["name"]
            .as_str()
            .unwrap_or(request.configuration_id)
            .to_owned(),
        labels,
        expires_at: claims.get("exp").and_then(Value::as_i64),
        claims,
        credential: credential.to_owned(),
        holder_key: b64url_encode(&holder.pkcs8_der()?[..]),
        received_at: now,
    })
}

/// Verifies a credential of `format` with the issuer's published keys (JWT VC issuer
/// metadata, or the DID document of an issuer that signs as a DID) and that it is bound to
/// our key; returns its claims (a W3C credential whole).
async fn check_credential(
    client: &reqwest::Client,
    (issuer, format): (&str, CredentialFormat),
    credential: &str,
    holder: &PublicKey,
    now: i64,
) -> anyhow::Result<Map<String, Value>> {
    let jwt = credential.split('~').next().unwrap_or_default();
    let jws = sigil_keys::DecodedJws::decode(jwt, 256 * 1024)?;
    let typ = match format {
        CredentialFormat::SdJwtVc => SD_JWT_VC,
        CredentialFormat::JwtVcJson => VC_JWT_TYP,
    };
    anyhow::ensure!(jws.has_typ(typ), "the credential's typ is not {typ}");
    let payload: Map<String, Value> = jws.claims()?;
    let iss = payload
        .get("iss")
        .and_then(Value::as_str)
        .or_else(|| sigil_vc::w3c::issuer_of(&payload))
        .context("the credential names no issuer")?;
    let kid = jws.header.kid.as_deref();
    let key = if sigil_vc::did::is_did(iss) {
        did_key(client, iss, kid).await?
    } else {
        anyhow::ensure!(
            iss.trim_end_matches('/') == issuer,
            "the credential names another issuer"
        );
        issuer_key(client, issuer, kid).await?
    };
    let claims = match format {
        CredentialFormat::SdJwtVc => {
            sigil_sdjwt::verify(credential, &key, None)
                .map_err(|e| anyhow::anyhow!("the credential does not verify: {e}"))?
                .claims
        }
        CredentialFormat::JwtVcJson => {
            jws.verify(&key)
                .map_err(|_| anyhow::anyhow!("the credential's signature does not verify"))?;
            sigil_vc::w3c::check_credential(&payload, now, 60).map_err(anyhow::Error::msg)?;
            payload
        }
    };
    let bound = claims.get("cnf").unwrap_or(&Value::Null)["jwk"]
        .as_object()
        .map(PublicKey::from_jwk);
    anyhow::ensure!(
        matches!(bound, Some(Ok(ref k)) if k == holder),
        "the credential is not bound to this wallet's key"
    );
    let time = |name: &str| claims.get(name).and_then(Value::as_i64);
    anyhow::ensure!(
        time("exp").is_none_or(|exp| exp > now),
        "the credential has already expired"
    );
    anyhow::ensure!(
        time("nbf").is_none_or(|nbf| nbf <= now + 60),
        "the credential is not valid yet"
    );
    Ok(claims)
}

/// The key `kid` of an issuer that signs as DID `did`: in the identifier (`did:jwk`,
/// `did:key`) or in its `did:web` document.
async fn did_key(
    client: &reqwest::Client,
    did: &str,
    kid: Option<&str>,
) -> anyhow::Result<PublicKey> {
    use sigil_vc::did::{did_web_document_url, key_in_document, key_in_identifier};
    if let Some(key) = key_in_identifier(did, kid).map_err(anyhow::Error::msg)? {
        return Ok(key);
    }
    let url = did_web_document_url(did, true).map_err(anyhow::Error::msg)?;
    let document = get_json(client, &url).await?;
    key_in_document(&document, did, kid).map_err(anyhow::Error::msg)
}

/// The issuer's key `kid` (or its only key), from its JWT VC issuer metadata.
async fn issuer_key(
    client: &reqwest::Client,
    issuer: &str,
    kid: Option<&str>,
) -> anyhow::Result<PublicKey> {
    let meta = well_known(client, issuer, "jwt-vc-issuer").await?;
    let jwks = match &meta["jwks"] {
        Value::Null => {
            get_json(
                client,
                meta["jwks_uri"]
                    .as_str()
                    .context("the issuer publishes no keys")?,
            )
            .await?
        }
        jwks => jwks.clone(),
    };
    let jwk = jwks["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|k| kid.is_none() || k["kid"].as_str() == kid)
        .and_then(Value::as_object)
        .context("the issuer does not publish the credential's key")?;
    Ok(PublicKey::from_jwk(jwk)?)
}
