//! Verifying an SD-JWT presentation (RFC 9901 §7): the issuer's signature, the disclosures
//! matched one to one against the digests the issuer signed (at any depth, recursively, with
//! decoys ignored and undisclosed array elements dropped), and, when asked for, the
//! key-binding JWT (§7.3) over exactly what was presented.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};
use sigil_keys::{DecodedJws, PublicKey};

use crate::SdJwtError;
use crate::disclosure::{Disclosure, digest};

/// Longest SD-JWT accepted, bytes.
const MAX_LEN: usize = 256 * 1024;
/// How far in the future a KB-JWT's `iat` may be (clock skew), seconds.
const SKEW: i64 = 60;

/// A presentation split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presentation<'a> {
    /// The issuer-signed JWT.
    pub jwt: &'a str,
    /// The disclosures, as presented.
    pub disclosures: Vec<&'a str>,
    /// The key-binding JWT, if any.
    pub kb_jwt: Option<&'a str>,
    /// Everything before the KB-JWT, including the last `~`: what `sd_hash` covers.
    pub hashed: &'a str,
}

impl<'a> Presentation<'a> {
    /// Splits `<JWT>~<D>~…~<D>~[<KB-JWT>]`.
    pub fn parse(text: &'a str) -> Result<Self, SdJwtError> {
        if text.len() > MAX_LEN {
            return Err(SdJwtError::Malformed("too large"));
        }
        let last_tilde = text.rfind('~').ok_or(SdJwtError::Malformed("no ~"))?;
        let (hashed, kb) = text.split_at(last_tilde + 1);
        let mut parts = hashed[..last_tilde].split('~');
        let jwt = parts.next().filter(|j| !j.is_empty());
        let jwt = jwt.ok_or(SdJwtError::Malformed("no issuer-signed JWT"))?;
        let disclosures: Vec<&str> = parts.collect();
        if disclosures.iter().any(|d| d.is_empty()) {
            return Err(SdJwtError::Malformed("an empty disclosure"));
        }
        Ok(Presentation {
            jwt,
            disclosures,
            kb_jwt: (!kb.is_empty()).then_some(kb),
            hashed,
        })
    }
}

/// What a verifier requires of the key binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyBinding<'a> {
    /// The verifier's identifier, the KB-JWT's `aud`.
    pub audience: &'a str,
    /// The nonce the verifier gave the holder.
    pub nonce: &'a str,
    /// The verifier's clock, Unix seconds.
    pub now: i64,
    /// How old the KB-JWT's `iat` may be, seconds.
    pub max_age: i64,
}

/// A verified presentation.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// The processed payload: the always-visible claims and the disclosed ones.
    pub claims: Map<String, Value>,
    /// The disclosures presented.
    pub disclosed: Vec<Disclosure>,
    /// Whether a key-binding JWT was checked.
    pub key_bound: bool,
}

/// Digests still to be matched, and those already met.
struct Matcher {
    pending: HashMap<String, Disclosure>,
    seen: HashSet<String>,
}

impl Matcher {
    /// The disclosure a digest names, if any; a digest met twice is refused.
    fn take(&mut self, digest: &str) -> Result<Option<Disclosure>, SdJwtError> {
        if !self.seen.insert(digest.to_owned()) {
            return Err(SdJwtError::Unreferenced("a digest appears twice"));
        }
        Ok(self.pending.remove(digest))
    }

    fn value(&mut self, value: Value) -> Result<Value, SdJwtError> {
        match value {
            Value::Object(object) => self.object(object).map(Value::Object),
            Value::Array(items) => self.array(items).map(Value::Array),
            other => Ok(other),
        }
    }

    fn object(&mut self, mut object: Map<String, Value>) -> Result<Map<String, Value>, SdJwtError> {
        let digests = match object.remove("_sd") {
            None => Vec::new(),
            Some(Value::Array(d)) => d,
            Some(_) => return Err(SdJwtError::Malformed("_sd is not an array")),
        };
        let mut out = Map::new();
        for (name, value) in object {
            out.insert(name, self.value(value)?);
        }
        for d in digests {
            let d = d
                .as_str()
                .ok_or(SdJwtError::Malformed("an _sd digest is not a string"))?;
            let Some(disclosure) = self.take(d)? else {
                continue; // a decoy, or a claim not disclosed
            };
            let name = disclosure.name.ok_or(SdJwtError::Clash(
                "an array element disclosed as a claim".into(),
            ))?;
            if out.contains_key(&name) {
                return Err(SdJwtError::Clash(name));
            }
            let value = self.value(disclosure.value)?;
            out.insert(name, value);
        }
        Ok(out)
    }

