//! The authorization request parser and its ordered checks, against a typical client.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_core::model::{AuthMethod, Client, GrantType, SigningAlg};
use sigil_core::{ClientId, RedirectUri, ScopeSet, TenantId, UnixTime};
use sigil_oidc::Params;
use sigil_oidc::authorize::request::validate;

fn client(public: bool) -> Client {
    Client {
        tenant: TenantId::default_tenant(),
        id: ClientId::parse("fuzz-client").unwrap(),
        name: "Fuzz".into(),
        secret_digest: None,
        auth_method: if public { AuthMethod::None } else { AuthMethod::ClientSecretBasic },
        redirect_uris: vec![
            RedirectUri::parse("https://app.example/cb").unwrap(),
            RedirectUri::parse("http://127.0.0.1/cb").unwrap(),
        ],
        post_logout_redirect_uris: vec![],
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        scopes: ScopeSet::parse("openid profile email offline_access").unwrap(),
        resources: vec!["https://api.example".into()],
        jwks_uri: None,
        jwks: None,
        require_pkce: true,
        first_party: false,
        id_token_signed_response_alg: SigningAlg::RS256,
        disabled: false,
        created_at: UnixTime(0),
        updated_at: UnixTime(0),
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(params) = Params::parse(data) {
        for public in [false, true] {
            if let Ok(req) = validate(&params, &client(public)) {
                // Whatever validated must be consistent with the registration.
                assert!(req.scopes.is_subset(&client(public).scopes));
                assert!(req.code_challenge.as_ref().is_some_and(|c| c.len() == 43));
            }
        }
    }
});
