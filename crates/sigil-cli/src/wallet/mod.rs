//! `sigil wallet`: a holder's wallet on the command line. It accepts credential offers
//! (OpenID4VCI pre-authorized code flow, deferred issuance included) from Sigil or any issuer, keeps each credential with
//! its own holder key in an encrypted store, lists them with the issuer's display metadata,
//! and answers OpenID4VP requests, disclosing only what the holder approves; `sigil wallet
//! web` does the same on a small web page on this machine. Credential
//! requests are encrypted where the issuer offers it. The protocol
//! pieces without HTTP are in `sigil_vc::holder`.

mod access;
mod http;
mod present;
mod receive;
mod sealed;
mod sign_in;
mod store;
mod web;

pub use present::{Consent, Prepared, PresentOutcome, prepare, present};
pub use receive::{Collected, Received, Redeem, collect, receive, receive_with};
pub use sign_in::SignIn;
pub use store::{PendingCredential, StoredCredential, Wallet};
pub use web::web_wallet;
