//! Whose signature a verifier accepts, and with which key (SD-JWT VC §3.5): a chain in the
//! credential's `x5c` to one of the verifier's trust anchors, naming the issuer; or an issuer
//! the verifier lists, whose key is this tenant's own, in the DID the issuer is (`did:jwk`,
//! `did:key`, `did:web`), or in its JWT VC issuer metadata. Status list tokens are checked
//! the same way as the credentials that point to them.

use serde_json::{Map, Value};
use sigil_keys::PublicKey;
use sigil_keys::jws::JwsHeader;
use sigil_vc::did::{did_web_document_url, is_did, key_in_document, key_in_identifier};
use sigil_vc::trust::{certified_key, parse_anchors};
use sigil_vc::verifier::VerifierConfig;

use crate::provider::{Provider, TenantCtx};

impl Provider {
    /// The key that signed a credential (or status list token) of `iss` with `header`, when
    /// `verifier` trusts it: by its certificate chain when the verifier has trust anchors and
    /// the token carries `x5c`, else because the verifier accepts `iss`.
    pub(super) async fn trusted_issuer_key(
        &self,
        t: &TenantCtx,
        verifier: &VerifierConfig,
        iss: &str,
        header: &JwsHeader,
    ) -> Result<PublicKey, String> {
        if let Some(x5c) = header
            .x5c
            .as_ref()
            .filter(|_| !verifier.trust_anchors.is_empty())
        {
            let anchors = parse_anchors(&verifier.trust_anchors)?;
            return certified_key(x5c, &anchors, iss, self.now().0);
        }
        if !verifier.accepted_issuers.iter().any(|a| a == iss) {
            return Err(format!("credentials from {iss} are not accepted"));
        }
        self.issuer_key(t, iss, header.kid.as_deref()).await
    }

    /// The key of an accepted issuer: this tenant's own, its DID's, or another issuer's from
    /// its JWT VC issuer metadata (`jwks` or `jwks_uri`), fetched under the outbound rules.
    async fn issuer_key(
        &self,
        t: &TenantCtx,
        iss: &str,
        kid: Option<&str>,
    ) -> Result<PublicKey, String> {
        if !self.is_own_issuer(t, iss) {
            if is_did(iss) {
                return self.did_key(iss, kid).await;
            }
            return self.external_issuer_key(iss, kid).await;
        }
        // This tenant's own credentials (under its URL, or its DID): its keys are at hand.
        let kid = kid.ok_or("the credential names no key (kid)")?;
        let kid = if is_did(iss) {
            let fragment = kid.strip_prefix(iss).unwrap_or(kid);
            fragment
                .strip_prefix('#')
                .ok_or("the kid names no key of this issuer's DID")?
        } else {
            kid
        };
        let ring = self
            .keyring(&t.id)
            .await
            .map_err(|e| e.description.to_string())?;
        ring.published_key(kid, self.now())
            .map(|k| k.public_key().clone())
            .ok_or_else(|| "the credential was signed by a key the issuer does not publish".into())
    }

    /// Another issuer's key by `kid`, from its metadata as cached; fetched afresh once when
    /// the key is not there (the issuer may have rotated).
    async fn external_issuer_key(&self, iss: &str, kid: Option<&str>) -> Result<PublicKey, String> {
        let jwk = match self.issuer_key_from_metadata(iss, kid, false).await? {
            Some(jwk) => jwk,
            None => self
                .issuer_key_from_metadata(iss, kid, true)
                .await?
                .ok_or("the issuer does not publish the credential's key")?,
        };
        PublicKey::from_jwk(&jwk).map_err(|e| format!("the issuer's key is unusable: {e}"))
    }

    /// The issuer's JWK named by `kid` in its metadata, `None` when it is not listed.
    async fn issuer_key_from_metadata(
        &self,
        iss: &str,
        kid: Option<&str>,
        refresh: bool,
    ) -> Result<Option<Map<String, Value>>, String> {
        let url = sigil_vc::metadata::well_known_url(iss, "jwt-vc-issuer")
            .ok_or("the issuer is not a URL")?;
        let meta = self
            .remote_json(&url, refresh)
            .await
            .map_err(|e| format!("the issuer's metadata cannot be read: {e}"))?;
        let named = meta
            .get("issuer")
            .and_then(Value::as_str)
            .map(|i| i.trim_end_matches('/'));
        if named != Some(iss.trim_end_matches('/')) {
            return Err("the issuer's metadata names another issuer".into());
        }
        let jwks = match (
            meta.get("jwks"),
            meta.get("jwks_uri").and_then(Value::as_str),
        ) {
            (Some(jwks), None) => jwks.clone(),
            (None, Some(uri)) => Value::clone(
                &*self
                    .remote_json(uri, refresh)
                    .await
                    .map_err(|e| format!("the issuer's keys cannot be read: {e}"))?,
            ),
            _ => return Err("the issuer's metadata needs exactly one of jwks and jwks_uri".into()),
        };
        let keys = jwks
            .get("keys")
            .and_then(Value::as_array)
            .ok_or("the issuer publishes no keys")?;
        let found = match kid {
            Some(kid) => keys
                .iter()
                .find(|k| k.get("kid").and_then(Value::as_str) == Some(kid)),
            None if keys.len() == 1 => keys.first(),
            None => None,
        };
        Ok(found.and_then(Value::as_object).cloned())
    }

    /// The key of a DID issuer: in the identifier (`did:jwk`, `did:key`), or in its
    /// `did:web` document, fetched under the outbound rules (cached; fetched afresh once when
    /// the key is not in it). A loopback `did:web` is fetched over plain HTTP, which the
    /// outbound rules allow only with private networks (in development).
    async fn did_key(&self, did: &str, kid: Option<&str>) -> Result<PublicKey, String> {
        if let Some(key) = key_in_identifier(did, kid)? {
            return Ok(key);
        }
        let url = did_web_document_url(did, true)?;
        let mut last = String::new();
        for refresh in [false, true] {
            let doc = self
                .remote_json(&url, refresh)
                .await
                .map_err(|e| format!("the DID document cannot be read: {e}"))?;
            match key_in_document(&doc, did, kid) {
                Ok(key) => return Ok(key),
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}
