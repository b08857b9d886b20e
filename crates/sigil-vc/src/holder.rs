//! The holder's side, free of HTTP and storage: key proofs for issuance, checking a
//! verifier's request against its client identifier, choosing what answers a DCQL query, and
//! building a presentation that discloses only that, bound to the request.

use serde_json::{Map, Value, json};
use sigil_core::{Digest32, b64_decode, b64url_decode, b64url_encode};
use sigil_keys::{DecodedJws, PublicKey, SigningKey, sign_compact_with_jwk};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use crate::dcql::CredentialQuery;
use crate::proof::PROOF_TYP;
use crate::types::{CredentialFormat, RESERVED_SUBJECT_CLAIMS};

/// A key proof for issuer `issuer`, over its `c_nonce`.
pub fn key_proof(holder: &SigningKey, issuer: &str, nonce: Option<&str>, iat: i64) -> String {
    let mut claims = json!({"aud": issuer, "iat": iat});
    if let Some(n) = nonce {
        claims["nonce"] = json!(n);
    }
    sign_compact_with_jwk(holder, PROOF_TYP, &claims)
}

/// The request parameters of a link that carries them by value (JSON-valued ones parsed).
pub fn request_by_value(query: &str) -> Map<String, Value> {
    url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| {
            let value = match serde_json::from_str::<Value>(&v) {
                Ok(json @ (Value::Object(_) | Value::Array(_))) => json,
                _ => Value::String(v.into_owned()),
            };
            (k.into_owned(), value)
        })
        .collect()
}

/// The claims of a request object, once it proves to come from `client_id`: signed by the
/// key of its `x5c` certificate, which the client identifier names (by hash, or by a DNS
/// name that is also the response URI's host); or, for `redirect_uri:`, unsigned with the
/// response URI the identifier names. The certificate is not chained to a trust anchor:
/// which verifiers to trust is the holder's decision, shown to them before they disclose.
pub fn check_request_object(
    jwt: &str,
    client_id: &str,
    now: i64,
) -> Result<Map<String, Value>, String> {
    let header: Value = jwt
        .split('.')
        .next()
        .and_then(b64url_decode)
        .and_then(|h| serde_json::from_slice(&h).ok())
        .ok_or("the request object is not a JWT")?;
    let claims: Map<String, Value> = if header["alg"] == "none" {
        let payload = jwt
            .split('.')
            .nth(1)
            .and_then(b64url_decode)
            .ok_or("a malformed request object")?;
        serde_json::from_slice(&payload).map_err(|_| "a malformed request object")?
    } else {
        let jws = DecodedJws::decode(jwt, 64 * 1024)
            .map_err(|_| "the request object's algorithm is not accepted")?;
        let der = jws
            .header
            .x5c
            .as_ref()
            .and_then(|chain| chain.first())
            .and_then(|c| b64_decode(c))
            .ok_or("a signed request object must carry its certificate (x5c)")?;
        let (key, dns_names) = certificate(&der, now)?;
        jws.verify(&key)
            .map_err(|_| "the request object's signature does not verify")?;
        let claims: Map<String, Value> = jws.claims().map_err(|_| "a malformed request object")?;
        check_certificate_names(client_id, &der, &dns_names, &claims)?;
        claims
    };
    check_request_claims(client_id, &claims, header["alg"] == "none")?;
    let time = |name: &str| claims.get(name).and_then(Value::as_i64);
    if time("exp").is_some_and(|exp| exp <= now) {
        return Err("the request has expired".into());
    }
    if time("nbf").is_some_and(|nbf| nbf > now + 60) {
        return Err("the request is not valid yet".into());
    }
    Ok(claims)
}

/// Checks a request's own claims against the identifier it came under.
pub fn check_request_claims(
    client_id: &str,
    claims: &Map<String, Value>,
    unsigned: bool,
) -> Result<(), String> {
    if claims.get("client_id").and_then(Value::as_str) != Some(client_id) {
        return Err("the request's client_id is not the link's".into());
    }
    let response_uri = claims
        .get("response_uri")
        .and_then(Value::as_str)
        .ok_or("the request has no response_uri")?;
    let redirect = client_id.strip_prefix("redirect_uri:");
    match (unsigned, redirect) {
        (true, Some(uri)) if uri == response_uri => {}
        (true, _) => {
            return Err(
                "only redirect_uri: requests may be unsigned, for their own response URI".into(),
            );
        }
        (false, Some(_)) => return Err("redirect_uri: requests must not be signed".into()),
        (false, None) => {}
    }
    if claims.contains_key("transaction_data") {
        return Err(
            "the request carries transaction data, which this wallet cannot show or sign".into(),
        );
    }
    if claims.get("response_type").and_then(Value::as_str) != Some("vp_token") {
        return Err("the request does not ask for a vp_token".into());
    }
    match claims.get("response_mode").and_then(Value::as_str) {
        Some("direct_post" | "direct_post.jwt") => Ok(()),
        _ => Err("the response mode is not direct_post or direct_post.jwt".into()),
    }
}

