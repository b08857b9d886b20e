//! SCIM 2.0 (RFC 7643 and RFC 7644) without HTTP or SQL: the filter language (§3.4.2.2) and
//! the attribute paths PATCH operations address (§3.5.2), parsed into a small tree that the
//! store translates to SQL and that can also be evaluated against a JSON resource (`eval`);
//! the schemas (`schema`), cleaning and projecting resources (`resource`), PATCH (`patch`)
//! and the error responses (`error`) an HTTP layer needs.

mod change;
mod definitions;
pub mod error;
mod eval;
pub mod filter;
mod names;
pub mod patch;
pub mod query;
pub mod resource;
pub mod schema;
pub mod service;

pub use error::{ScimError, ScimType};
pub use filter::{
    AttrPath, CompValue, CompareOp, Filter, FilterError, PatchPath, parse_filter, parse_path,
};
pub use patch::{PatchOp, PatchOperation, apply_patch, parse_patch_request};
pub use resource::{canonicalize, primary_value, project};
pub use schema::{
    Attribute, Kind, Mutability, Returned, Schema, Uniqueness, enterprise_user_schema,
    group_schema, user_schema,
};
