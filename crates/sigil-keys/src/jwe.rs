//! Compact JWE with `ECDH-ES` key agreement on P-256 and `A128GCM`/`A256GCM` content
//! encryption (RFC 7516, RFC 7518 §4.6 and §5.3): how OpenID4VP wallets encrypt a
//! `direct_post.jwt` response to the verifier's key. Written here on aws-lc-rs (ECDH, SHA-256,
//! AES-GCM) because the JOSE crates that do JWE link OpenSSL, which the build must not need.

use aws_lc_rs::aead::{AES_128_GCM, AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::agreement::{ECDH_P256, PrivateKey, UnparsedPublicKey, agree};
use aws_lc_rs::digest::{SHA256, digest};
use aws_lc_rs::encoding::{AsBigEndian, EcPrivateKeyBin, EcPublicKeyUncompressedBin};
use serde_json::{Map, Value, json};
use sigil_core::{b64url_decode, b64url_encode};
use zeroize::Zeroizing;

use crate::KeyError;

/// Longest JWE accepted, bytes.
const MAX_LEN: usize = 512 * 1024;

/// A new P-256 private key, as its 32-byte big-endian scalar.
pub fn generate_p256_scalar() -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let key = PrivateKey::generate(&ECDH_P256).map_err(|_| KeyError::Crypto)?;
    let bin: EcPrivateKeyBin<'_> = key.as_be_bytes().map_err(|_| KeyError::Crypto)?;
    Ok(Zeroizing::new(bin.as_ref().to_vec()))
}

fn private(scalar: &[u8]) -> Result<PrivateKey, KeyError> {
    PrivateKey::from_private_key(&ECDH_P256, scalar)
        .map_err(|_| KeyError::Invalid("a P-256 scalar"))
}

fn public_point(key: &PrivateKey) -> Result<Vec<u8>, KeyError> {
    let public = key.compute_public_key().map_err(|_| KeyError::Crypto)?;
    let bin: EcPublicKeyUncompressedBin<'_> = public.as_be_bytes().map_err(|_| KeyError::Crypto)?;
    Ok(bin.as_ref().to_vec())
}

fn point_jwk(point: &[u8]) -> Map<String, Value> {
    let mut jwk = Map::new();
    jwk.insert("kty".into(), json!("EC"));
    jwk.insert("crv".into(), json!("P-256"));
    jwk.insert("x".into(), json!(b64url_encode(&point[1..33])));
    jwk.insert("y".into(), json!(b64url_encode(&point[33..65])));
    jwk
}

/// The public JWK of a P-256 private scalar.
pub fn p256_public_jwk(scalar: &[u8]) -> Result<Map<String, Value>, KeyError> {
    Ok(point_jwk(&public_point(&private(scalar)?)?))
}

fn jwk_point(jwk: &Value) -> Option<Vec<u8>> {
    if jwk.get("kty")? != "EC" || jwk.get("crv")? != "P-256" {
        return None;
    }
    let x = b64url_decode(jwk.get("x")?.as_str()?)?;
    let y = b64url_decode(jwk.get("y")?.as_str()?)?;
    (x.len() == 32 && y.len() == 32).then(|| [&[4u8][..], &x, &y].concat())
}

fn length_prefixed(out: &mut Vec<u8>, data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(data);
}

/// Concat KDF (NIST SP 800-56A, RFC 7518 §4.6.2) for direct key agreement: one SHA-256 round
/// is enough for keys up to 256 bits.
fn concat_kdf(z: &[u8], enc: &str, apu: &[u8], apv: &[u8], bits: u32) -> Zeroizing<Vec<u8>> {
    let mut input = Vec::with_capacity(4 + z.len() + 64);
    input.extend_from_slice(&1u32.to_be_bytes());
    input.extend_from_slice(z);
    length_prefixed(&mut input, enc.as_bytes());
    length_prefixed(&mut input, apu);
    length_prefixed(&mut input, apv);
    input.extend_from_slice(&bits.to_be_bytes());
    let out = digest(&SHA256, &input);
    Zeroizing::new(out.as_ref()[..(bits / 8) as usize].to_vec())
}

fn cipher(enc: &str, key: &[u8]) -> Result<LessSafeKey, KeyError> {
    let alg = match enc {
        "A128GCM" => &AES_128_GCM,
        "A256GCM" => &AES_256_GCM,
        _ => return Err(KeyError::Invalid("unsupported enc")),
    };
    Ok(LessSafeKey::new(
        UnboundKey::new(alg, key).map_err(|_| KeyError::Crypto)?,
    ))
}

fn key_bits(enc: &str) -> Result<u32, KeyError> {
    match enc {
        "A128GCM" => Ok(128),
        "A256GCM" => Ok(256),
        _ => Err(KeyError::Invalid("unsupported enc")),
    }
}

fn header_bytes(header: &Value, name: &str) -> Result<Vec<u8>, KeyError> {
    match header.get(name) {
        None => Ok(Vec::new()),
        Some(v) => v
            .as_str()
            .and_then(b64url_decode)
            .ok_or(KeyError::Invalid("apu/apv must be base64url")),
    }
}

