//! Responses from external identity providers: python3-saml's signed test responses (checked
//! with `xmlsec1` when they were collected) verify and read as its test suite says, and a
//! corpus of classic attacks on Sigil's own signed responses is refused, each for its reason.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sigil_core::UnixTime;
use sigil_core::model::SigningAlg;
use sigil_keys::SigningKey;
use sigil_keys::x509::self_signed_certificate;
use sigil_saml::SamlError;
use sigil_saml::consume::{ConsumedAssertion, Expected, consume_response};
use sigil_saml::response::{AC_PASSWORD, Assertion, signed_response};
use sigil_saml::verify::Trust;

fn vector(name: &str) -> String {
    let path = format!(
        "{}/../../tests/vectors/saml/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

const PITBULK_IDP: &str = "https://pitbulk.no-ip.org/simplesaml/saml2/idp/metadata.php";
const PITBULK_ACS: &str = "https://pitbulk.no-ip.org/newonelogin/demo1/index.php?acs";
const PITBULK_SP: &str = "https://pitbulk.no-ip.org/newonelogin/demo1/metadata.php";
/// 2020-01-01, between the vectors' NotBefore and their NotOnOrAfter in 2993.
const VECTOR_NOW: i64 = 1_577_836_800;

fn vector_expected<'a>(request_id: &'a str, certs: &'a [String], legacy: bool) -> Expected<'a> {
    Expected {
        request_id,
        sp_entity_id: PITBULK_SP,
        acs_url: PITBULK_ACS,
        idp_entity_id: PITBULK_IDP,
        trust: Trust {
            certificates: certs,
            allow_legacy: legacy,
        },
        decryption_keys: &[],
        now: VECTOR_NOW,
    }
}

fn decoded_vector(name: &str) -> String {
    let bytes = STANDARD
        .decode(vector(&format!("{name}.xml.base64")).trim())
        .expect("base64");
    String::from_utf8(bytes).expect("utf-8")
}

fn attribute<'a>(consumed: &'a ConsumedAssertion, name: &str) -> &'a [String] {
    consumed
        .attributes
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_slice())
        .unwrap_or_default()
}

#[test]
fn python3_saml_signed_responses_verify_and_read_as_its_suite_says() {
    let certs = vec![vector("idp_x509cert_settings1.txt").trim().to_owned()];
    let xml = decoded_vector("signed_message_response");
    assert_eq!(xml, vector("signed_message_response.xml"));
    let request = "ONELOGIN_5d9e319c1b8a67da48227964c28d280e7860f804";
    let consumed =
        consume_response(&xml, &vector_expected(request, &certs, true)).expect("signed response");
    assert_eq!(
        consumed.name_id,
        "_b98f98bb1ab512ced653b58baaff543448daed535d"
    );
    assert_eq!(
        consumed.name_id_format.as_deref(),
        Some("urn:oasis:names:tc:SAML:2.0:nameid-format:transient")
    );
    assert_eq!(
        consumed.session_index.as_deref(),
        Some("_9fe0c8dcd3302e7364fcab22a52748ebf2224df0aa")
    );
    assert_eq!(attribute(&consumed, "mail"), ["test@example.com"]);
    assert_eq!(
        attribute(&consumed, "eduPersonAffiliation"),
        ["user", "admin"]
    );
    assert!(consumed.legacy_algorithm, "RSA-SHA1, allowed for this IdP");

    let xml = decoded_vector("signed_assertion_response");
    let request = "ONELOGIN_612bbf9b1645294aa0b4637b1bc5f39de8b79ceb";
    let consumed =
        consume_response(&xml, &vector_expected(request, &certs, true)).expect("signed assertion");
    assert_eq!(
        consumed.name_id,
        "_3af62f1d03513bdd61dd5bf04d3deb7aa617480e22"
    );
    assert_eq!(attribute(&consumed, "uid"), ["test"]);
}

