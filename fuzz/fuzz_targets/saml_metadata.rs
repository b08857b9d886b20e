//! Service providers' SAML metadata: any text must give metadata or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_saml::metadata::parse_sp_metadata;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(sp) = parse_sp_metadata(text) {
        let _ = sp.consumer_service(None, None);
    }
});