fn certificate(der: &[u8], now: i64) -> Result<(PublicKey, Vec<String>), String> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|_| "the certificate is malformed")?;
    let validity = cert.validity();
    if now < validity.not_before.timestamp() || now > validity.not_after.timestamp() {
        return Err("the verifier's certificate is not valid now".into());
    }
    let key = crate::trust::certificate_key(&cert)?;
    let names = cert
        .subject_alternative_name()
        .ok()
        .flatten()
        .map(|san| {
            san.value
                .general_names
                .iter()
                .filter_map(|n| match n {
                    GeneralName::DNSName(d) => Some((*d).to_owned()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    Ok((key, names))
}

fn check_certificate_names(
    client_id: &str,
    der: &[u8],
    dns_names: &[String],
    claims: &Map<String, Value>,
) -> Result<(), String> {
    if let Some(hash) = client_id.strip_prefix("x509_hash:") {
        if b64url_encode(Digest32::of(der).0) != hash {
            return Err("the certificate is not the one the client_id names".into());
        }
        return Ok(());
    }
    if let Some(dns) = client_id.strip_prefix("x509_san_dns:") {
        let host = claims
            .get("response_uri")
            .and_then(Value::as_str)
            .and_then(|u| url::Url::parse(u).ok())
            .and_then(|u| u.host_str().map(str::to_owned));
        if !dns_names.iter().any(|n| n == dns) || host.as_deref() != Some(dns) {
            return Err(
                "the certificate or response URI does not match the client_id's DNS name".into(),
            );
        }
        return Ok(());
    }
    Err("a signed request needs an x509_hash: or x509_san_dns: client_id".into())
}

/// The claim names a credential of `format` discloses to answer `query`, when it answers
/// it: for an SD-JWT VC, the top-level names of what the query asks for; for a W3C
/// credential, which is shown whole, every member of its subject but `id`.
pub fn disclosures_for(
    query: &CredentialQuery,
    format: CredentialFormat,
    claims: &Map<String, Value>,
) -> Option<Vec<String>> {
    let answer = query.answer(format.as_str(), claims)?;
    Some(match format {
        CredentialFormat::SdJwtVc => answer.keys().cloned().collect(),
        CredentialFormat::JwtVcJson => claims
            .get("credentialSubject")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(name, _)| name.clone())
            .filter(|name| !RESERVED_SUBJECT_CLAIMS.contains(&name.as_str()))
            .collect(),
    })
}

/// A presentation of `credential` (`<JWT>~<D>~…~`) disclosing only the top-level claims
/// named in `names` (with every disclosure nested inside them: members of a disclosed object,
/// elements of a disclosed array), with a key-binding JWT for `audience` and `nonce`.
pub fn present(
    credential: &str,
    names: &[String],
    holder: &SigningKey,
    audience: &str,
    nonce: &str,
    iat: i64,
) -> String {
    let mut parts = credential.trim_end_matches('~').split('~');
    let jwt = parts.next().unwrap_or_default();
    let all: Vec<(&str, Value)> = parts
        .filter_map(|encoded| {
            let decoded =
                b64url_decode(encoded).and_then(|d| serde_json::from_slice::<Value>(&d).ok())?;
            Some((encoded, decoded))
        })
        .collect();
    let by_digest: std::collections::HashMap<String, usize> = all
        .iter()
        .enumerate()
        .map(|(i, (encoded, _))| (sigil_sdjwt::digest(encoded), i))
        .collect();
    let mut chosen = vec![false; all.len()];
    let mut pending: Vec<usize> = all
        .iter()
        .enumerate()
        .filter(|(_, (_, d))| {
            d.as_array().is_some_and(|a| a.len() == 3)
                && d[1].as_str().is_some_and(|n| names.iter().any(|x| x == n))
        })
        .map(|(i, _)| i)
        .collect();
    while let Some(i) = pending.pop() {
        if std::mem::replace(&mut chosen[i], true) {
            continue;
        }
        let value = all[i]
            .1
            .as_array()
            .and_then(|a| a.last())
            .cloned()
            .unwrap_or(Value::Null);
        let mut digests = Vec::new();
        referenced_digests(&value, &mut digests);
        pending.extend(digests.iter().filter_map(|d| by_digest.get(d)).copied());
    }
    let mut out = format!("{jwt}~");
    for (i, (encoded, _)) in all.iter().enumerate() {
        if chosen[i] {
            out.push_str(encoded);
            out.push('~');
        }
    }
    let kb = sigil_sdjwt::key_binding_jwt(holder, &out, audience, nonce, iat);
    out + &kb
}

/// The digests a value refers to: `_sd` entries of objects and `{"...": d}` array elements,
/// at any depth.
fn referenced_digests(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "_sd" {
                    out.extend(
                        v.as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_str)
                            .map(str::to_owned),
                    );
                } else {
                    referenced_digests(v, out);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                match item
                    .as_object()
                    .filter(|o| o.len() == 1)
                    .and_then(|o| o.get("..."))
                {
                    Some(Value::String(d)) => out.push(d.clone()),
                    _ => referenced_digests(item, out),
                }
            }
        }
        _ => {}
    }
}
