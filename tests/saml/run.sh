#!/usr/bin/env bash
# SAML 2.0 against an independent peer, pysaml2 (PyPI, signatures made and checked with
# Debian's xmlsec1), both ways round.
# - Sigil's signed IdP metadata verified by xmlsec1.
# - pysaml2 as a service provider of Sigil's IdP, registered with `sigil saml sp import` from
#   its own metadata: SP-initiated sign-in over HTTP-Redirect through Sigil's real sign-in
#   page, the signed response accepted by pysaml2, a tampered or replayed one refused, its
#   XML-signed HTTP-POST request verified (and refused once altered),
#   IsPassive answered, single logout; then, registered with --encrypt-assertions, its
#   assertions encrypted (AES-256-GCM, RSA-OAEP) and decrypted by pysaml2; then, with a logout
#   service over HTTP-POST only, single logout both ways with signed forms; then, allowed
#   legacy algorithms, its RSA-SHA1 signature accepted.
# - python3-saml (OneLogin's toolkit, xmlsec binding) as a second SP: its signed
#   AuthnRequest and LogoutRequest, Sigil's signed response and LogoutResponse.
# - pysaml2 as an external identity provider of Sigil, added with `sigil idp add saml` from
#   its metadata: Sigil's signed AuthnRequest verified by pysaml2, its signed responses
#   accepted (an account created just in time), altered, SHA-1, unsigned, replayed and
#   unsolicited ones refused.
#
#   ./tests/saml/run.sh
#
# Needs `cargo build --bin sigil` first, python3 and curl; installs xmlsec1 with apt-get when
# missing (as root on Debian).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NAME=saml
. "$HERE/../lib.sh"

if ! command -v xmlsec1 >/dev/null && [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
  log "installing xmlsec1 with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends xmlsec1 >/dev/null \
    || { apt-get update -q -o DPkg::Lock::Timeout=300 >/dev/null; apt-get install -y -q --no-install-recommends xmlsec1 >/dev/null; }
fi
command -v xmlsec1 >/dev/null || { log "xmlsec1 is missing"; exit 1; }
require_venv

export SIGIL_LOG__FILTER="${SIGIL_LOG__FILTER:-warn}"
start_sigil

PASSWORD="correct horse battery staple"
printf '%s\n' "$PASSWORD" | sigil user create ada --password-stdin --email ada@example.com --email-verified --name "Ada Lovelace" >/dev/null
sigil group create staff >/dev/null
sigil group add-member staff ada >/dev/null

# Sigil's signed metadata, checked by xmlsec1 with the certificate the unsigned one publishes.
curl -fs "$BASE/saml/metadata?signed=true" -o "$WORK/idp-signed.xml"
curl -fs "$BASE/saml/metadata" | python3 -c '
import re, sys, textwrap
cert = re.search(r"<ds:X509Certificate>([^<]+)<", sys.stdin.read()).group(1)
print("-----BEGIN CERTIFICATE-----\n" + "\n".join(textwrap.wrap(cert, 64)) + "\n-----END CERTIFICATE-----")
' > "$WORK/idp-cert.pem"
xmlsec1 --verify --id-attr:ID urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor \
  --pubkey-cert-pem "$WORK/idp-cert.pem" "$WORK/idp-signed.xml" 2>/dev/null \
  || { log "xmlsec1 does not verify Sigil's signed metadata"; exit 1; }
sed 's/HTTP-Redirect" Location="/HTTP-Redirect" Location="https:\/\/evil.example/' "$WORK/idp-signed.xml" > "$WORK/idp-tampered.xml"
if xmlsec1 --verify --id-attr:ID urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor \
  --pubkey-cert-pem "$WORK/idp-cert.pem" "$WORK/idp-tampered.xml" >/dev/null 2>&1; then
  log "xmlsec1 verified altered metadata"; exit 1
fi
log "xmlsec1 verified Sigil's signed metadata (and refused it altered)"

"$VENV/bin/python" "$HERE/sp.py" metadata "$WORK"
sigil saml sp import "$WORK/sp.xml" --name pysaml2 --json >/dev/null
curl -fs "$BASE/saml/metadata" -o "$WORK/idp.xml"
"$VENV/bin/python" "$HERE/sp.py" sso "$WORK" "$BASE" ada "$PASSWORD"
# Registered again: assertions encrypted, and (its metadata now naming ECDSA-SHA256 among the
# signature methods it accepts) responses signed with Sigil's P-256 key.
python3 - "$WORK/sp.xml" "$WORK/sp-ecdsa.xml" <<'PY'
import re, sys
xml = open(sys.argv[1]).read()
extension = ('<{0}:Extensions><alg:SigningMethod xmlns:alg="urn:oasis:names:tc:SAML:metadata:algsupport" '
             'Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"/></{0}:Extensions>')
xml = re.sub(r"(<(\w+):SPSSODescriptor[^>]*>)", lambda m: m.group(1) + extension.format(m.group(2)), xml, count=1)
open(sys.argv[2], "w").write(xml)
PY
sigil saml sp import "$WORK/sp-ecdsa.xml" --name pysaml2 --encrypt-assertions --json >/dev/null
"$VENV/bin/python" "$HERE/sp.py" sso-encrypted "$WORK" "$BASE" ada "$PASSWORD"
# Registered again with a logout service that takes HTTP-POST only.
"$VENV/bin/python" "$HERE/sp.py" metadata-slo-post "$WORK"
sigil saml sp import "$WORK/sp-slo-post.xml" --name pysaml2 --json >/dev/null
"$VENV/bin/python" "$HERE/sp.py" slo-post "$WORK" "$BASE" ada "$PASSWORD"
# Registered again with legacy algorithms allowed: its RSA-SHA1 signature is accepted.
sigil saml sp import "$WORK/sp.xml" --name pysaml2 --allow-legacy-algorithms --json >/dev/null
"$VENV/bin/python" "$HERE/sp.py" legacy "$WORK" "$BASE" ada "$PASSWORD"

# python3-saml as a second SP: signed requests, signed response and assertion, single logout.
"$VENV/bin/python" "$HERE/onelogin_sp.py" metadata "$WORK" "$BASE"
sigil saml sp import "$WORK/onelogin.xml" --name onelogin --json >/dev/null
"$VENV/bin/python" "$HERE/onelogin_sp.py" sso "$WORK" "$BASE" ada "$PASSWORD"

"$VENV/bin/python" "$HERE/idp.py" metadata "$WORK"
sigil idp add saml --name partner --metadata "$WORK/partner-idp.xml" --domain partner.test \
  --claim groups=eduPersonAffiliation --json >/dev/null
curl -fs "$BASE/saml/sp/partner/metadata" -o "$WORK/sigil-sp.xml"
"$VENV/bin/python" "$HERE/idp.py" sso "$WORK" "$BASE"
