//! SCIM 2.0 (RFC 7643 and RFC 7644) without HTTP or SQL: the filter language (§3.4.2.2) and
//! the attribute paths PATCH operations address (§3.5.2), parsed into a small tree that the
//! store translates to SQL and that can also be evaluated against a JSON resource (`eval`).

mod eval;
pub mod filter;

pub use filter::{
    AttrPath, CompValue, CompareOp, Filter, FilterError, PatchPath, parse_filter, parse_path,
};
