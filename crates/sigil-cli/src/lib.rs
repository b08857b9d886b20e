//! The `sigil` binary's library half: configuration, wiring and commands, shared with the
//! test harness so tests start Sigil exactly as the binary does.

pub mod app;
pub mod cli;
pub mod cli_gateway;
pub mod cli_idp;
pub mod cli_saml;
pub mod commands;
pub mod config;
pub mod logging;
pub mod wallet;
