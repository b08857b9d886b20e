//! SD-JWT VCs (draft-ietf-oauth-sd-jwt-vc-18, media type `dc+sd-jwt`): an SD-JWT whose
//! payload names its issuer, type (`vct`), validity, holder key (`cnf`) and status list
//! entry, with the type's disclosable claims behind digests.

use serde_json::{Map, Value, json};
use sigil_keys::SigningKey;
use sigil_sdjwt::{Issued, SdJwtError, issue_with_header};

use crate::types::CredentialType;

/// The `typ` of an SD-JWT VC and its format identifier in OpenID4VCI.
pub const SD_JWT_VC: &str = "dc+sd-jwt";
/// The SD-JWT VC draft Sigil implements; the `[credentials] sd_jwt_vc` setting names it.
pub const SD_JWT_VC_DRAFT: &str = "draft-ietf-oauth-sd-jwt-vc-18";
/// Decoy digests added to every credential, so the number of digests does not tell how
/// many claims a type has.
const DECOYS: usize = 2;

/// A credential's entry in a Token Status List.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusEntry {
    /// The status list token's URL.
    pub uri: String,
    /// The credential's index in it.
    pub idx: u64,
}

/// Everything an SD-JWT VC is made of besides its type.
#[derive(Debug, Clone)]
pub struct Contents<'a> {
    /// The Credential Issuer Identifier (`iss`).
    pub issuer: &'a str,
    /// The type's claim values for the user.
    pub values: Map<String, Value>,
    /// The holder's public JWK (`cnf.jwk`).
    pub holder_jwk: &'a Map<String, Value>,
    /// Where the credential's status is published.
    pub status: &'a StatusEntry,
    /// Issuance time, Unix seconds.
    pub now: i64,
    /// The certificate chain that vouches for the issuer's key (`x5c`), when it is sent.
    pub x5c: Option<&'a [String]>,
}

/// Issues one SD-JWT VC of `ty`.
pub fn issue_sd_jwt_vc(
    key: &SigningKey,
    ty: &CredentialType,
    contents: Contents<'_>,
) -> Result<Issued, SdJwtError> {
    let mut claims = contents.values;
    let disclosable: Vec<&str> = ty
        .disclosable()
        .filter(|name| claims.contains_key(*name))
        .collect();
    claims.insert("iss".into(), json!(contents.issuer));
    claims.insert("vct".into(), json!(ty.vct));
    claims.insert("iat".into(), json!(contents.now));
    claims.insert("nbf".into(), json!(contents.now));
    claims.insert(
        "exp".into(),
        json!(contents.now.saturating_add(ty.lifetime_secs as i64)),
    );
    claims.insert("cnf".into(), json!({"jwk": contents.holder_jwk}));
    claims.insert(
        "status".into(),
        json!({"status_list": {"idx": contents.status.idx, "uri": contents.status.uri}}),
    );
    let header = crate::did::issuer_header(key, SD_JWT_VC, contents.issuer, contents.x5c);
    issue_with_header(key, &header, claims, &disclosable, DECOYS)
}
