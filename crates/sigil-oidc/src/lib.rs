//! The OAuth 2.1 / OpenID Connect provider: every endpoint's logic as plain Rust over the
//! storage traits. Requests come in parsed ([`params::Params`]), outcomes go out as values
//! (redirects, token responses, protocol errors); `sigil-server` maps them onto HTTP.

pub mod access;
pub mod account;
pub mod admin;
pub mod audit_sink;
pub mod authorize;
pub mod client_auth;
pub mod config;
pub mod consent;
pub mod credentials;
pub mod device;
pub mod discovery;
pub mod dpop;
pub mod endpoints;
pub mod error;
pub mod federation;
pub mod grants;
pub mod hooks;
pub mod introspection;
pub mod keys;
pub mod logout;
pub mod logout_channels;
pub mod logout_token;
pub mod params;
pub mod passwords;
pub mod pkce;
pub mod presentations;
pub mod provider;
pub mod saml;
pub mod sessions;
pub mod sign_on;
pub mod throttle;
pub mod tokens;
pub mod userinfo;

pub use authorize::{AuthorizeOutcome, InteractionStep};
pub use error::{ErrorCode, OAuthError};
pub use params::Params;
pub use provider::{JwksFetcher, Provider, ProviderDeps, TenantCtx};
pub use sessions::{Browser, CurrentSession, SignInError, SignedIn};
