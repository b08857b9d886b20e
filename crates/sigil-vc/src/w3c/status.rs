//! Bitstring Status List v1.0 (W3C Recommendation): the statuses of many W3C credentials as
//! one bit per credential and purpose, index 0 the left-most (most significant) bit of the
//! first byte, GZIP-compressed and multibase-encoded (`u` + base64url without padding) as a
//! status list credential's `encodedList`. A credential points into it with a
//! `BitstringStatusListEntry`: its purpose, its index (a string of digits) and the status list
//! credential's URL. Sigil gives each W3C credential two entries, `revocation` and
//! `suspension`, at the same index of two lists built from one stored status list.

use std::io::Write;

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde_json::{Value, json};
use sigil_core::{b64url_decode, b64url_encode};
use sigil_sdjwt::status_list::inflate_bounded;

/// The `type` of a credential's status entry.
pub const ENTRY_TYPE: &str = "BitstringStatusListEntry";
/// The `type` of a status list credential.
pub const LIST_CREDENTIAL_TYPE: &str = "BitstringStatusListCredential";
/// The `type` of a status list credential's subject.
pub const LIST_TYPE: &str = "BitstringStatusList";
/// Data Model 1.1's forerunner of these (VC Status List 2021): the same entry members and
/// bits, under these type names, with `encodedList` in base64url without the multibase
/// prefix. Sigil's verifier reads such lists for 1.1 credentials; it writes none.
pub const ENTRY_TYPE_2021: &str = "StatusList2021Entry";
/// The `type` of a Status List 2021 credential.
pub const LIST_CREDENTIAL_TYPE_2021: &str = "StatusList2021Credential";
/// The `type` of a Status List 2021 credential's subject.
pub const LIST_TYPE_2021: &str = "StatusList2021";
/// The fewest entries a list may have (§6.1: 16 KiB of bits, so that one credential hides
/// among many).
pub const MIN_ENTRIES: usize = 131_072;

/// Why a status list or entry is refused, with the error the specification names (§3.2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BitstringError {
    /// `encodedList` is not multibase base64url GZIP data, or inflates past the limit.
    #[error("STATUS_VERIFICATION_ERROR: encodedList is not a compressed bitstring")]
    Encoding,
    /// The list is shorter than [`MIN_ENTRIES`].
    #[error("STATUS_LIST_LENGTH_ERROR: the list has fewer than 131,072 entries")]
    Length,
    /// An index past the end of the list (`RANGE_ERROR`).
    #[error("RANGE_ERROR: index {0} is past the end of the list")]
    Range(u64),
    /// An entry that is not a well-formed `BitstringStatusListEntry`.
    #[error("MALFORMED_VALUE_ERROR: {0}")]
    Malformed(&'static str),
    /// A revocation or suspension status kept in a kind of list Sigil does not read
    /// (`StatusList2021Entry`, …): the credential cannot be shown to be still valid.
    #[error("STATUS_VERIFICATION_ERROR: the credential's {0} status cannot be checked")]
    Unreadable(String),
}

/// What a status bit means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusPurpose {
    /// Set for good: the credential is revoked.
    Revocation,
    /// Set while the credential is suspended.
    Suspension,
}

impl StatusPurpose {
    /// Both purposes, in the order Sigil lists them.
    pub const ALL: [StatusPurpose; 2] = [StatusPurpose::Revocation, StatusPurpose::Suspension];

    /// The `statusPurpose` value.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusPurpose::Revocation => "revocation",
            StatusPurpose::Suspension => "suspension",
        }
    }

    /// Reads a `statusPurpose` value Sigil understands.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == text)
    }
}

/// A bitstring of statuses, one bit per entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bitstring {
    bytes: Vec<u8>,
}

impl Bitstring {
    /// A list of at least `entries` (and at least [`MIN_ENTRIES`]) clear bits.
    pub fn new(entries: usize) -> Self {
        Bitstring {
            bytes: vec![0; entries.max(MIN_ENTRIES).div_ceil(8)],
        }
    }

    /// How many entries it holds.
    pub fn len(&self) -> usize {
        self.bytes.len() * 8
    }

