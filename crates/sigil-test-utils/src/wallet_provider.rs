//! A wallet provider for tests of key and wallet attestations against a running Sigil:
//! sigil-vc's test provider, with certificates valid on the real clock.

use sigil_core::UnixTime;
pub use sigil_vc::test_support::{Provider as WalletProvider, header};

/// A new wallet provider, its certificates valid from a minute ago.
pub fn wallet_provider() -> WalletProvider {
    let since_epoch = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    WalletProvider::valid_from(UnixTime(since_epoch.as_secs() as i64 - 60))
}
