//! Sigil's integration tests: one binary, one module per area, each test on its own TestApp.

#![allow(clippy::unwrap_used)]

mod code_flow;
