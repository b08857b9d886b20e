//! The Token Status List draft's own vectors (tests/vectors/token-status-list): exact decoding
//! of every encoding vector (two of them entry by entry, four of 2^20 entries by their set
//! indices and the SHA-256 of the inflated bytes), encoding round trips, and the signed
//! Status List Token.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use serde_json::Value;
use sigil_core::Digest32;
use sigil_keys::{DecodedJws, PublicKey};
use sigil_sdjwt::status_list::{INVALID, StatusList, StatusListError};

fn read(path: &str) -> String {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/token-status-list");
    std::fs::read_to_string(dir.join(path)).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn every_vector_decodes_exactly_and_round_trips() {
    let vectors: Vec<Value> =
        serde_json::from_str(&read("status_list_encoding_vectors.json")).unwrap();
    assert_eq!(vectors.len(), 6);
    for v in &vectors {
        let name = v["name"].as_str().unwrap();
        let list = StatusList::from_json(&v["json"]).unwrap();
        let size = v["size"].as_u64().unwrap() as usize;
        assert!(list.len() >= size, "{name}");
        if let Some(all) = v["statuses_all"].as_array() {
            assert_eq!(hex(list.as_bytes()), v["uncompressed_hex"], "{name}");
            for (i, status) in all.iter().enumerate() {
                assert_eq!(
                    u64::from(list.get(i).unwrap()),
                    status.as_u64().unwrap(),
                    "{name} [{i}]"
                );
            }
        } else {
            assert_eq!(
                hex(&Digest32::of(list.as_bytes()).0),
                v["uncompressed_sha256_hex"],
                "{name}"
            );
            let set: Vec<(usize, u8)> = v["statuses_set_as_listed"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    (
                        e["index"].as_u64().unwrap() as usize,
                        e["status"].as_u64().unwrap() as u8,
                    )
                })
                .collect();
            let mut expected = StatusList::new(list.bits(), size).unwrap();
            for (i, status) in &set {
                assert_eq!(list.get(*i).unwrap(), *status, "{name} [{i}]");
                expected.set(*i, *status).unwrap();
            }
            assert_eq!(
                expected.as_bytes(),
                list.as_bytes(),
                "{name}: every other index is 0"
            );
        }
        // Our own encoding decodes to the same list.
        let again = StatusList::from_json(&list.to_json()).unwrap();
        assert_eq!(again, list, "{name}");
    }
}

#[test]
fn the_status_list_token_verifies_and_says_index_0_is_revoked() {
    let token = read("status_list_token.jwt");
    let jws = DecodedJws::decode(token.trim(), 64 * 1024).unwrap();
    let key: Value =
        serde_json::from_str(&read("status_list_token_signing_key.public.jwk.json")).unwrap();
    jws.verify(&PublicKey::from_jwk(key.as_object().unwrap()).unwrap())
        .unwrap();
    assert!(jws.has_typ("statuslist+jwt"));
    let claims: Value = jws.claims().unwrap();
    assert_eq!(claims["sub"], "https://example.com/statuslists/1");
    assert_eq!(
        (claims["exp"].as_i64(), claims["ttl"].as_i64()),
        (Some(2_291_720_170), Some(43_200))
    );
    let list = StatusList::from_json(&claims["status_list"]).unwrap();
    assert_eq!(list.get(0), Ok(INVALID));
    assert_eq!(
        list.get(16),
        Err(StatusListError::OutOfRange(16)),
        "past the end: no statement"
    );
}

#[test]
fn hostile_and_malformed_lists_are_refused() {
    assert_eq!(StatusList::new(3, 8), Err(StatusListError::Bits));
    assert_eq!(StatusList::decode(1, "!!"), Err(StatusListError::Encoding));
    assert_eq!(
        StatusList::decode(1, "eNrbuRgAAh"),
        Err(StatusListError::Encoding)
    );
    // 64 MiB of zeros compresses to a few kilobytes; it is not inflated past the limit.
    let mut huge = StatusList::new(8, 64 * 1024 * 1024).unwrap();
    huge.set(0, 1).unwrap();
    assert_eq!(
        StatusList::decode(8, &huge.encode()),
        Err(StatusListError::Encoding)
    );
    let mut two = StatusList::new(2, 4).unwrap();
    assert_eq!(two.set(1, 4), Err(StatusListError::Status(4)));
    two.set(3, 3).unwrap();
    assert_eq!((two.get(3), two.get(2)), (Ok(3), Ok(0)));
}
