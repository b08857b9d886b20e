"""pysaml2 as a service provider of Sigil's SAML identity provider: sign-in, and single logout.

    sp.py metadata WORK                      writes the SP's metadata to WORK/sp.xml
    sp.py sso WORK BASE USER PASS            signs USER in through Sigil and checks what
                                             pysaml2 accepts
    sp.py sso-encrypted WORK BASE USER PASS  the same once the SP is registered with
                                             encrypted assertions: pysaml2 decrypts them

The browser is urllib with a cookie jar, filling in Sigil's real sign-in form; the SP never
listens: the response Sigil's page would post to the ACS is handed to pysaml2 directly, which
checks the signatures (xmlsec1), audience, recipient, InResponseTo and validity window.
"""

import base64
import html
import logging
import http.cookiejar
import re
import sys
import urllib.parse
import urllib.request

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NAMEID_FORMAT_PERSISTENT
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA1, SIG_RSA_SHA256

SP = "https://sp.example.test/metadata"
ACS = "https://sp.example.test/acs"
SLO = "https://sp.example.test/slo"


def make_key(work, name="sp"):
    """An RSA key and self-signed certificate in WORK/{name}.key and .crt (the SP signs its
    logout requests with it; idp.py's IdP its responses)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"pysaml2 test {name}")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    with open(f"{work}/{name}.key", "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    with open(f"{work}/{name}.crt", "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))


def config(work, idp_metadata=True, unsolicited=False, slo_binding=BINDING_HTTP_REDIRECT):
    c = {
        "entityid": SP,
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "key_file": f"{work}/sp.key",
        "cert_file": f"{work}/sp.crt",
        # Published as the encryption key too; pysaml2 decrypts assertions with it.
        "encryption_keypairs": [{"key_file": f"{work}/sp.key", "cert_file": f"{work}/sp.crt"}],
        "service": {
            "sp": {
                "endpoints": {
                    "assertion_consumer_service": [(ACS, BINDING_HTTP_POST)],
                    "single_logout_service": [(SLO, slo_binding)],
                },
                "logout_requests_signed": True,
                "allow_unsolicited": unsolicited,
                "authn_requests_signed": False,
                "want_assertions_signed": True,
                "want_response_signed": True,
                "name_id_format": [NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_EMAILADDRESS],
            }
        },
        "accepted_time_diff": 5,
        # Sigil's default attribute names (email, name, username, groups) are plain names,
        # not ones in pysaml2's attribute maps.
        "allow_unknown_attributes": True,
    }
    if idp_metadata:
        c["metadata"] = {"local": [f"{work}/idp.xml"]}
    conf = SPConfig()
    conf.load(c)
    return conf


class Browser:
    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, url):
        with self.opener.open(url) as res:
            return res.status, res.read().decode()

    def post(self, url, fields):
        data = urllib.parse.urlencode(fields).encode()
        req = urllib.request.Request(url, data=data, headers={"Origin": self.base})
        try:
            with self.opener.open(req) as res:
                return res.status, res.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def no_redirect_location(browser, request):
    """GETs `request` with the browser's cookies and returns where Sigil redirects."""
    opener = urllib.request.build_opener(
        *[h for h in browser.opener.handlers if isinstance(h, urllib.request.HTTPCookieProcessor)],
        _NoRedirect(),
    )
    try:
        opener.open(request)
    except urllib.error.HTTPError as e:
        if e.code in (302, 303):
            return e.headers["Location"]
        raise AssertionError(f"{e.code}: {e.read().decode()[-800:]}") from None
    raise AssertionError("no redirect")


def query_params(url):
    """The query parameters of a URL, one value each."""
    return {k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlparse(url).query).items()}


def sign_out_at_sigil(browser, base):
    """Submits the sign-out form of Sigil's account page: where Sigil sends the browser."""
    status, page = browser.get(f"{base}/account")
    action, fields = form(page, "/account/logout")
    request = urllib.request.Request(
        urllib.parse.urljoin(base, action),
        data=urllib.parse.urlencode(fields).encode(),
        headers={"Origin": base},
    )
    return no_redirect_location(browser, request)


