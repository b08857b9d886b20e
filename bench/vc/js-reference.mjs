// The JavaScript reference of Sigil's verifiable-credential benchmark (bench/vc/README.md).
//
// Measures, on one thread (run it pinned to one core: bench/vc/run.sh does), for SECONDS each
// after WARMUP seconds:
//   (a) issuance: verify one `openid4vci-proof+jwt` key proof (ES256, key in the `jwk` header,
//       typ, aud, iat, nonce), then build and sign one disclosure-rich SD-JWT VC bound to that
//       key: iss, vct, iat, nbf, exp, cnf.jwk, status.status_list {idx, uri} visible; 10
//       selectively disclosable claims; 2 decoy digests; sha-256; the compact SD-JWT with
//       every disclosure;
//   (b) verification: one presentation of such a credential disclosing 2 claims (name, email)
//       with a KB-JWT: issuer signature, typ, iss, vct, exp/nbf, disclosure digests, KB-JWT
//       signed by cnf.jwk, typ kb+jwt, aud, nonce, iat window, sd_hash, status (in memory),
//       the 2 claims asked for;
//   (c) the raw cost: ES256 signatures and verifications per second with node:crypto (and, for
//       the record, with WebCrypto, which @sd-jwt/crypto-nodejs and jose use).
//
// (a) and (b) run twice with @sd-jwt/sd-jwt-vc 0.19.0 doing the SD-JWT work:
//   - "library": its own sibling @sd-jwt/crypto-nodejs for signing and verifying (WebCrypto),
//     and jose for the key proof — what a JavaScript issuer/verifier would write;
//   - "node_crypto": the same library with signer/verifier callbacks on synchronous
//     node:crypto KeyObjects (the fastest ES256 Node offers), and the key proof checked by
//     hand with node:crypto.
// The reference figure is the faster of the two (reference_*_per_s).
//
// Prints one JSON line. Env: SECONDS (4), WARMUP (1), POOL (64 pre-made proofs/presentations).
// Nine measurements: SECONDS=4 WARMUP=1 take ≈ 47 s.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { ES256, digest } from '@sd-jwt/crypto-nodejs';
import * as jose from 'jose';

const SECONDS = Number(process.env.SECONDS ?? 4);
const WARMUP = Number(process.env.WARMUP ?? 1);
const POOL = Number(process.env.POOL ?? 64);

const ISSUER = 'http://127.0.0.1:8080';
const VCT = `${ISSUER}/vct/employee`;
const STATUS_URI = `${ISSUER}/vci/status-lists/0f6c2a0e-5b7d-4a39-9a4b-3e1f0c2d7b11`;
const STATUS_ENTRIES = 131072; // Sigil's list size, 2 bits an entry
const VERIFIER_AUD = 'x509_hash:Uvo3HtuIxuhC92rShpgqcT3YXwrqRxWEviRiA0OZszk'; // a verifier's client_id
const YEAR = 365 * 24 * 3600;
const SKEW = 60; // Sigil's clock skew for iat/nbf, seconds
const MAX_AGE = 300; // key proofs and KB-JWTs: five minutes (Sigil's defaults)
const PROOF_TYP = 'openid4vci-proof+jwt';
const SD_JWT_VC = 'dc+sd-jwt';

const DISCLOSABLE = [
  'name', 'email', 'groups', 'given_name', 'family_name',
  'department', 'title', 'employee_number', 'phone', 'locale',
];
const DISCLOSURE_FRAME = { _sd: DISCLOSABLE, _sd_decoy: 2 };
const USER = {
  name: 'Alice Example',
  email: 'alice@example.com',
  groups: ['staff', 'engineering', 'on-call'],
  given_name: 'Alice',
  family_name: 'Example',
  department: 'Platform Engineering',
  title: 'Senior Site Reliability Engineer',
  employee_number: 'E-0042137',
  phone: '+44 20 7946 0958',
  locale: 'en-GB',
};

const b64u = (s) => Buffer.from(s).toString('base64url');
const fromB64u = (s) => Buffer.from(s, 'base64url');
const now = () => Math.floor(Date.now() / 1000);
const publicMembers = ({ kty, crv, x, y }) => ({ kty, crv, x, y });

