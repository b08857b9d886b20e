//! Provider metadata: OpenID Connect Discovery 1.0 and RFC 8414 (one document, served at
//! both well-known paths).

use serde_json::{Value, json};
use sigil_core::model::{AuthMethod, GrantType, SigningAlg};

use sigil_vc::wallet_attestation::{ATTEST_JWT_CLIENT_AUTH, ATTESTATION_ALGS};

use crate::authorize::request::PROMPT_VALUES;
use crate::config::CredentialConfig;
use crate::endpoints as ep;
use crate::provider::TenantCtx;
use crate::sessions::{ACR_CREDENTIAL, ACR_PASSWORD};
use crate::tokens::CLAIMS_SUPPORTED;

/// The metadata document of a tenant; `credentials` when it issues verifiable credentials
/// (the OpenID4VCI pre-authorized code grant, redeemed without client authentication or with
/// a wallet attestation, `openid_credential` authorization details in the authorization code
/// flow, and DPoP for wallets' tokens).
pub fn metadata(t: &TenantCtx, credentials: Option<&CredentialConfig>, require_par: bool) -> Value {
    let mut grant_types: Vec<&str> = GrantType::ALL.iter().map(|g| g.as_str()).collect();
    if credentials.is_some() {
        grant_types.push(sigil_vc::offer::PRE_AUTHORIZED_GRANT);
    }
    let attesting = credentials.is_some_and(|c| !c.wallet_providers.is_empty());
    let auth_methods: Vec<&str> = AuthMethod::ALL.iter().map(|m| m.as_str()).collect();
    let mut token_auth_methods = auth_methods.clone();
    if attesting {
        token_auth_methods.push(ATTEST_JWT_CLIENT_AUTH);
    }
    let client_auth_methods: Vec<&str> = AuthMethod::ALL
        .iter()
        .filter(|m| **m != AuthMethod::None)
        .map(|m| m.as_str())
        .collect();
    let assertion_algs = ["RS256", "PS256", "ES256", "EdDSA"];
    let id_token_algs: Vec<&str> = SigningAlg::ALL.iter().map(|a| a.as_str()).collect();
    let mut doc = json!({
        "issuer": t.issuer,
        "authorization_endpoint": t.url(ep::AUTHORIZE),
        "token_endpoint": t.url(ep::TOKEN),
        "userinfo_endpoint": t.url(ep::USERINFO),
        "jwks_uri": t.url(ep::JWKS),
        "revocation_endpoint": t.url(ep::REVOKE),
        "global_token_revocation_endpoint": t.url(ep::GLOBAL_TOKEN_REVOCATION),
        "global_token_revocation_endpoint_auth_methods_supported": ["Bearer"],
        "introspection_endpoint": t.url(ep::INTROSPECT),
        "device_authorization_endpoint": t.url(ep::DEVICE_AUTHORIZATION),
        "pushed_authorization_request_endpoint": t.url(ep::PAR),
        "require_pushed_authorization_requests": require_par,
        "end_session_endpoint": t.url(ep::END_SESSION),
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": grant_types,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": id_token_algs,
        "token_endpoint_auth_methods_supported": token_auth_methods,
        "token_endpoint_auth_signing_alg_values_supported": assertion_algs,
        "introspection_endpoint_auth_methods_supported": client_auth_methods,
        "introspection_endpoint_auth_signing_alg_values_supported": assertion_algs,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_signing_alg_values_supported": assertion_algs,
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": CLAIMS_SUPPORTED,
        "claim_types_supported": ["normal"],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
        "prompt_values_supported": PROMPT_VALUES,
        "acr_values_supported": [ACR_PASSWORD, ACR_CREDENTIAL],
        "ui_locales_supported": ["en"],
        "access_token_signing_alg_values_supported": ["ES256"],
        "frontchannel_logout_supported": true,
        "frontchannel_logout_session_supported": true,
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
    });
    if let Some(vc) = credentials {
        doc["pre-authorized_grant_anonymous_access_supported"] =
            json!(!vc.wallet_attestation_required);
        if attesting {
            let algs: Vec<&str> = ATTESTATION_ALGS.iter().map(|a| a.as_str()).collect();
            doc["client_attestation_signing_alg_values_supported"] = json!(algs);
            doc["client_attestation_pop_signing_alg_values_supported"] = json!(algs);
        }
        doc["authorization_details_types_supported"] =
            json!([sigil_vc::authorization::OPENID_CREDENTIAL]);
        let dpop: Vec<&str> = crate::dpop::DPOP_ALGS.iter().map(|a| a.as_str()).collect();
        doc["dpop_signing_alg_values_supported"] = json!(dpop);
    }
    doc
}
