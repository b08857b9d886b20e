//! Credential offers (OpenID4VCI 1.0 §4.1): what an issuer hands a wallet to start issuance,
//! by value or by reference, as an `openid-credential-offer://` link or QR code.

use serde::{Deserialize, Serialize};

/// The pre-authorized code grant type (OpenID4VCI 1.0 §3.5).
pub const PRE_AUTHORIZED_GRANT: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";

/// The URL scheme wallets register for offers.
pub const OFFER_SCHEME: &str = "openid-credential-offer://";

/// A credential offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialOffer {
    /// The Credential Issuer Identifier.
    pub credential_issuer: String,
    /// The credential configurations offered.
    pub credential_configuration_ids: Vec<String>,
    /// How the wallet obtains its access token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grants: Option<Grants>,
}

/// The grants an offer names.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Grants {
    /// The authorization code flow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_code: Option<AuthorizationCodeGrant>,
    /// The pre-authorized code flow.
    #[serde(
        rename = "urn:ietf:params:oauth:grant-type:pre-authorized_code",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub pre_authorized_code: Option<PreAuthorizedCodeGrant>,
}

/// The authorization code grant of an offer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AuthorizationCodeGrant {
    /// Binds the authorization request to this offer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_state: Option<String>,
    /// Which of the issuer's authorization servers to use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_server: Option<String>,
}

/// The pre-authorized code grant of an offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreAuthorizedCodeGrant {
    /// The code the wallet redeems at the token endpoint.
    #[serde(rename = "pre-authorized_code")]
    pub code: String,
    /// Present when a transaction code, sent to the user another way, must go with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_code: Option<TxCode>,
    /// Which of the issuer's authorization servers to use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_server: Option<String>,
}

/// How the wallet should ask the user for the transaction code.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TxCode {
    /// `numeric` or `text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_mode: Option<String>,
    /// Its length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u32>,
    /// Where the user finds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl CredentialOffer {
    /// Whether the offer names exactly one grant, as Sigil's offers do, and at least one
    /// configuration.
    pub fn is_well_formed(&self) -> bool {
        let grants = self.grants.as_ref();
        let count = grants.map_or(0, |g| {
            usize::from(g.authorization_code.is_some())
                + usize::from(g.pre_authorized_code.is_some())
        });
        count == 1 && !self.credential_configuration_ids.is_empty()
    }
}

/// The link that hands a wallet an offer by reference: the offer is fetched from
/// `reference`.
pub fn link_by_reference(reference: &str) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("credential_offer_uri", reference)
        .finish();
    format!("{OFFER_SCHEME}?{query}")
}

/// The link that carries an offer by value.
pub fn link_by_value(offer: &CredentialOffer) -> String {
    let json = serde_json::to_string(offer).unwrap_or_default();
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("credential_offer", &json)
        .finish();
    format!("{OFFER_SCHEME}?{query}")
}

/// What an offer link holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfferLink {
    /// The offer itself.
    Value(CredentialOffer),
    /// Where to fetch it.
    Reference(String),
}

/// Reads an offer link (`openid-credential-offer://?…`, or any URL with the same query, as
/// issuers also publish them on https pages).
pub fn parse_link(link: &str) -> Option<OfferLink> {
    let (_, query) = link.split_once('?')?;
    let mut value = None;
    let mut reference = None;
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        match &*k {
            "credential_offer" if value.is_none() => value = Some(v.into_owned()),
            "credential_offer_uri" if reference.is_none() => reference = Some(v.into_owned()),
            "credential_offer" | "credential_offer_uri" => return None,
            _ => {}
        }
    }
    match (value, reference) {
        (Some(json), None) => serde_json::from_str(&json).ok().map(OfferLink::Value),
        (None, Some(uri)) => Some(OfferLink::Reference(uri)),
        _ => None,
    }
}
