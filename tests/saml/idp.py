"""pysaml2 as an external SAML identity provider that Sigil signs users in through (Sigil is
its service provider).

    idp.py metadata WORK   writes the IdP's key, certificate and metadata (WORK/partner-idp.xml)
    idp.py sso WORK BASE   signs a partner user in to Sigil through pysaml2, then checks what
                           Sigil must refuse

The browser is urllib with a cookie jar; the IdP never listens: Sigil's redirect to the IdP's
single sign-on URL is handed to pysaml2 directly, which checks the AuthnRequest's signature
against Sigil's SP metadata (WORK/sigil-sp.xml) and answers with a response that the browser
posts to Sigil's assertion consumer service, as the IdP's page would.
"""

import base64
import logging
import sys

from saml2 import BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.saml import AUTHN_PASSWORD_PROTECTED
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA1, DIGEST_SHA256, SIG_RSA_SHA1, SIG_RSA_SHA256

from sp import Browser, check_redirect_signature, make_key, no_redirect_location, query_params, sign_out_at_sigil

IDP = "https://idp.partner.test/metadata"
SSO = "https://idp.partner.test/sso"
SLO = "https://idp.partner.test/slo"
NAME_ID = "partner-7f3a9c"
IDENTITY = {
    "uid": ["ann"],
    "mail": ["ann@partner.test"],
    "displayName": ["Ann Partner"],
    "eduPersonAffiliation": ["staff", "member"],
}


def config(work, sp_metadata=True):
    c = {
        "entityid": IDP,
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "key_file": f"{work}/idp.key",
        "cert_file": f"{work}/idp.crt",
        "service": {
            "idp": {
                "endpoints": {
                    "single_sign_on_service": [(SSO, BINDING_HTTP_REDIRECT)],
                    "single_logout_service": [(SLO, BINDING_HTTP_REDIRECT)],
                },
                "want_authn_requests_signed": True,
                "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                "policy": {
                    "default": {
                        "lifetime": {"minutes": 5},
                        "attribute_restrictions": None,
                        "name_form": NAME_FORMAT_URI,
                    }
                },
            }
        },
        "accepted_time_diff": 5,
    }
    if sp_metadata:
        c["metadata"] = {"local": [f"{work}/sigil-sp.xml"]}
    conf = IdPConfig()
    conf.load(c)
    return conf


def start(idp, browser, base):
    """Starts a sign-in at Sigil and has pysaml2 read (and verify) the AuthnRequest."""
    location = no_redirect_location(browser, f"{base}/login/idp/partner?return_to=%2Faccount")
    assert location.startswith(SSO + "?"), location
    one = query_params(location)
    assert one["SigAlg"] == SIG_RSA_SHA256, one["SigAlg"]
    request = idp.parse_authn_request(
        one["SAMLRequest"],
        BINDING_HTTP_REDIRECT,
        relay_state=one["RelayState"],
        sigalg=one["SigAlg"],
        signature=one["Signature"],
    )
    try:
        idp.parse_authn_request(
            one["SAMLRequest"],
            BINDING_HTTP_REDIRECT,
            relay_state=one["RelayState"] + "x",
            sigalg=one["SigAlg"],
            signature=one["Signature"],
        )
        raise AssertionError("pysaml2 does not check the request's signature")
    except AssertionError:
        raise
    except Exception:  # noqa: BLE001 - pysaml2 raises a variety of errors on refusal
        pass
    return request.message, one["RelayState"]


def respond(idp, message, **options):
    """pysaml2's answer to `message`, base64 as the HTTP-POST binding carries it."""
    settings = {
        "sign_response": True,
        "sign_assertion": True,
        "sign_alg": SIG_RSA_SHA256,
        "digest_alg": DIGEST_SHA256,
    }
    settings.update(options)
    response = idp.create_authn_response(
        IDENTITY,
        in_response_to=message.id,
        destination=message.assertion_consumer_service_url,
        sp_entity_id=message.issuer.text,
        name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=NAME_ID),
        authn={"class_ref": AUTHN_PASSWORD_PROTECTED, "authn_auth": IDP},
        **settings,
    )
    return base64.b64encode(str(response).encode()).decode()