    fn array(&mut self, items: Vec<Value>) -> Result<Vec<Value>, SdJwtError> {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let reference = item
                .as_object()
                .filter(|o| o.len() == 1)
                .and_then(|o| o.get("..."));
            let Some(reference) = reference else {
                out.push(self.value(item)?);
                continue;
            };
            let d = reference
                .as_str()
                .ok_or(SdJwtError::Malformed("an array digest is not a string"))?;
            if let Some(disclosure) = self.take(d)? {
                if disclosure.name.is_some() {
                    return Err(SdJwtError::Clash(
                        "a claim disclosed as an array element".into(),
                    ));
                }
                out.push(self.value(disclosure.value)?);
            }
        }
        Ok(out)
    }
}

/// Verifies a presentation (or an issuance) against the issuer's key; with `key_binding`,
/// requires a KB-JWT that holds for it.
pub fn verify(
    text: &str,
    issuer_key: &PublicKey,
    key_binding: Option<&KeyBinding<'_>>,
) -> Result<Verified, SdJwtError> {
    let presentation = Presentation::parse(text)?;
    let jws = DecodedJws::decode(presentation.jwt, MAX_LEN)
        .map_err(|_| SdJwtError::Malformed("the issuer-signed JWT"))?;
    jws.verify(issuer_key)
        .map_err(|_| SdJwtError::IssuerSignature)?;
    let mut payload: Map<String, Value> = jws
        .claims()
        .map_err(|_| SdJwtError::Malformed("the payload is not a JSON object"))?;
    match payload.remove("_sd_alg") {
        None => {}
        Some(Value::String(alg)) if alg == "sha-256" => {}
        Some(_) => return Err(SdJwtError::HashAlgorithm),
    }
    let mut matcher = Matcher {
        pending: HashMap::new(),
        seen: HashSet::new(),
    };
    let mut disclosed = Vec::with_capacity(presentation.disclosures.len());
    for encoded in &presentation.disclosures {
        let disclosure = Disclosure::parse(encoded)?;
        if matcher
            .pending
            .insert(disclosure.digest(), disclosure.clone())
            .is_some()
        {
            return Err(SdJwtError::Unreferenced("a disclosure appears twice"));
        }
        disclosed.push(disclosure);
    }
    let claims = matcher.object(payload)?;
    if !matcher.pending.is_empty() {
        return Err(SdJwtError::Unreferenced("a disclosure matches no digest"));
    }
    let key_bound = match key_binding {
        Some(kb) => {
            check_key_binding(&presentation, &claims, kb)?;
            true
        }
        None => false,
    };
    Ok(Verified {
        claims,
        disclosed,
        key_bound,
    })
}

/// §7.3: the KB-JWT is signed by the key in `cnf`, typed `kb+jwt`, for this verifier and
/// nonce, recent, and over exactly the presentation received.
fn check_key_binding(
    presentation: &Presentation<'_>,
    claims: &Map<String, Value>,
    expected: &KeyBinding<'_>,
) -> Result<(), SdJwtError> {
    let kb = presentation
        .kb_jwt
        .ok_or(SdJwtError::KeyBinding("no key-binding JWT"))?;
    let holder = claims
        .get("cnf")
        .and_then(|c| c.get("jwk"))
        .and_then(Value::as_object)
        .ok_or(SdJwtError::KeyBinding("the SD-JWT binds no key (cnf.jwk)"))?;
    let holder =
        PublicKey::from_jwk(holder).map_err(|_| SdJwtError::KeyBinding("cnf.jwk is no key"))?;
    let jws = DecodedJws::decode(kb, MAX_LEN)
        .map_err(|_| SdJwtError::KeyBinding("the KB-JWT is malformed"))?;
    if !jws.has_typ("kb+jwt") {
        return Err(SdJwtError::KeyBinding("the KB-JWT's typ is not kb+jwt"));
    }
    jws.verify(&holder)
        .map_err(|_| SdJwtError::KeyBinding("the KB-JWT signature does not verify"))?;
    let body: Map<String, Value> = jws
        .claims()
        .map_err(|_| SdJwtError::KeyBinding("the KB-JWT claims are malformed"))?;
    let text = |name: &str| body.get(name).and_then(Value::as_str);
    let audience_ok = match body.get("aud") {
        Some(Value::String(a)) => a == expected.audience,
        Some(Value::Array(list)) => list.iter().any(|a| a == expected.audience),
        _ => false,
    };
    if !audience_ok {
        return Err(SdJwtError::KeyBinding("aud is another verifier"));
    }
    if text("nonce") != Some(expected.nonce) {
        return Err(SdJwtError::KeyBinding("nonce is not the one given"));
    }
    let iat = body
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or(SdJwtError::KeyBinding("no iat"))?;
    if iat > expected.now + SKEW || iat < expected.now - expected.max_age {
        return Err(SdJwtError::KeyBinding(
            "iat is outside the acceptance window",
        ));
    }
    if text("sd_hash") != Some(digest(presentation.hashed).as_str()) {
        return Err(SdJwtError::KeyBinding(
            "sd_hash does not cover this presentation",
        ));
    }
    Ok(())
}