#[test]
fn sha1_needs_the_partner_setting_and_tampering_and_wrapping_are_refused() {
    let certs = vec![vector("idp_x509cert_settings1.txt").trim().to_owned()];
    let xml = decoded_vector("signed_message_response");
    let request = "ONELOGIN_5d9e319c1b8a67da48227964c28d280e7860f804";
    let refused = consume_response(&xml, &vector_expected(request, &certs, false));
    assert!(
        matches!(&refused, Err(SamlError::Refused(why)) if why.contains("not accepted")),
        "{refused:?}"
    );
    let tampered = xml.replace("test@example.com", "admin@example.com");
    let refused = consume_response(&tampered, &vector_expected(request, &certs, true));
    assert!(
        matches!(&refused, Err(SamlError::Refused(why)) if why.contains("digest")),
        "{refused:?}"
    );
    let wrapped = decoded_vector("signature_wrapping_attack");
    for request in [request, "ONELOGIN_5d9e319c1b8a67da48227964c28d280e7860f804"] {
        assert!(consume_response(&wrapped, &vector_expected(request, &certs, true)).is_err());
    }
    let other_key = {
        let (key, _) = SigningKey::generate(SigningAlg::RS256).expect("key");
        let der = self_signed_certificate(&key, "other", &[], UnixTime(VECTOR_NOW), 1)
            .expect("certificate");
        vec![STANDARD.encode(der)]
    };
    assert!(consume_response(&xml, &vector_expected(request, &other_key, true)).is_err());
}

/// An IdP (Sigil's own response writer) and what a correct answer to `_request` looks like.
struct Idp {
    key: SigningKey,
    certs: Vec<String>,
    der: Vec<u8>,
}

const IDP: &str = "https://idp.example/metadata";
const SP: &str = "https://sigil.example/saml/sp/partner";
const ACS: &str = "https://sigil.example/saml/sp/partner/acs";
const NOW: i64 = 1_800_000_000;

impl Idp {
    fn new() -> Self {
        let (key, _) = SigningKey::generate(SigningAlg::RS256).expect("key");
        let der =
            self_signed_certificate(&key, "idp", &[], UnixTime(NOW), 30).expect("certificate");
        Idp {
            key,
            certs: vec![STANDARD.encode(&der)],
            der,
        }
    }

    fn response(&self, name_id: &str, in_response_to: &str, audience: &str) -> String {
        let attributes = [("mail".to_owned(), vec!["alice@partner.example".to_owned()])];
        let assertion = Assertion {
            issuer: IDP,
            destination: ACS,
            in_response_to: Some(in_response_to),
            audience,
            name_id: (name_id, sigil_saml::name_id::PERSISTENT),
            session_index: "_s1",
            authn_instant: NOW,
            authn_context: AC_PASSWORD,
            attributes: &attributes,
            now: NOW,
            encrypt_to: None,
        };
        signed_response(&assertion, &self.key, &self.der).expect("signed")
    }

    fn expected(&self, now: i64) -> Expected<'_> {
        Expected {
            request_id: "_request",
            sp_entity_id: SP,
            acs_url: ACS,
            idp_entity_id: IDP,
            trust: Trust {
                certificates: &self.certs,
                allow_legacy: false,
            },
            decryption_keys: &[],
            now,
        }
    }

    fn consume(&self, xml: &str) -> Result<ConsumedAssertion, SamlError> {
        consume_response(xml, &self.expected(NOW))
    }
}

/// The `<saml:Assertion …>…</saml:Assertion>` of a response.
fn assertion_of(xml: &str) -> &str {
    let start = xml.find("<saml:Assertion").expect("assertion");
    let end = xml.find("</saml:Assertion>").expect("end") + "</saml:Assertion>".len();
    &xml[start..end]
}

/// The response less its own signature (the assertion keeps its one).
fn without_response_signature(xml: &str) -> String {
    let assertion_at = xml.find("<saml:Assertion").expect("assertion");
    let start = xml.find("<ds:Signature").expect("signature");
    assert!(start < assertion_at, "the response's signature comes first");
    let end = xml.find("</ds:Signature>").expect("end") + "</ds:Signature>".len();
    format!("{}{}", &xml[..start], &xml[end..])
}

fn refused_because(result: Result<ConsumedAssertion, SamlError>, because: &str) {
    match result {
        Err(SamlError::Refused(why) | SamlError::Malformed(why)) => {
            assert!(
                why.contains(because),
                "refused for {why:?}, not {because:?}"
            )
        }
        Ok(consumed) => panic!("accepted {consumed:?}; wanted refused for {because:?}"),
    }
}