def post_to_acs(browser, acs, saml_response, relay_state):
    """Posts to the ACS and follows Sigil's redirects: the status and page it ends on."""
    return browser.post(acs, {"SAMLResponse": saml_response, "RelayState": relay_state})


def sign_out(idp, browser, base):
    """Signing out of Sigil sends a signed LogoutRequest for ann's NameID and session to the
    IdP; pysaml2 verifies it and answers with a LogoutResponse signed over the query string,
    which Sigil accepts (its signed-out page has no warning)."""
    location = sign_out_at_sigil(browser, base)
    assert location.startswith(SLO + "?"), location
    one = query_params(location)
    logout = idp.parse_logout_request(
        one["SAMLRequest"],
        BINDING_HTTP_REDIRECT,
        relay_state=one["RelayState"],
        sigalg=one["SigAlg"],
        signature=one["Signature"],
    )
    assert logout.message.name_id.text == NAME_ID, logout.message.name_id
    assert logout.message.session_index, "the IdP's session is named"
    response = idp.create_logout_response(logout.message, [BINDING_HTTP_REDIRECT])
    info = idp.apply_binding(
        BINDING_HTTP_REDIRECT,
        str(response),
        destination=f"{base}/saml/sp/partner/slo",
        relay_state=one["RelayState"],
        response=True,
        sign=True,
        sigalg=SIG_RSA_SHA256,
    )
    back = dict(info["headers"])["Location"]
    status, page = browser.get(back)
    assert status == 200 and "You have signed out" in page, page[-1500:]
    assert "did not confirm" not in page, "Sigil accepted pysaml2's signed LogoutResponse"
    status, page = browser.get(f"{base}/account")
    assert "Sign in" in page, "signed out of Sigil"
    print("[saml] signing out of Sigil signed out at pysaml2 too (single logout)", file=sys.stderr)


def idp_started_logout(work, idp, browser, base):
    """pysaml2 signs ann out: its LogoutRequest, signed over the query string, ends her session
    at Sigil, and Sigil's LogoutResponse, signed over the query string (checked with the
    certificate of Sigil's metadata), is one pysaml2 accepts."""
    sigil_sp = f"{base}/saml/sp/partner/metadata"
    sigil_slo = f"{base}/saml/sp/partner/slo"
    _, request = idp.create_logout_request(
        sigil_slo,
        sigil_sp,
        name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=NAME_ID),
        sign=False,
    )
    info = idp.apply_binding(
        BINDING_HTTP_REDIRECT,
        str(request),
        destination=sigil_slo,
        relay_state="after-logout",
        sign=True,
        sigalg=SIG_RSA_SHA256,
    )
    back = no_redirect_location(browser, dict(info["headers"])["Location"])
    assert back.startswith(SLO + "?SAMLResponse="), back
    check_redirect_signature(work, back)
    query = query_params(back)
    assert query.get("RelayState") == "after-logout", query
    response = idp.parse_logout_request_response(query["SAMLResponse"], BINDING_HTTP_REDIRECT)
    assert response is not None and response.status_ok(), response
    status, page = browser.get(f"{base}/account")
    assert "Sign in" in page, "signed out of Sigil"
    print("[saml] pysaml2 signed ann out of Sigil (IdP-started SLO)", file=sys.stderr)


