//! DPoP (RFC 9449): access tokens bound to a key the client proves it holds, with a signed
//! proof (`typ: dpop+jwt`, the public key in its header) on every request, naming the
//! request's method and URL, fresh, used once, and at a resource the hash of the token it
//! goes with. Sigil binds the credential access tokens of wallets (OpenID4VCI, and HAIP,
//! which requires it); a token so bound carries `cnf.jkt`, the key's thumbprint.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;
use sigil_core::model::{Artifact, ArtifactKind};
use sigil_core::{Digest32, UnixTime, b64url_encode};
use sigil_keys::{DecodedJws, JwsAlg, PublicKey, thumbprint};

use crate::error::{ErrorCode, OAuthError};
use crate::provider::{Provider, TenantCtx};

/// The `typ` of a DPoP proof.
pub const DPOP_TYP: &str = "dpop+jwt";
/// The algorithms accepted in proofs (`dpop_signing_alg_values_supported`).
pub const DPOP_ALGS: [JwsAlg; 4] = [JwsAlg::ES256, JwsAlg::EdDSA, JwsAlg::PS256, JwsAlg::RS256];
/// Longest proof accepted.
const MAX_PROOF_LEN: usize = 8 * 1024;
/// How old a proof may be, and how far in the future (clock skew), seconds.
const MAX_AGE: i64 = 300;
const SKEW: i64 = 60;

/// How long a server nonce is given out, seconds; it is accepted for two such windows.
const NONCE_WINDOW: i64 = 300;

/// A checked proof: the thumbprint of its key (`jkt`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpopProof {
    /// The RFC 7638 thumbprint of the proof's key.
    pub jkt: String,
    /// The server nonce it carries, if any.
    pub nonce: Option<String>,
    jti: String,
    iat: i64,
}

/// What a proof must match.
#[derive(Debug, Clone, Copy)]
pub struct DpopCheck<'a> {
    /// The request's method.
    pub htm: &'a str,
    /// The request's URL (without query and fragment).
    pub htu: &'a str,
    /// At a resource: the access token the proof goes with (`ath`).
    pub access_token: Option<&'a str>,
    /// Now, Unix seconds.
    pub now: i64,
}

#[derive(Deserialize)]
struct ProofClaims {
    jti: Option<String>,
    htm: Option<String>,
    htu: Option<String>,
    iat: Option<i64>,
    ath: Option<String>,
    nonce: Option<String>,
}

fn invalid(why: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidDpopProof, why)
}

/// Whether two URLs are the same request target (scheme, host, port and path; RFC 9449 §4.3
/// ignores query and fragment).
fn same_target(a: &str, b: &str) -> bool {
    let target = |u: &str| {
        url::Url::parse(u).ok().map(|u| {
            (
                u.scheme().to_owned(),
                u.host_str().map(str::to_ascii_lowercase),
                u.port_or_known_default(),
                u.path().to_owned(),
            )
        })
    };
    matches!((target(a), target(b)), (Some(x), Some(y)) if x == y)
}