#[test]
fn a_correct_response_signed_both_ways_or_only_at_the_assertion_is_accepted() {
    let idp = Idp::new();
    let xml = idp.response("alice-at-partner", "_request", SP);
    let consumed = idp.consume(&xml).expect("accepted");
    assert_eq!(consumed.name_id, "alice-at-partner");
    assert_eq!(consumed.not_on_or_after, NOW + 300);
    assert_eq!(consumed.authn_context.as_deref(), Some(AC_PASSWORD));
    assert!(!consumed.legacy_algorithm);
    let consumed = idp
        .consume(&without_response_signature(&xml))
        .expect("a signed assertion in an unsigned response");
    assert_eq!(consumed.name_id, "alice-at-partner");
}

#[test]
fn signature_wrapping_is_refused() {
    let idp = Idp::new();
    let xml = without_response_signature(&idp.response("alice", "_request", SP));
    let genuine = assertion_of(&xml).to_owned();
    // XSW: an evil assertion where the consumer reads, the signed one tucked away elsewhere.
    let evil = genuine
        .replace(">alice<", ">admin<")
        .replacen(" ID=\"", " ID=\"evil", 1);
    let evil_unsigned = {
        let start = evil.find("<ds:Signature").expect("sig");
        let end = evil.find("</ds:Signature>").expect("end") + "</ds:Signature>".len();
        format!("{}{}", &evil[..start], &evil[end..])
    };
    let tucked = xml.replace(
        &genuine,
        &format!(
            "{evil_unsigned}<samlp:Extensions xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\">{genuine}</samlp:Extensions>"
        ),
    );
    refused_because(idp.consume(&tucked), "signed");
    // The evil assertion carries the genuine signature (its Reference names the other ID).
    let borrowed = xml.replace(&genuine, &evil);
    refused_because(idp.consume(&borrowed), "Reference is not the element");
    // The evil assertion takes the genuine one's ID: two elements with one ID.
    let same_id = xml.replace(
        &genuine,
        &format!(
            "{}<samlp:Extensions xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\">{genuine}</samlp:Extensions>",
            genuine.replace(">alice<", ">admin<")
        ),
    );
    refused_because(idp.consume(&same_id), "share one ID");
    // Two assertions side by side.
    let two = xml.replace(&genuine, &format!("{genuine}{evil_unsigned}"));
    refused_because(idp.consume(&two), "exactly one assertion");
    // The genuine assertion changed in place.
    refused_because(idp.consume(&xml.replace(">alice<", ">admin<")), "digest");
}

#[test]
fn comment_truncation_unsigned_and_misdirected_responses_are_refused() {
    let idp = Idp::new();
    let xml = idp.response("admin@evil.example.com", "_request", SP);
    let commented = xml.replace(
        ">admin@evil.example.com<",
        ">admin@evil.example<!---->.com<",
    );
    refused_because(idp.consume(&commented), "comments");
    let unsigned = {
        let once = without_response_signature(&xml);
        let start = once.find("<ds:Signature").expect("sig");
        let end = once.find("</ds:Signature>").expect("end") + "</ds:Signature>".len();
        format!("{}{}", &once[..start], &once[end..])
    };
    refused_because(
        idp.consume(&unsigned),
        "neither the response nor its assertion",
    );
    // A genuine response to another request, to another SP, or too late or too early.
    refused_because(
        idp.consume(&idp.response("a", "_other_request", SP)),
        "does not answer the request",
    );
    refused_because(
        idp.consume(&idp.response("a", "_request", "https://other-sp.example")),
        "Audience",
    );
    refused_because(
        consume_response(&xml, &idp.expected(NOW + 300 + 61)),
        "expired",
    );
    refused_because(
        consume_response(&xml, &idp.expected(NOW - 30 - 61)),
        "not valid yet",
    );
    // Signed by someone else.
    let stranger = Idp::new();
    refused_because(
        stranger.consume(&xml),
        "does not verify with the partner's certificates",
    );
    let to_other_acs = Expected {
        acs_url: "https://sigil.example/saml/sp/other/acs",
        ..idp.expected(NOW)
    };
    refused_because(consume_response(&xml, &to_other_acs), "Destination");
    let doctype = format!("<!DOCTYPE r [<!ENTITY x \"y\">]>{xml}");
    assert!(idp.consume(&doctype).is_err(), "no DTDs");
}

