// Usage: node make-keys.mjs PRIVATE_JWK_FILE PUBLIC_JWKS_FILE
// An ES256 key pair for private_key_jwt: the private JWK for the tests, the public half as
// the JWK Set file registered with `sigil client create --jwks`.
import { writeFileSync } from 'node:fs';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';

const [privateFile, jwksFile] = process.argv.slice(2);
const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
const pub = await exportJWK(publicKey);
const kid = await calculateJwkThumbprint(pub);
const priv = await exportJWK(privateKey);
writeFileSync(privateFile, JSON.stringify({ ...priv, kid, alg: 'ES256' }), { mode: 0o600 });
writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...pub, kid, alg: 'ES256', use: 'sig' }] }));