    /// Whether it holds no entry.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    fn position(&self, index: u64) -> Result<(usize, u8), BitstringError> {
        let i = usize::try_from(index)
            .ok()
            .filter(|i| *i < self.len())
            .ok_or(BitstringError::Range(index))?;
        Ok((i / 8, 0x80 >> (i % 8)))
    }

    /// Whether the bit at `index` is set.
    pub fn get(&self, index: u64) -> Result<bool, BitstringError> {
        let (byte, mask) = self.position(index)?;
        Ok(self.bytes[byte] & mask != 0)
    }

    /// Sets (or clears) the bit at `index`.
    pub fn set(&mut self, index: u64, value: bool) -> Result<(), BitstringError> {
        let (byte, mask) = self.position(index)?;
        if value {
            self.bytes[byte] |= mask;
        } else {
            self.bytes[byte] &= !mask;
        }
        Ok(())
    }

    /// `encodedList`: the bytes GZIP-compressed, base64url without padding, multibase prefix
    /// `u`.
    pub fn encode(&self) -> String {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        // Writing to a Vec cannot fail.
        let _ = encoder.write_all(&self.bytes);
        format!("u{}", b64url_encode(encoder.finish().unwrap_or_default()))
    }

    /// Decodes `encodedList`, refusing lists shorter than [`MIN_ENTRIES`].
    pub fn decode(encoded: &str) -> Result<Self, BitstringError> {
        let compressed = encoded
            .strip_prefix('u')
            .and_then(b64url_decode)
            .ok_or(BitstringError::Encoding)?;
        Self::inflate(&compressed)
    }

    /// Decodes a Status List 2021 `encodedList` (base64url, no multibase prefix).
    pub fn decode_2021(encoded: &str) -> Result<Self, BitstringError> {
        Self::inflate(&b64url_decode(encoded).ok_or(BitstringError::Encoding)?)
    }

    fn inflate(compressed: &[u8]) -> Result<Self, BitstringError> {
        let bytes = inflate_bounded(GzDecoder::new(compressed)).ok_or(BitstringError::Encoding)?;
        if bytes.len() * 8 < MIN_ENTRIES {
            return Err(BitstringError::Length);
        }
        Ok(Bitstring { bytes })
    }
}

/// A credential's entry in a Bitstring Status List.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BitstringEntry {
    /// What a set bit means.
    pub purpose: StatusPurpose,
    /// The credential's index in the list.
    pub index: u64,
    /// The status list credential's URL.
    pub list_credential: String,
}

/// Refuses a revocation or suspension status kept in a kind of list Sigil does not read
/// (neither a Bitstring Status List nor a Status List 2021: a `RevocationList2020Status`,
/// say), so cannot show the credential still valid.
pub fn refuse_unreadable(status: &Value) -> Result<(), BitstringError> {
    let items = match status {
        Value::Array(items) => items.as_slice(),
        one => std::slice::from_ref(one),
    };
    for item in items {
        let kind = item.get("type").and_then(Value::as_str);
        let purpose = item.get("statusPurpose").and_then(Value::as_str);
        let read = kind == Some(ENTRY_TYPE) || kind == Some(ENTRY_TYPE_2021);
        if !read && purpose.and_then(StatusPurpose::parse).is_some() {
            return Err(BitstringError::Unreadable(
                kind.unwrap_or("untyped").to_owned(),
            ));
        }
    }
    Ok(())
}

impl BitstringEntry {
    /// The `credentialStatus` member: its `id` is the list's URL with the index as fragment.
    pub fn to_json(&self) -> Value {
        json!({
            "id": format!("{}#{}", self.list_credential, self.index),
            "type": ENTRY_TYPE,
            "statusPurpose": self.purpose.as_str(),
            "statusListIndex": self.index.to_string(),
            "statusListCredential": self.list_credential,
        })
    }