/// Decrypts a compact `ECDH-ES` JWE addressed to the P-256 key `scalar`; returns the
/// protected header and the plaintext.
pub fn decrypt_ecdh_es(jwe: &str, scalar: &[u8]) -> Result<(Value, Zeroizing<Vec<u8>>), KeyError> {
    let bad = KeyError::Invalid;
    if jwe.len() > MAX_LEN {
        return Err(bad("the JWE is too large"));
    }
    let parts: Vec<&str> = jwe.split('.').collect();
    let [h, encrypted_key, iv, ciphertext, tag] = parts[..] else {
        return Err(bad("a compact JWE has five parts"));
    };
    let header: Value = b64url_decode(h)
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(bad("the JWE header is not JSON"))?;
    if header.get("alg").and_then(Value::as_str) != Some("ECDH-ES") || !encrypted_key.is_empty() {
        return Err(bad("only ECDH-ES direct key agreement is accepted"));
    }
    if header.get("zip").is_some() || header.get("crit").is_some() {
        return Err(bad("compressed or critical JWEs are not accepted"));
    }
    let enc = header
        .get("enc")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let bits = key_bits(enc)?;
    let epk = header
        .get("epk")
        .and_then(jwk_point)
        .ok_or(bad("the JWE has no P-256 epk"))?;
    let z = agree(
        &private(scalar)?,
        UnparsedPublicKey::new(&ECDH_P256, &epk),
        KeyError::Invalid("the epk is not on the curve"),
        |z| Ok(Zeroizing::new(z.to_vec())),
    )?;
    let cek = concat_kdf(
        &z,
        enc,
        &header_bytes(&header, "apu")?,
        &header_bytes(&header, "apv")?,
        bits,
    );
    let iv: [u8; 12] = b64url_decode(iv)
        .and_then(|v| v.try_into().ok())
        .ok_or(bad("the IV must be 96 bits"))?;
    let mut data = b64url_decode(ciphertext).ok_or(bad("the ciphertext is not base64url"))?;
    data.extend(b64url_decode(tag).ok_or(bad("the tag is not base64url"))?);
    let plain = cipher(enc, &cek)?
        .open_in_place(
            Nonce::assume_unique_for_key(iv),
            Aad::from(h.as_bytes()),
            &mut data,
        )
        .map_err(|_| KeyError::Decrypt)?
        .to_vec();
    Ok((header, Zeroizing::new(plain)))
}

/// Encrypts `plaintext` to the P-256 public JWK `recipient` with `ECDH-ES` and `enc`
/// (`A128GCM` or `A256GCM`), with `kid` in the header when given: what a wallet does.
pub fn encrypt_ecdh_es(
    plaintext: &[u8],
    recipient: &Value,
    enc: &str,
    kid: Option<&str>,
) -> Result<String, KeyError> {
    let bits = key_bits(enc)?;
    let peer = jwk_point(recipient).ok_or(KeyError::Invalid("not a P-256 public JWK"))?;
    let ephemeral = PrivateKey::generate(&ECDH_P256).map_err(|_| KeyError::Crypto)?;
    let z = agree(
        &ephemeral,
        UnparsedPublicKey::new(&ECDH_P256, &peer),
        KeyError::Invalid("the recipient key is not on the curve"),
        |z| Ok(Zeroizing::new(z.to_vec())),
    )?;
    let mut header =
        json!({"alg": "ECDH-ES", "enc": enc, "epk": point_jwk(&public_point(&ephemeral)?)});
    if let Some(kid) = kid {
        header["kid"] = json!(kid);
    }
    let h = b64url_encode(header.to_string());
    let cek = concat_kdf(&z, enc, &[], &[], bits);
    let iv: [u8; 12] = sigil_core::random::bytes();
    let mut data = plaintext.to_vec();
    let tag = cipher(enc, &cek)?
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(iv),
            Aad::from(h.as_bytes()),
            &mut data,
        )
        .map_err(|_| KeyError::Crypto)?;
    Ok(format!(
        "{h}..{}.{}.{}",
        b64url_encode(iv),
        b64url_encode(&data),
        b64url_encode(tag.as_ref())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_tampering() {
        let scalar = generate_p256_scalar().expect("key");
        let jwk = Value::Object(p256_public_jwk(&scalar).expect("jwk"));
        for enc in ["A128GCM", "A256GCM"] {
            let jwe =
                encrypt_ecdh_es(b"{\"state\":\"s\"}", &jwk, enc, Some("k1")).expect("encrypts");
            let (header, plain) = decrypt_ecdh_es(&jwe, &scalar).expect("decrypts");
            assert_eq!(header["kid"], "k1");
            assert_eq!(&plain[..], b"{\"state\":\"s\"}");
            let mut parts: Vec<String> = jwe.split('.').map(str::to_owned).collect();
            parts[3] = b64url_encode(b"{\"state\":\"x\"}");
            assert!(
                decrypt_ecdh_es(&parts.join("."), &scalar).is_err(),
                "tampered ciphertext"
            );
        }
        let other = generate_p256_scalar().expect("key");
        let jwe = encrypt_ecdh_es(b"x", &jwk, "A128GCM", None).expect("encrypts");
        assert!(decrypt_ecdh_es(&jwe, &other).is_err(), "another key");
        assert!(encrypt_ecdh_es(b"x", &jwk, "A192CBC", None).is_err());
    }

    /// RFC 7518 Appendix C: the Concat KDF example (ECDH-ES, A128GCM, apu "Alice", apv "Bob").
    #[test]
    fn concat_kdf_matches_rfc_7518_appendix_c() {
        let z: [u8; 32] = [
            158, 86, 217, 29, 129, 113, 53, 211, 114, 131, 66, 131, 191, 132, 38, 156, 251, 49,
            110, 163, 218, 128, 106, 72, 246, 218, 167, 121, 140, 254, 144, 196,
        ];
        let key = concat_kdf(&z, "A128GCM", b"Alice", b"Bob", 128);
        assert_eq!(b64url_encode(&key[..]), "VqqN6vgjbSBcIijNcacQGg");
    }
}