def check_redirect_signature(work, location):
    """Verifies the HTTP-Redirect signature against the certificate in Sigil's metadata."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    query = urllib.parse.urlparse(location).query
    parts = dict(p.split("=", 1) for p in query.split("&"))
    assert urllib.parse.unquote(parts["SigAlg"]) == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    signed = "&".join(
        f"{k}={parts[k]}" for k in ("SAMLRequest", "SAMLResponse", "RelayState", "SigAlg") if k in parts
    )
    metadata = open(f"{work}/idp.xml").read()
    der = base64.b64decode(re.search(r"<ds:X509Certificate>([^<]+)<", metadata).group(1))
    key = x509.load_der_x509_certificate(der).public_key()
    key.verify(
        base64.b64decode(urllib.parse.unquote(parts["Signature"])),
        signed.encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )


def form(page, action_suffix):
    for m in re.finditer(r'<form[^>]*action="([^"]*)"[^>]*>(.*?)</form>', page, re.S):
        action = html.unescape(m.group(1))
        if action.endswith(action_suffix):
            fields = {
                html.unescape(n): html.unescape(v)
                for n, v in re.findall(r'<input[^>]*name="([^"]*)"[^>]*value="([^"]*)"', m.group(2))
            }
            return action, fields
    raise AssertionError(f"no form posting to *{action_suffix} in:\n{page[:2000]}")


def sign_in(browser, location, user, password):
    """Follows Sigil from the SSO URL through its sign-in form to the page that posts to the ACS."""
    status, page = browser.get(location)
    assert status == 200, page
    action, fields = form(page, "/login")
    fields.update({"username": user, "password": password})
    status, page = browser.post(urllib.parse.urljoin(browser.base, action), fields)
    assert status == 200, page
    action, fields = form(page, "/acs")
    assert action == ACS, action
    return fields


def sso(work, base, user, password):
    client = Saml2Client(config(work))
    idp = f"{base}/saml/metadata"
    req_id, info = client.prepare_for_authenticate(entityid=idp, binding=BINDING_HTTP_REDIRECT, relay_state="/after")
    location = dict(info["headers"])["Location"]
    browser = Browser(base)
    fields = sign_in(browser, location, user, password)
    assert fields.get("RelayState") == "/after", fields
    response = client.parse_authn_request_response(
        fields["SAMLResponse"], BINDING_HTTP_POST, outstanding={req_id: "/after"}
    )
    assert response is not None, "pysaml2 refused the response"
    assert response.assertion.signature is not None, "the assertion is signed"
    ava = response.get_identity()
    assert ava.get("email") == [f"{user}@example.com"], ava
    assert ava.get("username") == [user], ava
    assert "staff" in ava.get("groups", []), ava
    name_id = response.name_id
    assert name_id.format == NAMEID_FORMAT_PERSISTENT, name_id
    assert len(name_id.text) >= 40 and user not in name_id.text, name_id.text
    print(f"[saml] pysaml2 accepted the signed response for {user}: {sorted(ava)}", file=sys.stderr)

    # Signed in already: the next request is answered at once, with the same pairwise NameID.
    req_id2, info = client.prepare_for_authenticate(entityid=idp, binding=BINDING_HTTP_REDIRECT)
    status, page = browser.get(dict(info["headers"])["Location"])
    assert status == 200, page
    _, fields = form(page, "/acs")
    again = client.parse_authn_request_response(
        fields["SAMLResponse"], BINDING_HTTP_POST, outstanding={req_id2: "/"}
    )
    assert again.name_id.text == name_id.text, "persistent NameIDs are stable"

    # HTTP-POST, the request signed with an enveloped XML signature (RSA-SHA256): Sigil checks
    # it and answers at once (signed in already); the same request altered is refused.
    req_post, info = client.prepare_for_authenticate(
        entityid=idp, binding=BINDING_HTTP_POST, sign=True, sigalg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256
    )
    signed_request = html.unescape(re.search(r'name="SAMLRequest" value="([^"]+)"', info["data"]).group(1))
    assert b"<ds:Signature" in base64.b64decode(signed_request) or b":Signature" in base64.b64decode(signed_request)
    status, page = browser.post(f"{base}/saml/sso", {"SAMLRequest": signed_request})
    assert status == 200, page[-1500:]
    _, posted_fields = form(page, "/acs")
    posted = client.parse_authn_request_response(
        posted_fields["SAMLResponse"], BINDING_HTTP_POST, outstanding={req_post: "/"}
    )
    assert posted is not None and posted.name_id.text == name_id.text
    altered = base64.b64encode(
        base64.b64decode(signed_request).replace(b"AssertionConsumerServiceURL=", b'ForceAuthn="true" AssertionConsumerServiceURL=', 1)
    ).decode()
    assert altered != signed_request
    status, page = browser.post(f"{base}/saml/sso", {"SAMLRequest": altered})
    assert status == 400 and "digest" in page, (status, page[-800:])
    print("[saml] an XML-signed HTTP-POST AuthnRequest from pysaml2 is verified; altered, refused", file=sys.stderr)

    # A response cannot be used for another request, nor altered.
    for tampered, why in [
        (fields["SAMLResponse"], "replayed for another request"),
        (
            base64.b64encode(
                base64.b64decode(fields["SAMLResponse"]).replace(
                    f">{user}@example.com<".encode(), b">mallory@example.com<"
                )
            ).decode(),
            "altered",
        ),
    ]:
        try:
            bad = client.parse_authn_request_response(tampered, BINDING_HTTP_POST, outstanding={"other": "/"})
        except Exception:  # noqa: BLE001 - pysaml2 raises a variety of errors on refusal
            bad = None
        assert bad is None, f"pysaml2 accepted a response {why}"

    # IdP-initiated, from the SP's link: an unsolicited response, which only an SP that
    # accepts those takes.
    status, page = browser.get(f"{base}/saml/sp/pysaml2/login?RelayState=/home")
    _, fields = form(page, "/acs")
    assert fields.get("RelayState") == "/home", fields
    try:
        strict = client.parse_authn_request_response(fields["SAMLResponse"], BINDING_HTTP_POST, outstanding={})
    except Exception:  # noqa: BLE001
        strict = None
    assert strict is None, "an SP that wants only answers to its requests refuses it"
    lenient = Saml2Client(config(work, unsolicited=True))
    unsolicited = lenient.parse_authn_request_response(fields["SAMLResponse"], BINDING_HTTP_POST, outstanding={})
    assert unsolicited is not None and unsolicited.name_id.text == name_id.text
    print("[saml] IdP-initiated sign-in accepted by an SP that allows it", file=sys.stderr)

    # Single logout from the SP: its signed LogoutRequest ends the session at Sigil, and a
    # LogoutResponse signed over the query string comes back.
    # pysaml2 signs with RSA-SHA1 unless told otherwise: refused.
    out = client.global_logout(again.name_id, sign_alg=SIG_RSA_SHA1)
    (_, http_info), = out.values()
    try:
        no_redirect_location(browser, urllib.request.Request(dict(http_info["headers"])["Location"]))
        raise AssertionError("an RSA-SHA1 signature was accepted")
    except AssertionError as e:
        assert "RSA-SHA256" in str(e), e
    out = client.global_logout(again.name_id, sign_alg=SIG_RSA_SHA256)
    (binding, http_info), = out.values()
    assert binding == BINDING_HTTP_REDIRECT, binding
    request = urllib.request.Request(dict(http_info["headers"])["Location"])
    location = no_redirect_location(browser, request)
    assert location.startswith(SLO + "?"), location
    check_redirect_signature(work, location)
    logout = client.parse_logout_request_response(query_params(location)["SAMLResponse"], BINDING_HTTP_REDIRECT)
    assert logout.status_ok(), logout
    status, page = browser.get(f"{base}/account")
    assert "/login" in page or "Sign in" in page, "signed out of Sigil"
    print("[saml] single logout from the SP ended the session at Sigil", file=sys.stderr)

    # IsPassive without a session: a NoPassive status, not a sign-in page.
    fresh = Browser(base)
    req_id3, info = client.prepare_for_authenticate(entityid=idp, binding=BINDING_HTTP_REDIRECT, is_passive="true")
    status, page = fresh.get(dict(info["headers"])["Location"])
    _, fields = form(page, "/acs")
    xml = base64.b64decode(fields["SAMLResponse"]).decode()
    assert "status:NoPassive" in xml, xml
    print("[saml] IsPassive without a session answered NoPassive", file=sys.stderr)


def sso_encrypted(work, base, user, password):
    """Sign-in once Sigil encrypts this SP's assertions: what travels is an EncryptedAssertion
    (AES-256-GCM, the key wrapped with RSA-OAEP), and pysaml2 (xmlsec1) decrypts it to the
    signed assertion it checks."""
    client = Saml2Client(config(work))
    idp = f"{base}/saml/metadata"
    req_id, info = client.prepare_for_authenticate(entityid=idp, binding=BINDING_HTTP_REDIRECT)
    browser = Browser(base)
    fields = sign_in(browser, dict(info["headers"])["Location"], user, password)
    xml = base64.b64decode(fields["SAMLResponse"]).decode()
    assert "<saml:EncryptedAssertion" in xml and "xmlenc11#aes256-gcm" in xml, xml[:1500]
    assert "xmldsig-more#ecdsa-sha256" in xml, "signed with ECDSA, which the SP accepts"
    assert f"{user}@example.com" not in xml, "nothing readable outside the encryption"
    response = client.parse_authn_request_response(
        fields["SAMLResponse"], BINDING_HTTP_POST, outstanding={req_id: "/"}
    )
    assert response is not None, "pysaml2 refused the encrypted response"
    ava = response.get_identity()
    assert ava.get("email") == [f"{user}@example.com"], ava
    assert response.assertion.signature is not None, "the decrypted assertion is signed"
    print("[saml] pysaml2 decrypted Sigil's encrypted, ECDSA-signed assertion and accepted it", file=sys.stderr)
    sigil_started_logout(work, client, browser, base, response.name_id)


def sigil_started_logout(work, client, browser, base, name_id):
    """Signing out at Sigil's account page sends the browser to the SP's logout service with a
    LogoutRequest signed over the query string (checked here with the certificate of Sigil's
    metadata: pysaml2 as an SP does not check it); pysaml2 signs the person out and answers
    with a signed LogoutResponse; Sigil takes it and shows its signed-out page."""
    location = sign_out_at_sigil(browser, base)
    assert location.startswith(SLO + "?SAMLRequest="), location
    one = query_params(location)
    check_redirect_signature(work, location)
    request = client.parse_logout_request(
        one["SAMLRequest"], BINDING_HTTP_REDIRECT, relay_state=one["RelayState"],
        sigalg=one["SigAlg"], signature=one["Signature"],
    )
    assert request.message.name_id.text == name_id.text, request.message.name_id
    answer = client.handle_logout_request(
        one["SAMLRequest"], name_id, BINDING_HTTP_REDIRECT, sign=True, sign_alg=SIG_RSA_SHA256,
        relay_state=one["RelayState"], sigalg=one["SigAlg"], signature=one["Signature"],
    )
    back = dict(answer["headers"])["Location"]
    assert back.startswith(f"{base}/saml/slo?SAMLResponse="), back
    status, page = browser.get(back)
    assert status == 200 and "You have signed out" in page, page[-1500:]
    print("[saml] signing out at Sigil signed pysaml2's session out too (Sigil-started SLO)", file=sys.stderr)


def slo_post(work, base, user, password):
    """An SP whose only logout service takes HTTP-POST. Sigil-started: Sigil's page holds a
    form with its LogoutRequest, an enveloped signature pysaml2 (xmlsec1) verifies (and refuses
    once altered); pysaml2 answers with a signed LogoutResponse form, posted back to Sigil.
    SP-started: pysaml2's LogoutRequest ends the session, and Sigil's LogoutResponse comes back
    as a signed form pysaml2 accepts."""
    client = Saml2Client(config(work, slo_binding=BINDING_HTTP_POST))
    idp = f"{base}/saml/metadata"

    def signed_in(browser):
        req_id, info = client.prepare_for_authenticate(entityid=idp, binding=BINDING_HTTP_REDIRECT)
        location = dict(info["headers"])["Location"]
        status, page = browser.get(location)
        if 'action="/login' in page or "/login?" in page:
            fields = sign_in(browser, location, user, password)
        else:
            fields = form(page, "/acs")[1]
        response = client.parse_authn_request_response(
            fields["SAMLResponse"], BINDING_HTTP_POST, outstanding={req_id: "/"}
        )
        assert response is not None
        return response.name_id

    browser = Browser(base)
    name_id = signed_in(browser)
    location = sign_out_at_sigil(browser, base)
    assert location.startswith(f"{base}/saml/post/"), location
    status, page = browser.get(location)
    action, fields = form(page, "/slo")
    assert action == SLO, action
    assert "RelayState" in fields, fields
    xml = base64.b64decode(fields["SAMLRequest"]).decode()
    assert "<ds:Signature" in xml and "rsa-sha256" in xml, xml[:1500]
    altered = base64.b64encode(xml.replace(name_id.text, "someone-else").encode()).decode()
    try:
        client.parse_logout_request(altered, BINDING_HTTP_POST)
        raise AssertionError("pysaml2 accepted an altered LogoutRequest")
    except AssertionError:
        raise
    except Exception:  # noqa: BLE001
        pass
    request = client.parse_logout_request(fields["SAMLRequest"], BINDING_HTTP_POST)
    assert request.message.name_id.text == name_id.text, request.message.name_id
    answer = client.handle_logout_request(
        fields["SAMLRequest"], name_id, BINDING_HTTP_POST, sign=True, sign_alg=SIG_RSA_SHA256,
        relay_state=fields["RelayState"],
    )
    action, back = form(answer["data"], "/saml/slo")
    assert action == f"{base}/saml/slo", action
    # Cross-site: the post back carries no cookie of Sigil's.
    status, page = Browser(base).post(action, back)
    assert status == 200 and "You have signed out" in page, page[-1500:]
    print("[saml] Sigil-started SLO over HTTP-POST: pysaml2 verified the form and answered with one", file=sys.stderr)

    name_id = signed_in(browser)
    out = client.global_logout(name_id, sign=True, sign_alg=SIG_RSA_SHA256)
    (binding, http_info), = out.values()
    request = urllib.request.Request(dict(http_info["headers"])["Location"]) if binding == BINDING_HTTP_REDIRECT else None
    assert request is not None, binding
    location = no_redirect_location(browser, request)
    assert location.startswith(f"{base}/saml/post/"), location
    status, page = browser.get(location)
    action, fields = form(page, "/slo")
    logout = client.parse_logout_request_response(fields["SAMLResponse"], BINDING_HTTP_POST)
    assert logout is not None and logout.status_ok(), logout
    assert "<ds:Signature" in base64.b64decode(fields["SAMLResponse"]).decode()
    status, page = browser.get(f"{base}/account")
    assert "/login" in page or "Sign in" in page, "signed out of Sigil"
    print("[saml] SP-started SLO answered over HTTP-POST with a signed LogoutResponse pysaml2 accepts", file=sys.stderr)


def legacy(work, base, user, password):
    """Registered with --allow-legacy-algorithms: the RSA-SHA1 signature pysaml2 makes by
    default, refused before, is now accepted, for this SP only."""
    client = Saml2Client(config(work))
    idp = f"{base}/saml/metadata"
    req_id, info = client.prepare_for_authenticate(
        entityid=idp, binding=BINDING_HTTP_REDIRECT, sign=True, sigalg=SIG_RSA_SHA1
    )
    location = dict(info["headers"])["Location"]
    assert "SigAlg=http%3A%2F%2Fwww.w3.org%2F2000%2F09%2Fxmldsig%23rsa-sha1" in location, location
    fields = sign_in(Browser(base), location, user, password)
    response = client.parse_authn_request_response(
        fields["SAMLResponse"], BINDING_HTTP_POST, outstanding={req_id: "/"}
    )
    assert response is not None
    print("[saml] an RSA-SHA1-signed request is accepted from the SP allowed legacy algorithms", file=sys.stderr)


def main():
    # pysaml2 logs every refusal with a traceback; the refusals here are expected.
    logging.disable(logging.CRITICAL)
    mode, work = sys.argv[1], sys.argv[2]
    if mode == "metadata":
        make_key(work)
        with open(f"{work}/sp.xml", "w") as f:
            f.write(str(entity_descriptor(config(work, idp_metadata=False))))
    elif mode == "metadata-slo-post":
        with open(f"{work}/sp-slo-post.xml", "w") as f:
            f.write(str(entity_descriptor(config(work, idp_metadata=False, slo_binding=BINDING_HTTP_POST))))
    elif mode == "sso-encrypted":
        sso_encrypted(work, *sys.argv[3:6])
    elif mode == "slo-post":
        slo_post(work, *sys.argv[3:6])
    elif mode == "legacy":
        legacy(work, *sys.argv[3:6])
    else:
        sso(work, *sys.argv[3:6])


if __name__ == "__main__":
    main()