    /// Reads the entries of a `credentialStatus` value (one entry or an array of them):
    /// `BitstringStatusListEntry` and its 1.1 forerunner `StatusList2021Entry`. Entries of
    /// other types, and purposes other than revocation and suspension (a `message` list can
    /// say nothing Sigil acts on), are not returned; a malformed entry is an error.
    pub fn all_in(status: &Value) -> Result<Vec<Self>, BitstringError> {
        let items = match status {
            Value::Null => return Ok(Vec::new()),
            Value::Array(items) => items.as_slice(),
            one => std::slice::from_ref(one),
        };
        let mut out = Vec::new();
        for item in items {
            let kind = item.get("type").and_then(Value::as_str);
            if kind != Some(ENTRY_TYPE) && kind != Some(ENTRY_TYPE_2021) {
                continue;
            }
            let text = |name| item.get(name).and_then(Value::as_str);
            let purpose = text("statusPurpose").ok_or(BitstringError::Malformed(
                "a status entry has no statusPurpose",
            ))?;
            let index = text("statusListIndex")
                .filter(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|i| i.parse().ok())
                .ok_or(BitstringError::Malformed(
                    "statusListIndex is not a string of digits",
                ))?;
            let list_credential = text("statusListCredential").ok_or(BitstringError::Malformed(
                "a status entry has no statusListCredential",
            ))?;
            if item
                .get("statusSize")
                .is_some_and(|s| s.as_u64() != Some(1))
            {
                return Err(BitstringError::Malformed(
                    "only statusSize 1 is understood for revocation and suspension",
                ));
            }
            if let Some(purpose) = StatusPurpose::parse(purpose) {
                out.push(BitstringEntry {
                    purpose,
                    index,
                    list_credential: list_credential.to_owned(),
                });
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The empty list of the specification's examples (§2.2): 131,072 clear bits.
    const SPEC_EMPTY_LIST: &str =
        "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA";

    #[test]
    fn the_specification_example_list_is_131072_clear_bits() {
        let list = Bitstring::decode(SPEC_EMPTY_LIST).expect("decodes");
        assert_eq!(list.len(), MIN_ENTRIES);
        assert!((0..MIN_ENTRIES as u64).all(|i| list.get(i) == Ok(false)));
    }

    #[test]
    fn a_list_made_by_another_implementation_reads_the_same() {
        // Node's zlib.gzipSync of 16 KiB with bits 0, 7, 8, 42 and 131071 set; both
        // @digitalbazaar/vc-bitstring-status-list and @4sure-tech/vc-bitstring-status-lists
        // read exactly those.
        let list = Bitstring::decode(
            "uH4sIAAAAAAAAA-3BQQEAAAQEsNNEVJqL4bNtJ0kHAAAAAAAAAAAAAAAAAAAA-FMHzP-QDQBAAAA",
        )
        .expect("decodes");
        let set: Vec<u64> = (0..list.len() as u64)
            .filter(|i| list.get(*i) == Ok(true))
            .collect();
        assert_eq!(set, [0, 7, 8, 42, 131_071]);
        // The same list as a Status List 2021 encodes it, without the multibase prefix; a
        // Bitstring Status List must have it.
        let plain = "H4sIAAAAAAAAA-3BQQEAAAQEsNNEVJqL4bNtJ0kHAAAAAAAAAAAAAAAAAAAA-FMHzP-QDQBAAAA";
        assert_eq!(Bitstring::decode_2021(plain), Ok(list));
        assert_eq!(Bitstring::decode(plain), Err(BitstringError::Encoding));
    }

    #[test]
    fn index_zero_is_the_left_most_bit() {
        let mut list = Bitstring::new(0);
        list.set(0, true).expect("in range");
        list.set(9, true).expect("in range");
        assert_eq!(&list.bytes[..2], &[0x80, 0x40]);
        let back = Bitstring::decode(&list.encode()).expect("round trip");
        assert_eq!(back, list);
        assert_eq!(back.get(0), Ok(true));
        assert_eq!(back.get(1), Ok(false));
        assert_eq!(back.get(9), Ok(true));
        list.set(0, false).expect("in range");
        assert_eq!(list.get(0), Ok(false));
        assert_eq!(
            list.get(MIN_ENTRIES as u64),
            Err(BitstringError::Range(MIN_ENTRIES as u64))
        );
    }

    #[test]
    fn short_foreign_and_hostile_lists_are_refused() {
        let short = {
            let mut e = GzEncoder::new(Vec::new(), Compression::best());
            e.write_all(&[0; 1024]).expect("writes");
            format!("u{}", b64url_encode(e.finish().expect("finishes")))
        };
        assert_eq!(Bitstring::decode(&short), Err(BitstringError::Length));
        // zlib, not GZIP; no multibase prefix; base58btc.
        let zlib = sigil_sdjwt::status_list::StatusList::new(1, MIN_ENTRIES)
            .expect("a list")
            .encode();
        for bad in [
            format!("u{zlib}"),
            SPEC_EMPTY_LIST[1..].to_owned(),
            "zabc".into(),
        ] {
            assert_eq!(
                Bitstring::decode(&bad),
                Err(BitstringError::Encoding),
                "{bad}"
            );
        }
        let bomb = {
            let mut e = GzEncoder::new(Vec::new(), Compression::best());
            e.write_all(&vec![0; (sigil_sdjwt::status_list::MAX_BYTES + 1) as usize])
                .expect("writes");
            format!("u{}", b64url_encode(e.finish().expect("finishes")))
        };
        assert_eq!(Bitstring::decode(&bomb), Err(BitstringError::Encoding));
    }

    proptest::proptest! {
        #[test]
        fn no_list_or_entry_makes_it_panic(text in ".{0,200}", index in proptest::num::u64::ANY) {
            let _ = Bitstring::decode(&format!("u{text}"));
            let entry = json!({"type": ENTRY_TYPE, "statusPurpose": text, "statusListIndex": text,
                "statusListCredential": text});
            let _ = BitstringEntry::all_in(&entry);
            let list = Bitstring::new(0);
            let _ = list.get(index);
        }
    }

    #[test]
    fn entries_read_back_and_malformed_ones_are_refused() {
        let entry = BitstringEntry {
            purpose: StatusPurpose::Suspension,
            index: 94567,
            list_credential: "https://example.com/credentials/status/3".into(),
        };
        let json = entry.to_json();
        assert_eq!(json["id"], "https://example.com/credentials/status/3#94567");
        assert_eq!(json["statusListIndex"], "94567");
        assert_eq!(BitstringEntry::all_in(&json), Ok(vec![entry.clone()]));
        let mixed = json!([json, {"type": "TokenStatusList"}, {
            "type": ENTRY_TYPE, "statusPurpose": "message", "statusListIndex": "1",
            "statusListCredential": "https://x"
        }]);
        assert_eq!(BitstringEntry::all_in(&mixed), Ok(vec![entry]));
        // Status List 2021 entries are read like Bitstring ones; older kinds are not.
        let v1 = json!({"type": ENTRY_TYPE_2021, "statusPurpose": "revocation",
            "statusListIndex": "5", "statusListCredential": "https://x"});
        assert_eq!(BitstringEntry::all_in(&v1).map(|e| e.len()), Ok(1));
        assert_eq!(refuse_unreadable(&v1), Ok(()));
        let unreadable = json!({"type": "RevocationList2020Status", "statusPurpose": "revocation",
            "revocationListIndex": "5", "revocationListCredential": "https://x"});
        assert_eq!(
            refuse_unreadable(&unreadable),
            Err(BitstringError::Unreadable(
                "RevocationList2020Status".into()
            ))
        );
        assert_eq!(BitstringEntry::all_in(&unreadable), Ok(vec![]));
        let ours_and_a_token_list = json!([json, {"type": "TokenStatusList"}]);
        assert_eq!(refuse_unreadable(&ours_and_a_token_list), Ok(()));
        for bad in [
            json!({"type": ENTRY_TYPE, "statusPurpose": "revocation", "statusListIndex": 5, "statusListCredential": "https://x"}),
            json!({"type": ENTRY_TYPE, "statusPurpose": "revocation", "statusListIndex": "-5", "statusListCredential": "https://x"}),
            json!({"type": ENTRY_TYPE, "statusPurpose": "revocation", "statusListIndex": "5"}),
            json!({"type": ENTRY_TYPE, "statusPurpose": "revocation", "statusListIndex": "5", "statusListCredential": "https://x", "statusSize": 2}),
        ] {
            assert!(BitstringEntry::all_in(&bad).is_err(), "{bad}");
        }
    }
}
