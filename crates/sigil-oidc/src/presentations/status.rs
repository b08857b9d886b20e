//! One presentation verified end to end: the format's own checks (`sigil-vc`), the issuer's
//! key found and trusted, and the credential's status read: a Token Status List for SD-JWT
//! VCs, Bitstring Status List credentials for W3C credentials (Status List 2021 credentials
//! for another issuer's Data Model 1.1 ones). Sigil's own lists are read
//! from the store (no cache lag); another issuer's are fetched and their signature checked
//! with a key the verifier trusts for that issuer.

use serde_json::{Map, Value};
use sigil_core::model::CredentialStatus;
use sigil_keys::DecodedJws;
use sigil_keys::jws::JwsHeader;
use sigil_sdjwt::status_list::StatusList;
use sigil_vc::dcql::CredentialQuery;
use sigil_vc::sd_jwt_vc::StatusEntry;
use sigil_vc::verifier::{
    PresentationCheck, StatusReference, VerifiedPresentation, VerifierConfig, presented_signer,
    verify_sd_jwt_vc,
};
use sigil_vc::w3c::presentation::{credential_signer, open_presentation, verify_vc_jwt};
use sigil_vc::w3c::status::{
    Bitstring, BitstringEntry, LIST_CREDENTIAL_TYPE, LIST_CREDENTIAL_TYPE_2021, LIST_TYPE,
    LIST_TYPE_2021,
};
use sigil_vc::w3c::{JWT_VC_JSON, VC_JWT_TYP, check_credential, types_of, v1};

use crate::credentials::{PublishedList, marked_by};
use crate::provider::{Provider, TenantCtx};

/// Clock skew allowed on a status list credential's `validFrom`, seconds.
const SKEW: i64 = 60;
/// The longest status list read.
const MAX_LIST_LEN: usize = 4 << 20;

/// Refuses a credential whose certificate chain is not among the authorities the query
/// trusts (its `trusted_authorities`).
fn check_authorities(query: &CredentialQuery, header: &JwsHeader) -> Result<(), String> {
    if query.trusts_chain(header.x5c.as_deref()) {
        Ok(())
    } else {
        Err("the credential's issuer is not certified by an authority the query trusts".into())
    }
}

/// What a status says, for the verifier.
fn refusal(status: CredentialStatus) -> Result<(), String> {
    match status {
        CredentialStatus::Valid => Ok(()),
        CredentialStatus::Suspended => Err("the credential is suspended".into()),
        CredentialStatus::Revoked => Err("the credential is revoked".into()),
    }
}

impl Provider {
    /// Verifies one presentation for credential query `query`, its issuer's key trusted and
    /// its status valid.
    pub(super) async fn verify_presentation(
        &self,
        t: &TenantCtx,
        verifier: &VerifierConfig,
        query: &CredentialQuery,
        check: &PresentationCheck<'_>,
        text: &str,
    ) -> Result<VerifiedPresentation, String> {
        let (iss, verified) = if query.format == JWT_VC_JSON {
            let opened = open_presentation(text, query, check)?;
            let (iss, header) = credential_signer(&opened.credential)?;
            check_authorities(query, &header)?;
            let key = self.trusted_issuer_key(t, verifier, &iss, &header).await?;
            let verified = verify_vc_jwt(
                &opened.credential,
                &key,
                opened.holder.as_ref(),
                query,
                check.now,
            )?;
            (iss, verified)
        } else {
            let (iss, header) = presented_signer(text)?;
            check_authorities(query, &header)?;
            let key = self.trusted_issuer_key(t, verifier, &iss, &header).await?;
            (iss, verify_sd_jwt_vc(text, &key, query, check)?)
        };
        for status in &verified.status {
            self.check_status(t, verifier, &iss, status).await?;
        }
        Ok(verified)
    }