/// Checks a proof's form, signature and claims (not whether it was used before).
pub fn verify_dpop_proof(proof: &str, check: &DpopCheck<'_>) -> Result<DpopProof, OAuthError> {
    let jws = DecodedJws::decode(proof, MAX_PROOF_LEN)
        .map_err(|_| invalid("the DPoP proof is not a JWS with an accepted algorithm"))?;
    if !DPOP_ALGS.contains(&jws.alg) {
        return Err(invalid("the DPoP proof's algorithm is not accepted"));
    }
    if !jws.has_typ(DPOP_TYP) {
        return Err(invalid("the DPoP proof's typ must be dpop+jwt"));
    }
    let jwk = jws
        .header
        .jwk
        .as_ref()
        .filter(|jwk| !jwk.contains_key("d"))
        .ok_or_else(|| invalid("the DPoP proof must carry its public key (jwk)"))?;
    let key = PublicKey::from_jwk(jwk)
        .map_err(|_| invalid("the DPoP proof's key is not a supported public key"))?;
    if !key.supports(jws.alg) {
        return Err(invalid("the DPoP proof's alg does not fit its key"));
    }
    jws.verify(&key)
        .map_err(|_| invalid("the DPoP proof's signature does not verify"))?;
    let claims: ProofClaims = jws
        .claims()
        .map_err(|_| invalid("the DPoP proof's claims are malformed"))?;
    let jti = claims
        .jti
        .filter(|j| !j.is_empty() && j.len() <= 256)
        .ok_or_else(|| invalid("the DPoP proof needs a jti"))?;
    if claims.htm.as_deref() != Some(check.htm) {
        return Err(invalid("the DPoP proof is for another HTTP method"));
    }
    if !claims.htu.is_some_and(|u| same_target(&u, check.htu)) {
        return Err(invalid("the DPoP proof is for another URL"));
    }
    let iat = claims
        .iat
        .filter(|iat| *iat <= check.now + SKEW && *iat >= check.now - MAX_AGE)
        .ok_or_else(|| invalid("the DPoP proof's iat is missing or outside the accepted window"))?;
    if let Some(token) = check.access_token {
        let expected = b64url_encode(Digest32::of(token).0);
        let given = claims.ath.unwrap_or_default();
        if !Digest32::of(&given).ct_eq(&Digest32::of(&expected)) {
            return Err(invalid(
                "the DPoP proof's ath is not the access token's hash",
            ));
        }
    }
    Ok(DpopProof {
        jkt: thumbprint(&key),
        nonce: claims.nonce,
        jti,
        iat,
    })
}

/// A DPoP proof by `key` for an `htm` request to `htu` at `now`, for `access_token` when it
/// goes to a resource, with the server's `nonce` when it gave one (a client's, or a wallet's,
/// side of RFC 9449).
pub fn dpop_proof(
    key: &sigil_keys::SigningKey,
    (htm, htu): (&str, &str),
    access_token: Option<&str>,
    nonce: Option<&str>,
    now: i64,
) -> String {
    let header = sigil_keys::JwsHeader {
        alg: key.alg().as_str().to_owned(),
        kid: None,
        typ: Some(DPOP_TYP.into()),
        crit: None,
        jwk: Some(key.public_key().jwk_members()),
        x5c: None,
    };
    let mut claims =
        json!({"jti": sigil_core::random::identifier(), "htm": htm, "htu": htu, "iat": now});
    if let Some(token) = access_token {
        claims["ath"] = json!(b64url_encode(Digest32::of(token).0));
    }
    if let Some(nonce) = nonce {
        claims["nonce"] = json!(nonce);
    }
    sigil_keys::sign_with_header(key, &header, &claims)
}

/// An access token as a request presents it.
#[derive(Debug, Clone, Copy)]
pub struct PresentedToken<'a> {
    /// The token.
    pub token: &'a str,
    /// Whether it came under the DPoP scheme (`Authorization: DPoP …`) rather than Bearer.
    pub dpop: bool,
    /// The request's `DPoP` header.
    pub proof: Option<&'a str>,
}

impl<'a> PresentedToken<'a> {
    /// A Bearer token, without a proof.
    pub fn bearer(token: &'a str) -> Self {
        PresentedToken {
            token,
            dpop: false,
            proof: None,
        }
    }
}

impl Provider {
    /// The nonce DPoP proofs are to carry now (the `DPoP-Nonce` header), when
    /// `[credentials] dpop_nonce` asks for them: the time window and a MAC of it for the
    /// tenant, so that any node makes and checks it without storing it.
    pub fn dpop_nonce(&self, t: &TenantCtx) -> Option<String> {
        self.config
            .credentials
            .dpop_nonce
            .then(|| self.nonce_of_window(t, self.now().0.div_euclid(NONCE_WINDOW)))
    }

    fn nonce_of_window(&self, t: &TenantCtx, window: i64) -> String {
        let tag = aws_lc_rs::hmac::sign(
            &self.nonce_key,
            format!("dpop-nonce\0{}\0{window}", t.id).as_bytes(),
        );
        format!("{window}.{}", b64url_encode(&tag.as_ref()[..16]))
    }

