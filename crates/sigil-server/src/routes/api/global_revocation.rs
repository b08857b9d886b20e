//! `POST /global-token-revocation` (draft-parecki-oauth-global-token-revocation): a client
//! holding `sessions:write` (a security tool, an identity provider's universal logout) signs
//! one user out everywhere. The body names the user with a Subject Identifier (RFC 9493) as
//! `subject` (earlier drafts' `sub_id` is read too). 204 when done; 400 for an identifier
//! Sigil cannot read, 404 for one that names nobody; problem+json either way.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;
use sigil_oidc::admin::GlobalRevocationError;

use super::auth::Caller;
use super::body::JsonBody;
use super::error::ApiError;
use crate::state::AppState;

/// The request body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GlobalRevocation {
    /// The user, as a Subject Identifier.
    #[serde(default)]
    subject: Option<Value>,
    /// The same, as earlier drafts named it.
    #[serde(default)]
    sub_id: Option<Value>,
}

/// Signs the user out everywhere and revokes every token they hold.
pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<GlobalRevocation>,
) -> Result<Response, ApiError> {
    caller.require("sessions:write")?;
    let Some(subject) = body.subject.or(body.sub_id).filter(Value::is_object) else {
        return Err(ApiError::malformed(
            "/subject",
            "name the user with a subject identifier object",
        ));
    };
    match state
        .provider
        .revoke_subject_globally(&caller.tenant, &subject, &caller.actor())
        .await
    {
        Ok(_) => Ok(StatusCode::NO_CONTENT.into_response()),
        Err(GlobalRevocationError::Malformed(why)) => Err(ApiError::malformed("/subject", why)),
        Err(GlobalRevocationError::UnknownUser) => Err(ApiError::NotFound("user")),
        Err(GlobalRevocationError::Admin(e)) => Err(e.into()),
    }
}
