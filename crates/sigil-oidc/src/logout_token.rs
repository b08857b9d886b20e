//! Logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.4) as a client checks them
//! (§2.6): the claims half, once the signature has been verified against the issuer's keys.
//! Sigil's gateway is such a client; Sigil's own tokens are minted in
//! [`crate::logout_channels`].

use serde_json::{Map, Value};

use crate::federation::upstream::LEEWAY;

/// The event a logout token carries.
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// The `typ` of logout tokens (explicit typing, §2.4 and RFC 8725 §3.11).
pub const LOGOUT_TOKEN_TYP: &str = "logout+jwt";
/// How old a logout token may be when it arrives, seconds.
const MAX_AGE: i64 = 300;

/// What a valid logout token says ended: the session (`sid`), the user (`sub`), or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutNotice {
    /// The user, when named.
    pub sub: Option<String>,
    /// The session at the provider, when named.
    pub sid: Option<String>,
}

/// What the receiving client expects.
#[derive(Debug, Clone, Copy)]
pub struct ExpectedLogout<'a> {
    /// The provider's issuer identifier.
    pub issuer: &'a str,
    /// The receiving client's `client_id`.
    pub client_id: &'a str,
    /// The header's `typ`, if any (it must be `logout+jwt` when present).
    pub typ: Option<&'a str>,
    /// The time now, Unix seconds.
    pub now: i64,
}

fn text<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    claims.get(name).and_then(Value::as_str)
}

/// Checks a logout token's claims as §2.6 asks: `iss`, `aud`, `iat` (recent), `exp`, `jti`,
/// the back-channel logout event, a `sub` or `sid`, and no `nonce`.
pub fn check_logout_token_claims(
    claims: &Map<String, Value>,
    expected: &ExpectedLogout<'_>,
) -> Result<LogoutNotice, &'static str> {
    let now = expected.now;
    let audience_ok = match claims.get("aud") {
        Some(Value::String(aud)) => aud == expected.client_id,
        Some(Value::Array(list)) => list.iter().any(|a| a == expected.client_id),
        _ => false,
    };
    let number = |name: &str| claims.get(name).and_then(Value::as_i64);
    let event_ok = claims
        .get("events")
        .and_then(Value::as_object)
        .and_then(|events| events.get(BACKCHANNEL_LOGOUT_EVENT))
        .is_some_and(Value::is_object);
    let notice = LogoutNotice {
        sub: text(claims, "sub").map(str::to_owned),
        sid: text(claims, "sid").map(str::to_owned),
    };
    let failures = [
        (
            expected.typ.is_none_or(|t| t == LOGOUT_TOKEN_TYP),
            "typ is not logout+jwt",
        ),
        (
            text(claims, "iss") == Some(expected.issuer),
            "iss is not the issuer",
        ),
        (audience_ok, "aud is not this client"),
        (
            number("iat").is_some_and(|iat| iat <= now + LEEWAY && iat >= now - MAX_AGE),
            "iat is missing or not recent",
        ),
        (
            number("exp").is_some_and(|exp| exp > now - LEEWAY),
            "exp is missing or passed",
        ),
        (
            text(claims, "jti").is_some_and(|j| !j.is_empty()),
            "jti is missing",
        ),
        (event_ok, "the back-channel logout event is missing"),
        (
            notice.sub.is_some() || notice.sid.is_some(),
            "neither sub nor sid is given",
        ),
        (!claims.contains_key("nonce"), "a logout token has no nonce"),
    ];
    match failures.iter().find(|(ok, _)| !ok) {
        Some((_, why)) => Err(why),
        None => Ok(notice),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn valid() -> Map<String, Value> {
        json!({
            "iss": "https://id.example", "aud": "gw", "iat": NOW - 5, "exp": NOW + 115,
            "jti": "j-1", "sub": "u-1", "sid": "s-1",
            "events": {BACKCHANNEL_LOGOUT_EVENT: {}}
        })
        .as_object()
        .cloned()
        .unwrap_or_default()
    }

    fn expected() -> ExpectedLogout<'static> {
        ExpectedLogout {
            issuer: "https://id.example",
            client_id: "gw",
            typ: Some(LOGOUT_TOKEN_TYP),
            now: NOW,
        }
    }

    #[test]
    fn a_valid_token_names_its_session_and_user() {
        let notice = check_logout_token_claims(&valid(), &expected());
        assert_eq!(
            notice,
            Ok(LogoutNotice {
                sub: Some("u-1".into()),
                sid: Some("s-1".into())
            })
        );
        let mut listed = valid();
        listed.insert("aud".into(), json!(["other", "gw"]));
        assert!(check_logout_token_claims(&listed, &expected()).is_ok());
    }

    #[test]
    fn each_rule_of_the_spec_refuses_its_violation() {
        let cases: Vec<(&str, Option<Value>)> = vec![
            ("iss", Some(json!("https://evil.example"))),
            ("aud", Some(json!("another-client"))),
            ("aud", None),
            ("iat", Some(json!(NOW - 3600))),
            ("iat", Some(json!(NOW + 3600))),
            ("exp", Some(json!(NOW - 3600))),
            ("exp", None),
            ("jti", None),
            (
                "events",
                Some(json!({"http://schemas.openid.net/event/other": {}})),
            ),
            ("events", Some(json!({BACKCHANNEL_LOGOUT_EVENT: "yes"}))),
            ("nonce", Some(json!("n-1"))),
        ];
        for (claim, value) in cases {
            let mut claims = valid();
            match &value {
                Some(v) => claims.insert(claim.into(), v.clone()),
                None => claims.remove(claim),
            };
            assert!(
                check_logout_token_claims(&claims, &expected()).is_err(),
                "{claim} = {value:?} was accepted"
            );
        }
        let mut anonymous = valid();
        anonymous.remove("sub");
        anonymous.remove("sid");
        assert!(check_logout_token_claims(&anonymous, &expected()).is_err());
        let id_token_typed = ExpectedLogout {
            typ: Some("JWT"),
            ..expected()
        };
        assert!(check_logout_token_claims(&valid(), &id_token_typed).is_err());
    }
}