// RFC 9901 asks for 128-bit salts; @sd-jwt/crypto-nodejs's generateSalt(16) gives 16 hex
// characters (64 bits). Both sides use 16 random bytes, base64url (Sigil's random::identifier).
const saltGenerator = () => crypto.randomBytes(16).toString('base64url');

// --- keys ------------------------------------------------------------------------------------

const issuerKeys = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const issuerPrivateJwk = issuerKeys.privateKey.export({ format: 'jwk' });
const issuerPublicJwk = issuerKeys.publicKey.export({ format: 'jwk' });
const issuerKid = await jose.calculateJwkThumbprint(issuerPublicJwk);
// The fixed holder key every credential is bound to.
const holderKeys = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const holderPrivateJwk = holderKeys.privateKey.export({ format: 'jwk' });
const holderPublicJwk = publicMembers(holderKeys.publicKey.export({ format: 'jwk' }));

const P1363 = 'ieee-p1363';
const syncSigner = (key) => (data) =>
  crypto.sign('sha256', Buffer.from(data), { key, dsaEncoding: P1363 }).toString('base64url');
const syncVerify = (key, data, sig) =>
  crypto.verify('sha256', Buffer.from(data), { key, dsaEncoding: P1363 }, fromB64u(sig));

/** Signs a compact JWS synchronously (setup only: key proofs). */
function signJws(header, payload, key) {
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
  return `${input}.${syncSigner(key)(input)}`;
}

// --- the status list, as the verifier's store would hold it ----------------------------------

const statusBits = new Uint8Array(STATUS_ENTRIES / 4);
const statusOf = (idx) => (statusBits[idx >> 2] >> ((idx & 3) * 2)) & 3;
const setStatus = (idx, v) => {
  statusBits[idx >> 2] = (statusBits[idx >> 2] & ~(3 << ((idx & 3) * 2))) | (v << ((idx & 3) * 2));
};

/**
 * Sigil reads a presentation's status from its store; the library would fetch, verify (one
 * more ES256 verification) and inflate the issuer's status list token. To do the same work on
 * both sides the status is read from memory here.
 */
class SdJwtVcWithLocalStatus extends SDJwtVcInstance {
  async verifyStatus(result) {
    const ref = result.payload?.status?.status_list;
    if (!ref || !Number.isInteger(ref.idx) || ref.idx < 0 || ref.idx >= STATUS_ENTRIES) {
      throw new Error('no usable status_list entry');
    }
    if (ref.uri !== STATUS_URI) throw new Error('an unknown status list');
    if (statusOf(ref.idx) !== 0) throw new Error('the credential is revoked or suspended');
  }
}

// --- key proofs ------------------------------------------------------------------------------

function checkProofClaims(payload, expectedNonce) {
  const audOk = Array.isArray(payload.aud) ? payload.aud.includes(ISSUER) : payload.aud === ISSUER;
  if (!audOk) throw new Error('proof aud');
  const t = now();
  if (!Number.isInteger(payload.iat) || payload.iat > t + SKEW || payload.iat < t - MAX_AGE) {
    throw new Error('proof iat');
  }
  if (payload.nonce !== expectedNonce) throw new Error('proof nonce');
}

/** jose: what a JavaScript issuer would write. */
async function verifyProofJose(jwt, expectedNonce) {
  const { payload, protectedHeader } = await jose.jwtVerify(jwt, jose.EmbeddedJWK, {
    algorithms: ['ES256'],
    typ: PROOF_TYP,
  });
  if (protectedHeader.kid !== undefined) throw new Error('proof has both jwk and kid');
  checkProofClaims(payload, expectedNonce);
  return publicMembers(protectedHeader.jwk);
}

