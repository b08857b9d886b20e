//! Issuing SD-JWTs (RFC 9901 §4) and binding a presentation to its holder (§4.3): top-level
//! claims made selectively disclosable with fresh 128-bit salts, their digests (and decoys)
//! sorted into `_sd` so that neither order nor count reveals what was hidden, the issuer's
//! signature; and the holder's KB-JWT over exactly what is presented.

use serde_json::{Map, Value, json};
use sigil_core::{b64url_encode, random};
use sigil_keys::{JwsHeader, SigningKey, key_header, sign_compact, sign_with_header};

use crate::SdJwtError;
use crate::disclosure::{Disclosure, digest};

/// Claims that must stay visible: the SD-JWT's own machinery and the holder's key.
const NEVER_DISCLOSABLE: [&str; 4] = ["_sd", "_sd_alg", "...", "cnf"];

/// An issued SD-JWT.
#[derive(Debug, Clone, PartialEq)]
pub struct Issued {
    /// The issuer-signed JWT.
    pub jwt: String,
    /// Every disclosure, for the holder to keep.
    pub disclosures: Vec<Disclosure>,
}

impl Issued {
    /// `<JWT>~<D1>~…~<Dn>~`: the SD-JWT as issued.
    pub fn compact(&self) -> String {
        self.present(|_| true)
    }

    /// The SD-JWT with only the disclosures `keep` accepts (by claim name), without key
    /// binding.
    pub fn present(&self, keep: impl Fn(&str) -> bool) -> String {
        let mut out = self.jwt.clone();
        out.push('~');
        for d in &self.disclosures {
            if d.name.as_deref().is_some_and(&keep) {
                out.push_str(&d.encoded);
                out.push('~');
            }
        }
        out
    }
}

fn disclosure(name: &str, value: Value) -> Disclosure {
    let salt = random::identifier();
    let encoded = b64url_encode(json!([salt, name, value]).to_string());
    Disclosure {
        encoded,
        salt,
        name: Some(name.to_owned()),
        value,
    }
}

/// Signs `claims` with `key` as an SD-JWT of type `typ`, hiding the claims named in
/// `disclosable` behind digests, with `decoys` decoy digests.
pub fn issue(
    key: &SigningKey,
    typ: &str,
    claims: Map<String, Value>,
    disclosable: &[&str],
    decoys: usize,
) -> Result<Issued, SdJwtError> {
    issue_with_header(
        key,
        &key_header(key, typ, None),
        claims,
        disclosable,
        decoys,
    )
}

/// [`issue`], with the issuer-signed JWT's header given (`x5c` in it, say).
pub fn issue_with_header(
    key: &SigningKey,
    header: &JwsHeader,
    mut claims: Map<String, Value>,
    disclosable: &[&str],
    decoys: usize,
) -> Result<Issued, SdJwtError> {
    let mut disclosures = Vec::with_capacity(disclosable.len());
    for name in disclosable {
        if NEVER_DISCLOSABLE.contains(name) {
            return Err(SdJwtError::Clash(format!(
                "{name} cannot be selectively disclosable"
            )));
        }
        let value = claims
            .remove(*name)
            .ok_or_else(|| SdJwtError::Clash(format!("{name} is not a claim")))?;
        disclosures.push(disclosure(name, value));
    }
    let mut digests: Vec<String> = disclosures.iter().map(Disclosure::digest).collect();
    digests.extend((0..decoys).map(|_| digest(&random::secret_token())));
    digests.sort();
    if !digests.is_empty() {
        claims.insert("_sd".into(), json!(digests));
        claims.insert("_sd_alg".into(), json!("sha-256"));
    }
    Ok(Issued {
        jwt: sign_with_header(key, header, &claims),
        disclosures,
    })
}

/// The holder's KB-JWT for `presentation` (`<JWT>~<D>~…~`, ending with `~`), for verifier
/// `audience` and its `nonce`, at `iat`: append it to the presentation.
pub fn key_binding_jwt(
    holder: &SigningKey,
    presentation: &str,
    audience: &str,
    nonce: &str,
    iat: i64,
) -> String {
    let claims = json!({
        "aud": audience,
        "nonce": nonce,
        "iat": iat,
        "sd_hash": digest(presentation),
    });
    sign_compact(holder, "kb+jwt", &claims)
}