#[test]
fn an_error_status_is_reported_with_its_code() {
    let idp = Idp::new();
    let xml = without_response_signature(&idp.response("a", "_request", SP)).replace(
        "urn:oasis:names:tc:SAML:2.0:status:Success",
        "urn:oasis:names:tc:SAML:2.0:status:Responder",
    );
    refused_because(idp.consume(&xml), "status:Responder");
}

/// One IdP and one response of it for the property below (a key takes a while to make).
static SIGNED: std::sync::LazyLock<(Idp, String)> = std::sync::LazyLock::new(|| {
    let idp = Idp::new();
    let xml = idp.response("alice", "_request", SP);
    (idp, xml)
});

fn mangle(base: &str, at: usize, cut: usize, insert: &str) -> String {
    let chars: Vec<char> = base.chars().collect();
    let at = at % (chars.len() + 1);
    let end = (at + cut).min(chars.len());
    chars[..at]
        .iter()
        .chain(insert.chars().collect::<Vec<_>>().iter())
        .chain(chars[end..].iter())
        .collect()
}

proptest::proptest! {
    /// Whatever is changed in a signed response, it is refused, or it still says exactly what
    /// the IdP signed (and nothing panics).
    #[test]
    fn a_mangled_response_is_refused_or_says_what_was_signed(
        at in 0usize..6000,
        cut in 0usize..24,
        insert in ".{0,8}",
    ) {
        let (idp, xml) = &*SIGNED;
        let original = idp.consume(xml).expect("the unmangled response");
        if let Ok(consumed) = idp.consume(&mangle(xml, at, cut, &insert)) {
            proptest::prop_assert_eq!(consumed.name_id, original.name_id);
            proptest::prop_assert_eq!(consumed.attributes, original.attributes);
            proptest::prop_assert_eq!(consumed.id, original.id);
        }
    }
}

/// Sigil's SP keys (an RSA key and its certificate, base64 DER), as it decrypts with them.
fn sp_key() -> (aws_lc_rs::rsa::PrivateDecryptingKey, String) {
    let (key, pkcs8) = SigningKey::generate(SigningAlg::RS256).expect("key");
    let der = self_signed_certificate(&key, "sp", &[], UnixTime(NOW), 30).expect("certificate");
    let decrypting = aws_lc_rs::rsa::PrivateDecryptingKey::from_pkcs8(&pkcs8).expect("RSA key");
    (decrypting, STANDARD.encode(der))
}

#[test]
fn an_assertion_encrypted_to_a_key_sigil_rotated_away_from_still_opens() {
    let idp = Idp::new();
    let (old, old_certificate) = sp_key();
    let (current, _) = sp_key();
    let attributes = [("mail".to_owned(), vec!["alice@partner.example".to_owned()])];
    let assertion = Assertion {
        issuer: IDP,
        destination: ACS,
        in_response_to: Some("_request"),
        audience: SP,
        name_id: ("alice", sigil_saml::name_id::PERSISTENT),
        session_index: "_s1",
        authn_instant: NOW,
        authn_context: AC_PASSWORD,
        attributes: &attributes,
        now: NOW,
        encrypt_to: Some(&old_certificate),
    };
    let xml = signed_response(&assertion, &idp.key, &idp.der).expect("signed");
    assert!(xml.contains("<saml:EncryptedAssertion"));
    let with = |keys| Expected {
        decryption_keys: keys,
        ..idp.expected(NOW)
    };
    let both = [current, old];
    let consumed = consume_response(&xml, &with(&both)).expect("opened with the older key");
    assert_eq!(consumed.name_id, "alice");
    refused_because(consume_response(&xml, &with(&both[..1])), "decrypt");
    refused_because(
        consume_response(&xml, &with(&[])),
        "encrypted assertions are not accepted",
    );
}
