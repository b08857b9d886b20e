//! The key-encryption key: AES-256-GCM over private signing keys at rest, with the tenant
//! and key id as associated data so a sealed key cannot be moved to another record.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use zeroize::Zeroizing;

use crate::KeyError;

/// Format version of sealed blobs: `1 || nonce (12) || ciphertext || tag (16)`.
const VERSION: u8 = 1;

/// A 256-bit AES-GCM key that seals private keys.
pub struct KeyEncryptionKey(LessSafeKey);

impl std::fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyEncryptionKey(..)")
    }
}

impl KeyEncryptionKey {
    /// Wraps 32 key bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        // AES-256 accepts every 32-byte key; construction cannot fail for this length.
        let key = UnboundKey::new(&AES_256_GCM, bytes).expect("32-byte AES-256 key");
        KeyEncryptionKey(LessSafeKey::new(key))
    }

    /// A fresh random key, returned with its bytes so the caller can persist them.
    pub fn generate() -> (Self, Zeroizing<[u8; 32]>) {
        let bytes = Zeroizing::new(sigil_core::random::bytes::<32>());
        (Self::from_bytes(&bytes), bytes)
    }

    /// Encrypts `plaintext`, binding it to `context`.
    pub fn seal(&self, context: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let nonce_bytes = sigil_core::random::bytes::<NONCE_LEN>();
        let mut buf = plaintext.to_vec();
        self.0
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce_bytes),
                Aad::from(context),
                &mut buf,
            )
            .expect("AES-GCM sealing of a small buffer");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + buf.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&buf);
        buf.iter_mut().for_each(|b| *b = 0);
        out
    }

    /// Decrypts what [`seal`](Self::seal) produced with the same `context`.
    pub fn open(&self, context: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let (version, rest) = sealed.split_first().ok_or(KeyError::Decrypt)?;
        if *version != VERSION || rest.len() < NONCE_LEN + 16 {
            return Err(KeyError::Decrypt);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| KeyError::Decrypt)?;
        let mut buf = Zeroizing::new(ciphertext.to_vec());
        let plain_len = self
            .0
            .open_in_place(nonce, Aad::from(context), &mut buf)
            .map_err(|_| KeyError::Decrypt)?
            .len();
        buf.truncate(plain_len);
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_bound_to_context() {
        let (kek, _) = KeyEncryptionKey::generate();
        let sealed = kek.seal(b"default/kid1", b"private key bytes");
        assert_eq!(
            &*kek.open(b"default/kid1", &sealed).expect("opens"),
            b"private key bytes"
        );
        assert!(
            kek.open(b"other/kid1", &sealed).is_err(),
            "context is bound"
        );
        let (other, _) = KeyEncryptionKey::generate();
        assert!(
            other.open(b"default/kid1", &sealed).is_err(),
            "wrong key fails"
        );
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(
            kek.open(b"default/kid1", &tampered).is_err(),
            "tampering fails"
        );
        assert!(kek.open(b"default/kid1", &[]).is_err());
    }
}