/** The same checks by hand on node:crypto (Sigil's verify_jwt_proof, step by step). */
function verifyProofNode(jwt, expectedNonce) {
  const parts = jwt.split('.');
  if (parts.length !== 3) throw new Error('proof is not a compact JWS');
  const header = JSON.parse(fromB64u(parts[0]).toString());
  if (header.alg !== 'ES256') throw new Error('proof alg');
  if (header.typ !== PROOF_TYP) throw new Error('proof typ');
  if (header.kid !== undefined) throw new Error('proof has both jwk and kid');
  const jwk = header.jwk;
  if (!jwk || typeof jwk !== 'object' || jwk.d !== undefined) throw new Error('proof jwk');
  const key = crypto.createPublicKey({ key: jwk, format: 'jwk' });
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails.namedCurve !== 'prime256v1') {
    throw new Error('proof key does not fit ES256');
  }
  if (!syncVerify(key, `${parts[0]}.${parts[1]}`, parts[2])) throw new Error('proof signature');
  checkProofClaims(JSON.parse(fromB64u(parts[1]).toString()), expectedNonce);
  return publicMembers(jwk);
}

// --- the two variants -------------------------------------------------------------------------

const common = { hasher: digest, hashAlg: 'sha-256', saltGenerator, signAlg: 'ES256' };

async function libraryVariant() {
  const issuerVerifier = await ES256.getVerifier(issuerPublicJwk); // the key is loaded once
  return {
    name: 'library',
    verifyProof: verifyProofJose,
    vc: new SdJwtVcWithLocalStatus({
      ...common,
      signer: await ES256.getSigner(issuerPrivateJwk),
      verifier: issuerVerifier,
      kbVerifier: async (data, sig, payload) => {
        const jwk = payload?.cnf?.jwk;
        if (!jwk) return false;
        return (await ES256.getVerifier(jwk))(data, sig); // cnf.jwk differs per credential
      },
    }),
  };
}

function nodeCryptoVariant() {
  return {
    name: 'node_crypto',
    verifyProof: verifyProofNode,
    vc: new SdJwtVcWithLocalStatus({
      ...common,
      signer: syncSigner(issuerKeys.privateKey),
      verifier: (data, sig) => syncVerify(issuerKeys.publicKey, data, sig),
      kbVerifier: (data, sig, payload) => {
        const jwk = payload?.cnf?.jwk;
        if (!jwk) return false;
        return syncVerify(crypto.createPublicKey({ key: jwk, format: 'jwk' }), data, sig);
      },
    }),
  };
}

/** (a) One credential: the key proof, then the SD-JWT VC bound to the key it proves. */
async function issueOne(variant, proof) {
  const holderJwk = await variant.verifyProof(proof.jwt, proof.nonce);
  const t = now();
  const payload = {
    iss: ISSUER,
    vct: VCT,
    iat: t,
    nbf: t,
    exp: t + YEAR,
    cnf: { jwk: holderJwk },
    status: { status_list: { idx: crypto.randomInt(STATUS_ENTRIES), uri: STATUS_URI } },
    ...USER,
  };
  return variant.vc.issue(payload, DISCLOSURE_FRAME, { header: { kid: issuerKid } });
}

/** (b) One presentation, with everything a verifier must check. */
async function verifyOne(variant, presentation) {
  const r = await variant.vc.verify(presentation.text, {
    keyBindingNonce: presentation.nonce, // KB-JWT: cnf key, typ, nonce, sd_hash (library)
    skewSeconds: SKEW, // exp, nbf, iat of the issuer-signed JWT (library)
  });
  if (r.header.typ !== SD_JWT_VC || r.header.alg !== 'ES256') throw new Error('typ/alg');
  if (r.payload.iss !== ISSUER) throw new Error('not an accepted issuer');
  if (r.payload.vct !== VCT) throw new Error('vct');
  const kb = r.kb?.payload;
  if (!kb) throw new Error('no key binding');
  const audOk = Array.isArray(kb.aud) ? kb.aud.includes(VERIFIER_AUD) : kb.aud === VERIFIER_AUD;
  if (!audOk) throw new Error('KB-JWT aud');
  const t = now();
  if (!Number.isInteger(kb.iat) || kb.iat > t + SKEW || kb.iat < t - MAX_AGE) throw new Error('KB-JWT iat');
  // RFC 9901 §7.1: a disclosure that no digest references, or one presented twice, rejects
  // the presentation. The library skips this check (it drops such disclosures); Sigil makes it,
  // so it is made here too: the presented disclosures' digests looked up in the signed _sd.
  const parts = presentation.text.split('~');
  const signed = new Set(JSON.parse(fromB64u(parts[0].split('.')[1]))._sd);
  const seen = new Set();
  for (let i = 1; i < parts.length - 1; i++) {
    const d = crypto.createHash('sha256').update(parts[i]).digest('base64url');
    if (!signed.has(d) || seen.has(d)) throw new Error('a disclosure no digest references');
    seen.add(d);
  }
  if (typeof r.payload.name !== 'string' || typeof r.payload.email !== 'string') {
    throw new Error('the claims asked for were not disclosed');
  }
  return r;
}

