//! Request bodies and conditional requests: JSON bodies that refuse unknown fields and point
//! at the field at fault, and `ETag` / `If-Match` over a resource's revision.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::{CONTENT_TYPE, ETAG, IF_MATCH, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue};
use serde::de::DeserializeOwned;
use serde_path_to_error::Segment;
use sigil_oidc::admin::Precondition;

use super::error::ApiError;

/// A JSON request body (`application/json`, or any `+json` type such as
/// `application/merge-patch+json`).
pub struct JsonBody<T>(pub T);

/// Whether a `Content-Type` names JSON.
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|v| {
            v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
        })
}

/// Parses JSON, naming the field that failed as a JSON Pointer.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let pointer: String = e
            .path()
            .iter()
            .map(|segment| {
                let token = match segment {
                    Segment::Seq { index } => index.to_string(),
                    Segment::Map { key } => key.clone(),
                    Segment::Enum { variant } => variant.clone(),
                    Segment::Unknown => "?".to_owned(),
                };
                format!("/{}", token.replace('~', "~0").replace('/', "~1"))
            })
            .collect();
        ApiError::malformed(pointer, e.into_inner().to_string())
    })
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(req.headers()) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::PayloadTooLarge)?;
        // Every body of this API is an object (serde would also take a struct as an array).
        if bytes.trim_ascii_start().first() != Some(&b'{') {
            return Err(ApiError::malformed("", "the body must be a JSON object"));
        }
        parse_json(&bytes).map(JsonBody)
    }
}

/// The strong entity tag of a revision.
pub fn etag(revision: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{revision}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// The `ETag` header for a revision.
pub fn etag_header(revision: i64) -> [(axum::http::HeaderName, HeaderValue); 1] {
    [(ETAG, etag(revision))]
}

/// What `If-Match` asks: `*` (any current revision) or the revision of one of our entity
/// tags (`"3"`). Any other tag (weak, foreign, a list) can never match our strong tags: it is a
/// precondition that fails (412), as HTTP has it. Only an empty value is malformed.
fn parse_if_match(value: &str) -> Option<Precondition> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if value == "*" {
        return Some(Precondition::None);
    }
    let revision = value
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .filter(|t| t.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|t| t.parse::<i64>().ok())
        .unwrap_or(NO_REVISION);
    Some(Precondition::Revision(revision))
}

/// A revision no resource has (they start at 1).
const NO_REVISION: i64 = -1;

/// `If-Match` for an update, which must carry one (428 otherwise).
pub fn required_if_match(headers: &HeaderMap) -> Result<Precondition, ApiError> {
    optional_if_match(headers)?.ok_or(ApiError::PreconditionRequired)
}

/// `If-Match`, when sent.
pub fn optional_if_match(headers: &HeaderMap) -> Result<Option<Precondition>, ApiError> {
    match headers.get(IF_MATCH) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(parse_if_match)
            .map(Some)
            .ok_or_else(|| {
                ApiError::malformed("If-Match", "must be * or an entity tag, such as \"3\"")
            }),
    }
}

/// Whether `If-None-Match` already names this revision (a `304 Not Modified` suffices).
pub fn not_modified(headers: &HeaderMap, revision: i64) -> bool {
    let tag = format!("\"{revision}\"");
    headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == "*" || t == tag)
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn if_match_names_a_revision_or_anything() {
        assert_eq!(parse_if_match("\"3\""), Some(Precondition::Revision(3)));
        assert_eq!(parse_if_match("*"), Some(Precondition::None));
        for foreign in [
            "W/\"3\"",
            "\"abc\"",
            "\"\"",
            "\"1\", \"2\"",
            "null",
            "\"99999999999999999999\"",
        ] {
            assert_eq!(
                parse_if_match(foreign),
                Some(Precondition::Revision(NO_REVISION)),
                "{foreign}"
            );
        }
        assert_eq!(parse_if_match(" "), None);
    }

    #[test]
    fn malformed_json_points_at_the_field() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Body {
            name: String,
        }
        let Err(ApiError::Malformed(errors)) = parse_json::<Body>(br#"{"name": 3}"#) else {
            panic!("accepted")
        };
        assert_eq!(errors[0].pointer, "/name");
        let Err(ApiError::Malformed(errors)) = parse_json::<Body>(br#"{"name": "x", "nmae": 1}"#)
        else {
            panic!("accepted")
        };
        assert!(errors[0].detail.contains("unknown field"), "{errors:?}");
    }
}
