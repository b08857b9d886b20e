//! Token Status List (draft-ietf-oauth-status-list §4): the statuses of many credentials as
//! one compressed bit array, `bits` (1, 2, 4 or 8) per credential, least significant bits
//! first, zlib-compressed and base64url-encoded as `lst`. Issuers publish it as a signed
//! `statuslist+jwt`; a credential points into it with `status.status_list.{uri, idx}`.

use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use serde_json::{Value, json};
use sigil_core::{b64url_decode, b64url_encode};

/// The status of a valid credential.
pub const VALID: u8 = 0;
/// The status of a revoked credential.
pub const INVALID: u8 = 1;
/// The status of a suspended credential.
pub const SUSPENDED: u8 = 2;

/// The largest list decoded, in bytes once inflated (a compressed list is tiny; this keeps a
/// hostile one from inflating without bound).
pub const MAX_BYTES: u64 = 16 * 1024 * 1024;

/// Everything `decoder` inflates, unless it fails or passes [`MAX_BYTES`]: how a status list
/// of any kind (zlib here, GZIP for Bitstring Status Lists) is read.
pub fn inflate_bounded(decoder: impl Read) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    decoder.take(MAX_BYTES + 1).read_to_end(&mut bytes).ok()?;
    (bytes.len() as u64 <= MAX_BYTES).then_some(bytes)
}

/// Why a status list is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusListError {
    /// `bits` is not 1, 2, 4 or 8.
    #[error("bits must be 1, 2, 4 or 8")]
    Bits,
    /// `lst` is not base64url zlib data, or inflates past the limit.
    #[error("lst is not a compressed status list")]
    Encoding,
    /// An index past the end of the list: nothing can be said of it.
    #[error("index {0} is past the end of the list")]
    OutOfRange(usize),
    /// A status does not fit in `bits`.
    #[error("status {0} does not fit")]
    Status(u8),
}

/// A status list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusList {
    bits: u8,
    bytes: Vec<u8>,
}

impl StatusList {
    /// A list of `size` valid entries of `bits` each.
    pub fn new(bits: u8, size: usize) -> Result<Self, StatusListError> {
        check_bits(bits)?;
        let per_byte = usize::from(8 / bits);
        Ok(StatusList {
            bits,
            bytes: vec![0; size.div_ceil(per_byte)],
        })
    }

    /// Bits per entry.
    pub fn bits(&self) -> u8 {
        self.bits
    }

    /// How many entries the list holds.
    pub fn len(&self) -> usize {
        self.bytes.len() * usize::from(8 / self.bits)
    }

    /// Whether the list holds no entry.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    fn position(&self, index: usize) -> Result<(usize, u32, u8), StatusListError> {
        if index >= self.len() {
            return Err(StatusListError::OutOfRange(index));
        }
        let per_byte = usize::from(8 / self.bits);
        let shift = u32::try_from(index % per_byte).unwrap_or(0) * u32::from(self.bits);
        let mask = u8::try_from((1u16 << self.bits) - 1).unwrap_or(u8::MAX);
        Ok((index / per_byte, shift, mask))
    }

    /// The status at `index`.
    pub fn get(&self, index: usize) -> Result<u8, StatusListError> {
        let (byte, shift, mask) = self.position(index)?;
        Ok((self.bytes[byte] >> shift) & mask)
    }

    /// Sets the status at `index`.
    pub fn set(&mut self, index: usize, status: u8) -> Result<(), StatusListError> {
        let (byte, shift, mask) = self.position(index)?;
        if status > mask {
            return Err(StatusListError::Status(status));
        }
        self.bytes[byte] = (self.bytes[byte] & !(mask << shift)) | (status << shift);
        Ok(())
    }

    /// The list's bytes, uncompressed.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// `lst`: the bytes zlib-compressed (best compression), base64url without padding.
    pub fn encode(&self) -> String {
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
        // Writing to a Vec cannot fail.
        let _ = encoder.write_all(&self.bytes);
        b64url_encode(encoder.finish().unwrap_or_default())
    }

    /// The JSON form, `{"bits": …, "lst": …}`.
    pub fn to_json(&self) -> Value {
        json!({"bits": self.bits, "lst": self.encode()})
    }

    /// Decodes `lst` with `bits` per entry.
    pub fn decode(bits: u8, lst: &str) -> Result<Self, StatusListError> {
        check_bits(bits)?;
        let compressed = b64url_decode(lst).ok_or(StatusListError::Encoding)?;
        let bytes = inflate_bounded(ZlibDecoder::new(compressed.as_slice()))
            .ok_or(StatusListError::Encoding)?;
        Ok(StatusList { bits, bytes })
    }

    /// Decodes the JSON form.
    pub fn from_json(value: &Value) -> Result<Self, StatusListError> {
        let bits = value
            .get("bits")
            .and_then(Value::as_u64)
            .and_then(|b| u8::try_from(b).ok())
            .ok_or(StatusListError::Bits)?;
        let lst = value
            .get("lst")
            .and_then(Value::as_str)
            .ok_or(StatusListError::Encoding)?;
        Self::decode(bits, lst)
    }
}

fn check_bits(bits: u8) -> Result<(), StatusListError> {
    if matches!(bits, 1 | 2 | 4 | 8) {
        Ok(())
    } else {
        Err(StatusListError::Bits)
    }
}
