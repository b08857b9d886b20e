//! The SiteMinder XPSExport reader and importer: any text must give an import or a parse
//! error, never a panic, and every application an import produces must compile (its Cedar
//! policies validate, its patterns build) and decide a request without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigil_policy::siteminder::{ImportOptions, import};
use sigil_policy::{Circumstances, CompiledApp};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(result) = import(text, &ImportOptions::default()) else { return };
    let facts = Circumstances {
        assurance: 0,
        amr: vec![],
        client_ip: std::net::IpAddr::from([127, 0, 0, 1]),
        now: time::OffsetDateTime::UNIX_EPOCH,
    };
    for app in result.applications {
        let compiled = CompiledApp::new(app).expect("imported applications compile");
        let _ = compiled.decide("GET", "/", None, &facts);
    }
});