// --- fixtures --------------------------------------------------------------------------------

function makeProofs(n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const nonce = crypto.randomBytes(32).toString('base64url'); // a c_nonce
    const jwt = signJws(
      { alg: 'ES256', typ: PROOF_TYP, jwk: holderPublicJwk },
      { aud: ISSUER, iat: now(), nonce },
      holderKeys.privateKey,
    );
    out.push({ jwt, nonce });
  }
  return out;
}

const holder = new SDJwtVcInstance({
  hasher: digest,
  hashAlg: 'sha-256',
  kbSigner: syncSigner(holderKeys.privateKey),
  kbSignAlg: 'ES256',
});

async function present(credential, { aud = VERIFIER_AUD, nonce, frame = { name: true, email: true } } = {}) {
  nonce ??= crypto.randomBytes(16).toString('base64url');
  const text = await holder.present(credential, frame, { kb: { payload: { aud, nonce, iat: now() } } });
  return { text, nonce };
}

/** A holder's fresh KB-JWT over `hashed` (`<JWT>~<D>~…~`), for tests that alter disclosures. */
function rebind(hashed, nonce) {
  const sdHash = crypto.createHash('sha256').update(hashed).digest('base64url');
  const kb = signJws({ typ: 'kb+jwt', alg: 'ES256' }, { aud: VERIFIER_AUD, nonce, iat: now(), sd_hash: sdHash }, holderKeys.privateKey);
  return { text: hashed + kb, nonce };
}

// --- correctness first: the work measured must be the real work ------------------------------

async function expectReject(what, promise) {
  try {
    await promise;
  } catch {
    return;
  }
  throw new Error(`self-test: ${what} was accepted`);
}

