//! Sigil's integration tests: one binary, one module per area, each test on its own TestApp.

#![allow(clippy::unwrap_used)]

mod account;
mod api;
mod bad_input;
mod cluster;
mod code_flow;
mod credentials;
mod credentials_deferred;
mod credentials_dpop;
mod credentials_sign_in;
mod definitions;
mod device_flow;
mod federation;
mod gateway;
mod gateway_bearer;
mod gateway_logout;
mod gateway_proxy;
mod hooks;
mod issuer_trust;
mod logout;
mod logout_channels;
mod management_audit;
mod management_clients;
mod management_groups;
mod management_idempotency;
mod management_identity_providers;
mod management_keys;
mod management_sessions;
mod management_users;
mod operations;
mod par;
mod presentations;
mod rate_limits;
mod saml;
mod saml_federation;
mod saml_keys;
mod saml_logout;
mod scim;
mod scim_groups;
mod security;
mod sign_on;
mod tenants;
mod tokens;
mod w3c_credentials;
mod wallet;
