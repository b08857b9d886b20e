//! Access policies for Sigil's identity-aware gateway, free of HTTP and storage: applications
//! with realms and routes ([`app`]), Cedar decisions behind Sigil's own types ([`engine`]), one
//! decision path shared by the gateway and `sigil gateway explain` ([`decide`]), request-path
//! normalisation ([`paths`]) and the SiteMinder policy-store importer ([`siteminder`]).

pub mod app;
pub mod decide;
pub mod engine;
pub mod paths;
pub mod signon;
pub mod siteminder;

pub use app::Application;
pub use decide::{CompiledApp, Decision, Outcome};
pub use engine::{Circumstances, PolicyEngine, PolicyError, Principal, PrincipalKind};
pub use signon::{CompiledSignOn, SignOnDecision, SignOnPolicy};