async function selfTest(variants) {
  const proofs = makeProofs(4);
  for (const issuing of variants) {
    const credential = await issueOne(issuing, proofs[0]);
    const parts = credential.split('~');
    const [h, p] = parts[0].split('.').slice(0, 2).map((s) => JSON.parse(fromB64u(s)));
    if (h.typ !== SD_JWT_VC || h.alg !== 'ES256' || h.kid !== issuerKid) throw new Error('self-test: header');
    if (p._sd.length !== DISCLOSABLE.length + 2 || p._sd_alg !== 'sha-256') throw new Error('self-test: digests');
    if ([...p._sd].sort().join() !== p._sd.join()) throw new Error('self-test: _sd not sorted');
    const disclosures = parts.slice(1, -1);
    if (disclosures.length !== DISCLOSABLE.length || parts.at(-1) !== '') throw new Error('self-test: disclosures');
    for (const d of disclosures) {
      const [salt, name] = JSON.parse(fromB64u(d));
      if (fromB64u(salt).length !== 16 || !DISCLOSABLE.includes(name)) throw new Error('self-test: disclosure');
      if (!p._sd.includes(crypto.createHash('sha256').update(d).digest('base64url'))) throw new Error('self-test: digest');
    }
    for (const name of ['iss', 'vct', 'iat', 'nbf', 'exp', 'cnf', 'status']) {
      if (p[name] === undefined) throw new Error(`self-test: ${name} not visible`);
    }
    if (JSON.stringify(p.cnf.jwk) !== JSON.stringify(holderPublicJwk)) throw new Error('self-test: cnf');
    await expectReject('a replayed proof nonce', issueOne(issuing, { jwt: proofs[1].jwt, nonce: proofs[2].nonce }));

    for (const verifying of variants) {
      const ok = await present(credential);
      const r = await verifyOne(verifying, ok);
      if (r.payload.name !== USER.name || r.payload.email !== USER.email || r.payload.groups !== undefined) {
        throw new Error('self-test: disclosed claims');
      }
      await expectReject('another nonce', verifyOne(verifying, { text: ok.text, nonce: 'another' }));
      await expectReject('another audience', verifyOne(verifying, await present(credential, { aud: 'x509_hash:other' })));
      await expectReject('no requested claims', verifyOne(verifying, await present(credential, { frame: { title: true } })));
      const [jwt, d1, d2, kbJwt] = ok.text.split('~');
      const forged = b64u(JSON.stringify([saltGenerator(), 'title', 'CEO']));
      await expectReject('a forged disclosure (KB-JWT over it)', verifyOne(verifying, rebind(`${jwt}~${d1}~${d2}~${forged}~`, ok.nonce)));
      await expectReject('a disclosure twice (KB-JWT over it)', verifyOne(verifying, rebind(`${jwt}~${d1}~${d2}~${d2}~`, ok.nonce)));
      await verifyOne(verifying, rebind(`${jwt}~${d1}~${d2}~`, ok.nonce)); // rebind itself is sound
      await expectReject('a forged disclosure', verifyOne(verifying, { text: [jwt, forged, d2, kbJwt].join('~'), nonce: ok.nonce }));
      await expectReject('a dropped disclosure (sd_hash)', verifyOne(verifying, { text: [jwt, d1, kbJwt].join('~'), nonce: ok.nonce }));
      const [kh, kp] = kbJwt.split('.');
      const otherKey = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      await expectReject('a KB-JWT by another key', verifyOne(verifying, {
        text: `${jwt}~${d1}~${d2}~${kh}.${kp}.${syncSigner(otherKey)(`${kh}.${kp}`)}`, nonce: ok.nonce,
      }));
      const [ih, ip] = jwt.split('.');
      await expectReject('an issuer JWT by another key', verifyOne(verifying, {
        text: `${ih}.${ip}.${syncSigner(otherKey)(`${ih}.${ip}`)}~${d1}~${d2}~${kbJwt}`, nonce: ok.nonce,
      }));
      setStatus(p.status.status_list.idx, 1);
      await expectReject('a revoked credential', verifyOne(verifying, ok));
      setStatus(p.status.status_list.idx, 0);
    }
  }
}

// --- measuring -------------------------------------------------------------------------------