def sso(work, base):
    idp = Server(config=config(work))
    acs = f"{base}/saml/sp/partner/acs"
    browser = Browser(base)

    message, relay = start(idp, browser, base)
    assert message.assertion_consumer_service_url == acs, message.assertion_consumer_service_url
    status, page = post_to_acs(browser, acs, respond(idp, message), relay)
    assert status == 200, page[-1500:]
    for expected in ["ann", "ann@partner.test"]:
        assert expected in page, f"{expected} on the account page:\n{page[-3000:]}"
    print("[saml] pysaml2 signed ann in to Sigil (account created just in time)", file=sys.stderr)

    sign_out(idp, browser, base)

    # The same response again: its request was answered already.
    status, _ = post_to_acs(browser, acs, respond(idp, message), relay)
    assert status == 400, status

    # Only the assertion signed: accepted, and the same account.
    again = Browser(base)
    message, relay = start(idp, again, base)
    status, page = post_to_acs(again, acs, respond(idp, message, sign_response=False), relay)
    assert status == 200 and "ann@partner.test" in page, page[-1500:]
    print("[saml] a response with only its assertion signed is accepted too", file=sys.stderr)
    idp_started_logout(work, idp, again, base)

    # Encrypted to Sigil (the encryption key in Sigil's SP metadata), AES-256-CBC: pysaml2's
    # default content cipher is Triple DES, which Sigil refuses, so it is told to use AES.
    import functools

    import saml2.entity
    import saml2.sigver

    saml2.entity.pre_encryption_part = functools.partial(
        saml2.sigver.pre_encryption_part, msg_enc="http://www.w3.org/2001/04/xmlenc#aes256-cbc"
    )
    encrypt_with = idp.sec.encrypt_assertion
    idp.sec.encrypt_assertion = lambda *args, **kwargs: encrypt_with(*args, **{**kwargs, "key_type": "aes-256"})
    sealed = Browser(base)
    message, relay = start(idp, sealed, base)
    encrypted = respond(idp, message, encrypt_assertion=True)
    xml = base64.b64decode(encrypted).decode()
    assert "EncryptedAssertion" in xml and "aes256-cbc" in xml and "ann@partner.test" not in xml, xml[:2000]
    status, page = post_to_acs(sealed, acs, encrypted, relay)
    assert status == 200 and "ann@partner.test" in page, page[-1500:]
    print("[saml] an assertion pysaml2 encrypted to Sigil (AES-256-CBC, RSA-OAEP) is decrypted", file=sys.stderr)

    # Refused: an altered response, one signed with SHA-1 (not allowed for this IdP), one with
    # nothing signed, and an unsolicited one (no request of Sigil's answered).
    # Each from the browser that started it, so only the response is to blame.
    refusals = []
    for why, options in [
        ("altered", {}),
        ("SHA-1", {"sign_alg": SIG_RSA_SHA1, "digest_alg": DIGEST_SHA1}),
        ("unsigned", {"sign_response": False, "sign_assertion": False}),
        ("unsolicited", {}),
    ]:
        browser = Browser(base)
        message, relay = start(idp, browser, base)
        if why == "unsolicited":
            message.id = "_not_sigils_request"
        saml_response = respond(idp, message, **options)
        if why == "altered":
            xml = base64.b64decode(saml_response).replace(b"Ann Partner", b"Eve Partner")
            saml_response = base64.b64encode(xml).decode()
        refusals.append((why, browser, saml_response, relay))
    for why, browser, saml_response, relay in refusals:
        status, page = post_to_acs(browser, acs, saml_response, relay)
        assert status == 400, f"an {why} response was accepted: {page[-1500:]}"
    print(f"[saml] refused: {', '.join(r[0] for r in refusals)}", file=sys.stderr)


def main():
    # pysaml2 logs every refusal with a traceback; the refusals here are expected.
    logging.disable(logging.CRITICAL)
    mode, work = sys.argv[1], sys.argv[2]
    if mode == "metadata":
        make_key(work, "idp")
        with open(f"{work}/partner-idp.xml", "w") as f:
            f.write(str(entity_descriptor(config(work, sp_metadata=False))))
    else:
        sso(work, sys.argv[3])


if __name__ == "__main__":
    main()