    /// Whether `nonce` is one given out in this window or the one before.
    fn nonce_is_current(&self, t: &TenantCtx, nonce: Option<&str>) -> bool {
        let Some((window, _)) = nonce.and_then(|n| n.split_once('.')) else {
            return false;
        };
        let now = self.now().0.div_euclid(NONCE_WINDOW);
        let Ok(window) = window.parse::<i64>() else {
            return false;
        };
        (window == now || window == now - 1)
            && Digest32::of(self.nonce_of_window(t, window))
                .ct_eq(&Digest32::of(nonce.unwrap_or_default()))
    }

    /// The key a token issued now is bound to (its `jkt`): that of the token request's DPoP
    /// proof, which wallets must send when `[credentials] require_dpop` says so.
    pub(crate) async fn token_binding(
        &self,
        t: &TenantCtx,
        proof: Option<&str>,
    ) -> Result<Option<String>, OAuthError> {
        let Some(proof) = proof else {
            if self.config.credentials.require_dpop {
                return Err(invalid("a DPoP proof is required"));
            }
            return Ok(None);
        };
        let htu = t.url(crate::endpoints::TOKEN);
        let check = DpopCheck {
            htm: "POST",
            htu: &htu,
            access_token: None,
            now: self.now().0,
        };
        Ok(Some(self.check_dpop(t, proof, &check).await?.jkt))
    }

    /// Checks that a token bound to `jkt` (or to nothing) is presented the way its binding
    /// asks, at the endpoint `path` takes a POST to: a bound token under the DPoP scheme with
    /// a fresh proof by its key; an unbound one as a Bearer token.
    pub(crate) async fn check_token_binding(
        &self,
        t: &TenantCtx,
        presented: &PresentedToken<'_>,
        jkt: Option<&str>,
        path: &str,
    ) -> Result<(), OAuthError> {
        let Some(jkt) = jkt else {
            if presented.dpop {
                return Err(OAuthError::invalid_token(
                    "the access token is not DPoP-bound: send it as a Bearer token",
                ));
            }
            return Ok(());
        };
        if !presented.dpop {
            return Err(OAuthError::invalid_token(
                "the access token is DPoP-bound: send it under the DPoP scheme, with a proof",
            ));
        }
        let proof = presented
            .proof
            .ok_or_else(|| invalid("a DPoP proof is required"))?;
        let htu = t.url(path);
        let check = DpopCheck {
            htm: "POST",
            htu: &htu,
            access_token: Some(presented.token),
            now: self.now().0,
        };
        let proven = self.check_dpop(t, proof, &check).await?;
        if !Digest32::of(&proven.jkt).ct_eq(&Digest32::of(jkt)) {
            return Err(invalid(
                "the DPoP proof is not by the key the token is bound to",
            ));
        }
        Ok(())
    }

