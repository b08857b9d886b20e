//! Paths of every endpoint and page, relative to a tenant's issuer. One list, used by the
//! router, discovery and the pages alike.

/// Authorization endpoint.
pub const AUTHORIZE: &str = "/authorize";
/// Token endpoint.
pub const TOKEN: &str = "/token";
/// Pushed authorization request endpoint (RFC 9126).
pub const PAR: &str = "/par";
/// UserInfo endpoint.
pub const USERINFO: &str = "/userinfo";
/// JWK Set.
pub const JWKS: &str = "/jwks";
/// Token revocation (RFC 7009).
pub const REVOKE: &str = "/revoke";
/// Global Token Revocation: one user signed out everywhere, all their tokens revoked.
pub const GLOBAL_TOKEN_REVOCATION: &str = "/global-token-revocation";
/// Token introspection (RFC 7662).
pub const INTROSPECT: &str = "/introspect";
/// Device authorization endpoint (RFC 8628).
pub const DEVICE_AUTHORIZATION: &str = "/device_authorization";
/// Where users enter device codes.
pub const DEVICE: &str = "/device";
/// RP-initiated logout (end_session_endpoint).
pub const END_SESSION: &str = "/logout";
/// Sign-in page.
pub const LOGIN: &str = "/login";
/// Interaction pages (`/interaction/{id}`).
pub const INTERACTION: &str = "/interaction";
/// Account page.
pub const ACCOUNT: &str = "/account";
/// OpenID Provider metadata.
pub const OPENID_CONFIGURATION: &str = "/.well-known/openid-configuration";
/// OAuth 2.0 Authorization Server metadata (RFC 8414).
pub const OAUTH_AUTHORIZATION_SERVER: &str = "/.well-known/oauth-authorization-server";
