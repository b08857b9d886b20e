"""python3-saml (OneLogin's toolkit, signatures checked by the xmlsec binding) as a service
provider of Sigil's SAML identity provider.

    onelogin_sp.py metadata WORK BASE          writes the SP's metadata to WORK/onelogin.xml
    onelogin_sp.py sso WORK BASE USER PASS     signs USER in through Sigil, then out again

Its AuthnRequest and LogoutRequest are signed (RSA-SHA256) over the query string; it wants the
response and the assertion signed and checks both, with InResponseTo, audience, recipient and
the validity window. The browser is urllib with a cookie jar, filling in Sigil's real sign-in
form; the SP never listens: what Sigil's pages would send it is handed to python3-saml.
"""

import logging
import sys
import urllib.parse

from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.settings import OneLogin_Saml2_Settings

from sp import Browser, form, make_key, no_redirect_location, query_params

HOST = "onelogin.example.test"
SP = f"https://{HOST}/metadata"
ACS = f"https://{HOST}/acs"
SLO = f"https://{HOST}/slo"
SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"


def settings(work, base):
    key = open(f"{work}/onelogin.key").read()
    cert = open(f"{work}/onelogin.crt").read()
    config = {
        "strict": True,
        "sp": {
            "entityId": SP,
            "assertionConsumerService": {
                "url": ACS,
                "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
            },
            "singleLogoutService": {
                "url": SLO,
                "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
            },
            "NameIDFormat": "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
            "x509cert": cert,
            "privateKey": key,
        },
        "security": {
            "authnRequestsSigned": True,
            "logoutRequestSigned": True,
            "logoutResponseSigned": True,
            "wantMessagesSigned": True,
            "wantAssertionsSigned": True,
            "wantNameId": True,
            "requestedAuthnContext": False,
            "signatureAlgorithm": SHA256,
            "digestAlgorithm": "http://www.w3.org/2001/04/xmlenc#sha256",
        },
    }
    try:
        with open(f"{work}/idp.xml") as f:
            idp = OneLogin_Saml2_IdPMetadataParser.parse(f.read())
        security = dict(config["security"])
        config = OneLogin_Saml2_IdPMetadataParser.merge_settings(config, idp)
        # The IdP's metadata says it does not insist on signed requests; this SP signs anyway.
        config["security"].update(security)
    except FileNotFoundError:
        config["idp"] = {
            "entityId": f"{base}/saml/metadata",
            "singleSignOnService": {"url": f"{base}/saml/sso"},
            "x509cert": cert,
        }
    return config


def request_data(path, get=None, post=None):
    return {
        "https": "on",
        "http_host": HOST,
        "script_name": path,
        "get_data": get or {},
        "post_data": post or {},
    }


def sso(work, base, user, password):
    config = settings(work, base)
    auth = OneLogin_Saml2_Auth(request_data("/login"), config)
    location = auth.login(return_to="/after")
    request_id = auth.get_last_request_id()
    query = query_params(location)
    assert query["SigAlg"] == SHA256 and "Signature" in query, query

    browser = Browser(base)
    login = no_redirect_location(browser, location)
    status, page = browser.get(urllib.parse.urljoin(base, login))
    assert status == 200, page
    action, fields = form(page, "/login")
    fields.update({"username": user, "password": password})
    status, page = browser.post(urllib.parse.urljoin(base, action), fields)
    assert status == 200, page[-1500:]
    action, fields = form(page, "/acs")
    assert action == ACS, action

    auth = OneLogin_Saml2_Auth(request_data("/acs", post=fields), config)
    auth.process_response(request_id=request_id)
    assert not auth.get_errors(), (auth.get_errors(), auth.get_last_error_reason())
    assert auth.is_authenticated()
    attributes = auth.get_attributes()
    assert attributes.get("email") == [f"{user}@example.com"], attributes
    name_id, session_index = auth.get_nameid(), auth.get_session_index()
    print(f"[saml] python3-saml accepted Sigil's signed response for {user}", file=sys.stderr)

    # The same response once more, for another request: refused.
    again = OneLogin_Saml2_Auth(request_data("/acs", post=fields), config)
    again.process_response(request_id="ONELOGIN_other")
    assert again.get_errors(), "python3-saml accepted a response to another request"

    # Single logout from the SP: its signed LogoutRequest ends the session at Sigil, whose
    # signed LogoutResponse python3-saml checks.
    auth = OneLogin_Saml2_Auth(request_data("/logout"), config)
    location = auth.logout(name_id=name_id, session_index=session_index, name_id_format=auth.get_nameid_format())
    logout_id = auth.get_last_request_id()
    back = no_redirect_location(browser, location)
    assert back.startswith(SLO + "?SAMLResponse="), back
    get = query_params(back)
    auth = OneLogin_Saml2_Auth(request_data("/slo", get=get), config)
    auth.process_slo(request_id=logout_id, keep_local_session=True)
    assert not auth.get_errors(), (auth.get_errors(), auth.get_last_error_reason())
    status, page = browser.get(f"{base}/account")
    assert "Sign in" in page, "signed out of Sigil"
    print("[saml] python3-saml's signed logout ended the session; Sigil's answer verified", file=sys.stderr)


def main():
    logging.disable(logging.CRITICAL)
    mode, work, base = sys.argv[1], sys.argv[2], sys.argv[3]
    if mode == "metadata":
        make_key(work, "onelogin")
        metadata = OneLogin_Saml2_Settings(settings(work, base), sp_validation_only=True).get_sp_metadata()
        with open(f"{work}/onelogin.xml", "w") as f:
            f.write(metadata.decode() if isinstance(metadata, bytes) else metadata)
    else:
        sso(work, base, *sys.argv[4:6])


if __name__ == "__main__":
    main()