    /// Checks a proof and spends its `jti`: a proof is accepted once.
    pub(crate) async fn check_dpop(
        &self,
        t: &TenantCtx,
        proof: &str,
        check: &DpopCheck<'_>,
    ) -> Result<DpopProof, OAuthError> {
        let checked = verify_dpop_proof(proof, check)?;
        if self.config.credentials.dpop_nonce && !self.nonce_is_current(t, checked.nonce.as_deref())
        {
            return Err(OAuthError::new(
                ErrorCode::UseDpopNonce,
                "the DPoP proof must carry the nonce in the DPoP-Nonce header",
            ));
        }
        let now = self.now();
        let used = Artifact {
            tenant: t.id.clone(),
            kind: ArtifactKind::DpopJti,
            key: Digest32::of(format!("{}:{}", checked.jkt, checked.jti)),
            payload: json!({}),
            expires_at: UnixTime(checked.iat).plus(Duration::from_secs((MAX_AGE + SKEW) as u64)),
            consumed_at: None,
        };
        if !self.store.put_artifact(&used, now).await? {
            return Err(invalid("the DPoP proof was used before"));
        }
        Ok(checked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sigil_core::model::SigningAlg;
    use sigil_keys::{JwsHeader, SigningKey, sign_with_header};

    const HTU: &str = "https://server.example.com/token";
    const NOW: i64 = 1_800_000_000;

    fn proof(key: &SigningKey, claims: serde_json::Value, typ: &str) -> String {
        let header = JwsHeader {
            alg: key.alg().as_str().into(),
            kid: None,
            typ: Some(typ.into()),
            crit: None,
            jwk: Some(key.public_key().jwk_members()),
            x5c: None,
        };
        sign_with_header(key, &header, &claims)
    }

    fn check(access_token: Option<&str>) -> DpopCheck<'_> {
        DpopCheck {
            htm: "POST",
            htu: HTU,
            access_token,
            now: NOW,
        }
    }

    #[test]
    fn a_fresh_proof_for_this_request_names_its_key() {
        let (key, _) = SigningKey::generate(SigningAlg::ES256).expect("key");
        let good = json!({"jti": "-BwC3ESc6acc2lTc", "htm": "POST", "htu": HTU, "iat": NOW});
        let checked = verify_dpop_proof(&proof(&key, good, DPOP_TYP), &check(None)).expect("ok");
        assert_eq!(checked.jkt, thumbprint(key.public_key()));
        // The query and fragment do not count (§4.3).
        let with_query =
            json!({"jti": "a", "htm": "POST", "htu": format!("{HTU}?x=1#f"), "iat": NOW});
        assert!(verify_dpop_proof(&proof(&key, with_query, DPOP_TYP), &check(None)).is_ok());
        let token = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU";
        let ath = b64url_encode(Digest32::of(token).0);
        let bound = json!({"jti": "b", "htm": "POST", "htu": HTU, "iat": NOW, "ath": ath});
        assert!(verify_dpop_proof(&proof(&key, bound, DPOP_TYP), &check(Some(token))).is_ok());
    }

    #[test]
    fn proofs_for_other_requests_keys_or_times_are_refused() {
        let (key, _) = SigningKey::generate(SigningAlg::ES256).expect("key");
        let base = json!({"jti": "j", "htm": "POST", "htu": HTU, "iat": NOW});
        let with = |member: &str, value: serde_json::Value| {
            let mut claims = base.clone();
            claims[member] = value;
            claims
        };
        let cases = [
            proof(&key, with("htm", json!("GET")), DPOP_TYP),
            proof(
                &key,
                with("htu", json!("https://other.example/token")),
                DPOP_TYP,
            ),
            proof(&key, with("iat", json!(NOW - 3600)), DPOP_TYP),
            proof(&key, with("iat", json!(NOW + 3600)), DPOP_TYP),
            proof(&key, with("jti", json!("")), DPOP_TYP),
            proof(&key, base.clone(), "JWT"),
        ];
        for p in &cases {
            let e = verify_dpop_proof(p, &check(None)).expect_err("refused");
            assert_eq!(e.code, ErrorCode::InvalidDpopProof);
        }
        // Signed by another key than the one it carries.
        let (other, _) = SigningKey::generate(SigningAlg::ES256).expect("key");
        let good = proof(&key, base.clone(), DPOP_TYP);
        let forged_sig = proof(&other, base.clone(), DPOP_TYP);
        let (head, _) = good.rsplit_once('.').expect("jws");
        let (_, sig) = forged_sig.rsplit_once('.').expect("jws");
        assert!(verify_dpop_proof(&format!("{head}.{sig}"), &check(None)).is_err());
        // At a resource, the access token's hash must be there and right.
        assert!(verify_dpop_proof(&good, &check(Some("token"))).is_err());
        let wrong = with("ath", json!(b64url_encode(Digest32::of("other").0)));
        assert!(verify_dpop_proof(&proof(&key, wrong, DPOP_TYP), &check(Some("token"))).is_err());
        assert!(verify_dpop_proof("not a jwt", &check(None)).is_err());
    }
}
