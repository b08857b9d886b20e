//! Users' sign-in sessions.

use serde::{Deserialize, Serialize};
use sigil_core::model::Session;
use utoipa::{IntoParams, ToSchema};

use crate::rfc3339;

/// A live sign-in session. Its cookie secret is never shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SessionResource {
    /// Session id (the `sid` claim of ID tokens and logout tokens).
    pub id: String,
    /// When the user authenticated (RFC 3339; `auth_time`).
    pub auth_time: String,
    /// How they authenticated (RFC 8176 `amr` values).
    pub amr: Vec<String>,
    /// Authentication context class (`acr`).
    pub acr: String,
    /// When the session began (RFC 3339).
    pub created_at: String,
    /// When it was last used (RFC 3339); the idle timeout counts from here.
    pub last_seen_at: String,
    /// When it ends at the latest (RFC 3339).
    pub expires_at: String,
    /// Client IP at sign-in.
    pub ip: Option<String>,
    /// Browser at sign-in.
    pub user_agent: Option<String>,
}

impl From<&Session> for SessionResource {
    fn from(s: &Session) -> Self {
        SessionResource {
            id: s.id.to_string(),
            auth_time: rfc3339(s.auth.auth_time),
            amr: s.auth.amr.clone(),
            acr: s.auth.acr.clone(),
            created_at: rfc3339(s.created_at),
            last_seen_at: rfc3339(s.last_seen_at),
            expires_at: rfc3339(s.expires_at),
            ip: s.ip.clone(),
            user_agent: s.user_agent.clone(),
        }
    }
}

/// A user's live sessions, newest first. (A user has few; the list is not paged.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SessionList {
    /// The sessions.
    pub items: Vec<SessionResource>,
}

/// Query parameters of `DELETE /users/{id}/sessions`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RevokeSessionsParams {
    /// Also revoke every token the user holds (refresh tokens and the access tokens issued
    /// with them), so no application stays signed in either.
    pub revoke_tokens: Option<bool>,
}
