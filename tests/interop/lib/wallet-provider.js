// A wallet provider for the tests: a CA (its PEM is what Sigil trusts) and an attester key
// with a certificate the CA issued (its x5c), made with @peculiar/x509 on WebCrypto. Wallet
// providers sign key attestations and wallet attestations with such a key.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as jose from 'jose';
import * as x509 from '@peculiar/x509';

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
x509.cryptoProvider.set(webcrypto);

/** `{caPem, attester: {privateKey, publicKey}, x5c}` for a provider called `name`. */
export async function walletProvider(name) {
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + 86_400_000);
  const caKeys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${name} CA`,
    notBefore,
    notAfter,
    signingAlgorithm: EC,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const attester = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: `CN=${name} attester`,
    issuer: ca.subject,
    notBefore,
    notAfter,
    signingAlgorithm: EC,
    publicKey: attester.publicKey,
    signingKey: caKeys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    ],
  });
  return { caPem: ca.toString('pem'), attester, x5c: [Buffer.from(leaf.rawData).toString('base64')] };
}

/** The provider as JSON (`{caPem, x5c, privateJwk}`), to hand to another process. */
export async function exportProvider(provider) {
  return { caPem: provider.caPem, x5c: provider.x5c, privateJwk: await jose.exportJWK(provider.attester.privateKey) };
}

/** A provider read back from `exportProvider`'s JSON. */
export async function importProvider(json) {
  return { caPem: json.caPem, x5c: json.x5c, attester: { privateKey: await jose.importJWK(json.privateJwk, 'ES256') } };
}