/** Runs `op(i)` back to back (awaiting each) for WARMUP, then SECONDS; ops/s and CPU share. */
async function measure(op) {
  let i = 0;
  let end = performance.now() + WARMUP * 1000;
  while (performance.now() < end) await op(i++);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  end = t0 + SECONDS * 1000;
  let n = 0;
  while (performance.now() < end) {
    for (let k = 0; k < 16; k++) await op(n++);
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { per_s: Math.round(n / wall), cpu: Math.round(((cpu.user + cpu.system) / 1e6 / wall) * 100) / 100 };
}

/** The same for a synchronous operation, without the await (as sigil-bench crypto does). */
function measureSync(op) {
  let end = performance.now() + WARMUP * 1000;
  while (performance.now() < end) op();
  const t0 = performance.now();
  end = t0 + SECONDS * 1000;
  let n = 0;
  while (performance.now() < end) {
    for (let k = 0; k < 32; k++) op();
    n += 32;
  }
  return Math.round(n / ((performance.now() - t0) / 1000));
}

const variants = [await libraryVariant(), nodeCryptoVariant()];
await selfTest(variants);

const proofs = makeProofs(POOL);
const presentations = [];
for (let i = 0; i < POOL; i++) presentations.push(await present(await issueOne(variants[1], makeProofs(1)[0])));
const sampleCredential = await issueOne(variants[1], makeProofs(1)[0]);

const results = {};
const cpu = {};
for (const v of variants) {
  const issued = await measure((i) => issueOne(v, proofs[i % POOL]));
  const verified = await measure((i) => verifyOne(v, presentations[i % POOL]));
  results[`issuance_${v.name}_per_s`] = issued.per_s;
  results[`verification_${v.name}_per_s`] = verified.per_s;
  cpu[`issuance_${v.name}`] = issued.cpu;
  cpu[`verification_${v.name}`] = verified.cpu;
}

// (c) The bare signature over the same short input sigil-bench crypto signs.
const RAW = Buffer.from('eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0');
const rawSig = crypto.sign('sha256', RAW, { key: issuerKeys.privateKey, dsaEncoding: P1363 });
const es256Sign = measureSync(() => crypto.sign('sha256', RAW, { key: issuerKeys.privateKey, dsaEncoding: P1363 }));
const es256Verify = measureSync(() => {
  if (!crypto.verify('sha256', RAW, { key: issuerKeys.publicKey, dsaEncoding: P1363 }, rawSig)) throw new Error('raw verify');
});
// The key proof's and the KB-JWT's keys arrive as JWKs, a new one per credential: the verify
// with the key imported first, for the record (the ceilings use the bare verify above).
const rawPublicJwk = issuerPublicJwk;
const es256VerifyFreshKey = measureSync(() => {
  const key = crypto.createPublicKey({ key: rawPublicJwk, format: 'jwk' });
  if (!crypto.verify('sha256', RAW, { key, dsaEncoding: P1363 }, rawSig)) throw new Error('raw verify');
});
const subtle = globalThis.crypto.subtle;
const alg = { name: 'ECDSA', hash: 'SHA-256' };
const cryptoKeys = {
  sign: await subtle.importKey('jwk', issuerPrivateJwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']),
  verify: await subtle.importKey('jwk', issuerPublicJwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']),
};
const webSign = await measure(() => subtle.sign(alg, cryptoKeys.sign, RAW));
const webVerify = await measure(async () => {
  if (!(await subtle.verify(alg, cryptoKeys.verify, rawSig, RAW))) throw new Error('webcrypto verify');
});

const here = path.dirname(fileURLToPath(import.meta.url));
const versionOf = (name) => {
  try {
    return JSON.parse(fs.readFileSync(path.join(here, 'node_modules', name, 'package.json'))).version;
  } catch {
    return null;
  }
};
const samplePresentation = presentations[0].text;
function cpusAllowed() {
  try {
    return /Cpus_allowed_list:\s*(\S+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

console.log(JSON.stringify({
  node: process.version,
  openssl: process.versions.openssl,
  cpu_model: os.cpus()[0]?.model,
  cpus_allowed: cpusAllowed(),
  seconds: SECONDS,
  warmup: WARMUP,
  packages: Object.fromEntries(
    ['@sd-jwt/sd-jwt-vc', '@sd-jwt/core', '@sd-jwt/crypto-nodejs', 'jose'].map((n) => [n, versionOf(n)]),
  ),
  reference_issuance_per_s: Math.max(results.issuance_library_per_s, results.issuance_node_crypto_per_s),
  reference_verification_per_s: Math.max(results.verification_library_per_s, results.verification_node_crypto_per_s),
  ...results,
  es256_sign_per_s: es256Sign,
  es256_verify_per_s: es256Verify,
  es256_verify_jwk_import_per_s: es256VerifyFreshKey,
  webcrypto_es256_sign_per_s: webSign.per_s,
  webcrypto_es256_verify_per_s: webVerify.per_s,
  // What the signatures alone allow with node:crypto: issuance is one verify (the proof) and one
  // sign; verification is two verifies (issuer, KB-JWT).
  issuance_signature_ceiling_per_s: Math.round(1 / (1 / es256Sign + 1 / es256Verify)),
  verification_signature_ceiling_per_s: Math.round(es256Verify / 2),
  cpu_share: { ...cpu, webcrypto_sign: webSign.cpu, webcrypto_verify: webVerify.cpu },
  credential_bytes: sampleCredential.length,
  presentation_bytes: samplePresentation.length,
  disclosures: DISCLOSABLE.length,
  decoys: 2,
}));