    /// Refuses a suspended or revoked credential.
    async fn check_status(
        &self,
        t: &TenantCtx,
        verifier: &VerifierConfig,
        iss: &str,
        reference: &StatusReference,
    ) -> Result<(), String> {
        let (url, index, form) = match reference {
            StatusReference::TokenStatusList(e) => (&e.uri, e.idx, PublishedList::Token),
            StatusReference::Bitstring(e) => (
                &e.list_credential,
                e.index,
                PublishedList::Bitstring(e.purpose),
            ),
        };
        let prefix = self.status_list_url(t, "");
        let own = url
            .strip_prefix(&prefix)
            .filter(|_| self.is_own_issuer(t, iss))
            .and_then(|rest| {
                let list_id = rest.split('/').next()?;
                (self.published_list_url(t, list_id, form) == *url).then_some(list_id)
            });
        let Some(list_id) = own else {
            return match reference {
                StatusReference::TokenStatusList(e) => {
                    match self.external_token_status(t, verifier, iss, e).await? {
                        0 => Ok(()),
                        1 => Err("the credential is revoked".into()),
                        2 => Err("the credential is suspended".into()),
                        _ => Err("the credential's status is not valid".into()),
                    }
                }
                StatusReference::Bitstring(e) => {
                    if self.external_bitstring_status(t, verifier, iss, e).await? {
                        refusal(marked_by(e.purpose))
                    } else {
                        Ok(())
                    }
                }
            };
        };
        let entries = self
            .store
            .status_list_entries(&t.id, list_id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or("the credential's status list does not exist")?;
        if index >= entries.list.size {
            return Err("the credential's status index is outside its list".into());
        }
        let status = entries
            .invalid
            .iter()
            .find(|(idx, _)| *idx == index)
            .map_or(CredentialStatus::Valid, |(_, s)| *s);
        match reference {
            StatusReference::Bitstring(e) if status != marked_by(e.purpose) => Ok(()),
            _ => refusal(status),
        }
    }

    /// Fetches another issuer's status list and checks it is a JWS of one of `typs` signed
    /// by a key the verifier trusts for `iss`, not expired; its claims.
    async fn fetch_signed_list(
        &self,
        t: &TenantCtx,
        verifier: &VerifierConfig,
        iss: &str,
        url: &str,
        typs: &[&str],
    ) -> Result<Map<String, Value>, String> {
        let token = self
            .jwks_fetcher
            .fetch_text(url)
            .await
            .map_err(|e| format!("the credential's status list cannot be read: {e}"))?;
        let jws = DecodedJws::decode(token.trim(), MAX_LIST_LEN)
            .map_err(|_| "the status list is not a JWS with an accepted algorithm")?;
        if !typs.iter().any(|typ| jws.has_typ(typ)) {
            return Err(format!(
                "the status list's typ is not {}",
                typs.join(" or ")
            ));
        }
        let key = self
            .trusted_issuer_key(t, verifier, iss, &jws.header)
            .await?;
        jws.verify(&key)
            .map_err(|_| "the status list's signature does not verify")?;
        let claims: Map<String, Value> =
            jws.claims().map_err(|_| "the status list is unreadable")?;
        if claims
            .get("exp")
            .and_then(Value::as_i64)
            .is_some_and(|exp| exp <= self.now().0)
        {
            return Err("the status list has expired".into());
        }
        Ok(claims)
    }

    /// A status from another issuer's status list token: its `sub` the URI the credential
    /// names.
    async fn external_token_status(
        &self,
        t: &TenantCtx,
        verifier: &VerifierConfig,
        iss: &str,
        entry: &StatusEntry,
    ) -> Result<u8, String> {
        let claims = self
            .fetch_signed_list(t, verifier, iss, &entry.uri, &["statuslist+jwt"])
            .await?;
        if claims.get("sub").and_then(Value::as_str) != Some(entry.uri.as_str()) {
            return Err("the status list is not the one the credential names".into());
        }
        let list = StatusList::from_json(claims.get("status_list").unwrap_or(&Value::Null))
            .map_err(|e| e.to_string())?;
        let idx = usize::try_from(entry.idx).map_err(|_| "bad status index")?;
        list.get(idx).map_err(|e| e.to_string())
    }

    /// Whether another issuer's Bitstring Status List credential sets the entry's bit
    /// (Bitstring Status List §3.2): a `BitstringStatusListCredential` of the credential's
    /// issuer, valid now, for the entry's purpose; or its Data Model 1.1 forerunner, a
    /// `StatusList2021Credential` in a 1.1 JWT (`typ` `JWT`, a `vc` claim).
    async fn external_bitstring_status(
        &self,
        t: &TenantCtx,
        verifier: &VerifierConfig,
        iss: &str,
        entry: &BitstringEntry,
    ) -> Result<bool, String> {
        let list = self
            .fetch_signed_list(
                t,
                verifier,
                iss,
                &entry.list_credential,
                &[VC_JWT_TYP, "JWT"],
            )
            .await?;
        let now = self.now().0;
        let unusable = |e: String| format!("STATUS_VERIFICATION_ERROR: the status list: {e}");
        let (list, list_issuer, (credential_type, list_type)) = if list.contains_key("vc") {
            let list = v1::credential_document(&list).map_err(unusable)?;
            let list_issuer = v1::check_credential(&list, now, SKEW).map_err(unusable)?;
            (
                list,
                list_issuer,
                (LIST_CREDENTIAL_TYPE_2021, LIST_TYPE_2021),
            )
        } else {
            let list_issuer = check_credential(&list, now, SKEW).map_err(unusable)?;
            (list, list_issuer, (LIST_CREDENTIAL_TYPE, LIST_TYPE))
        };
        if list_issuer != iss || !types_of(&list).contains(&credential_type) {
            return Err(format!(
                "STATUS_VERIFICATION_ERROR: the status list is not its issuer's {credential_type}"
            ));
        }
        let subject = list
            .get("credentialSubject")
            .and_then(Value::as_object)
            .filter(|s| s.get("type").and_then(Value::as_str) == Some(list_type))
            .ok_or_else(|| {
                format!("STATUS_VERIFICATION_ERROR: the status list has no {list_type}")
            })?;
        let purposes = match subject.get("statusPurpose") {
            Some(Value::String(p)) => vec![p.as_str()],
            Some(Value::Array(ps)) => ps.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !purposes.contains(&entry.purpose.as_str()) {
            return Err("STATUS_VERIFICATION_ERROR: the status list is for another purpose".into());
        }
        let bits = subject
            .get("encodedList")
            .and_then(Value::as_str)
            .ok_or("STATUS_VERIFICATION_ERROR: the status list has no encodedList")?;
        let bits = if list_type == LIST_TYPE_2021 {
            Bitstring::decode_2021(bits)
        } else {
            Bitstring::decode(bits)
        };
        let bits = bits.map_err(|e| e.to_string())?;
        bits.get(entry.index).map_err(|e| e.to_string())
    }
}
