//! A wallet provider for tests of key and wallet attestations against a running Sigil:
//! sigil-vc's test provider, with certificates valid on the real clock.

use std::time::Duration;

use sigil_core::{Clock, SystemClock};
pub use sigil_vc::test_support::{Provider as WalletProvider, header};

/// A new wallet provider, its certificates valid from a minute ago.
pub fn wallet_provider() -> WalletProvider {
    WalletProvider::valid_from(SystemClock.now().minus(Duration::from_secs(60)))
}
