//! Gateway applications (realms, routes, Cedar policies, identity headers) and the dry run of
//! one access decision.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// One gateway application with its version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GatewayAppResource {
    /// Its name (by default the SiteMinder agent or agent group it was imported from).
    pub name: String,
    /// 1 when first saved, one more on every save.
    pub version: i64,
    /// When it was last saved (RFC 3339).
    pub updated_at: String,
    /// `realms` (with `routes`), `policies` (Cedar), `responses`, `upstream`, … as described in
    /// docs/SITEMINDER.md.
    #[schema(value_type = Object)]
    pub application: Value,
}

/// The tenant's gateway applications, by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct GatewayAppList {
    /// The applications.
    pub items: Vec<GatewayAppResource>,
}

/// A request to decide without sending it: who, what, from where and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluateRequest {
    /// The HTTP method.
    #[schema(example = "GET")]
    pub method: String,
    /// The request path (normalised as the gateway normalises it).
    #[schema(example = "/portal/admin/")]
    pub path: String,
    /// The user's id (`directory:DN` for imported directories); absent means signed out.
    #[serde(default)]
    pub user: Option<String>,
    /// Or the id of a client calling with its own client-credentials token.
    #[serde(default)]
    pub client: Option<String>,
    /// Group ids the user is in.
    #[serde(default)]
    pub groups: Vec<String>,
    /// User attributes.
    #[serde(default)]
    pub attributes: std::collections::BTreeMap<String, String>,
    /// The session's assurance level (default: the lowest the application asks for).
    #[serde(default, deserialize_with = "crate::whole_number")]
    pub assurance: Option<u32>,
    /// The client's IP address (default 127.0.0.1).
    #[serde(default)]
    pub ip: Option<String>,
    /// When, RFC 3339 (default: now).
    #[serde(default)]
    pub time: Option<String>,
}

/// A client's sign-on policy with its version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SignOnPolicyResource {
    /// The client it governs.
    pub client_id: String,
    /// 1 when first saved, one more on every save; 0 when the client has no policy.
    pub version: i64,
    /// When it was last saved (RFC 3339); absent when it never was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// `policies` (Cedar over `Sigil::Action::"SignIn"` and `Sigil::Client::"<client id>"`),
    /// `assurance`, `levels`, `user_attributes`, `directory` (docs/SITEMINDER.md); null
    /// when the client has none (anyone may sign in).
    #[schema(value_type = Option<Object>)]
    pub policy: Value,
}

/// A sign-in to try a client's sign-on policy on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignOnEvaluateRequest {
    /// The user's username or id.
    #[schema(example = "ann")]
    pub user: String,
    /// How they signed in (`acr`); a password sign-in by default.
    #[serde(default)]
    pub acr: Option<String>,
    /// The client's IP address (default 127.0.0.1).
    #[serde(default)]
    pub ip: Option<String>,
    /// When, RFC 3339 (default: now).
    #[serde(default)]
    pub time: Option<String>,
}
