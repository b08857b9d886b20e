//! Bulk operations (RFC 7644 §3.7): several creates, replaces, patches and deletes in one
//! request, each answered on its own. A later operation may refer to a resource an earlier
//! one creates by `bulkId:…`, in its data or path; operations whose references are not yet
//! resolvable wait until they are, so the order of the request does not matter, and a
//! reference that never resolves fails that operation alone.

use serde_json::{Map, Value, json};

use super::discovery::MAX_BULK_OPERATIONS;
use super::{ResourceType, Scim, SearchParams, precondition};
use crate::error::{ScimError, ScimType};
use crate::schema::{BULK_REQUEST, BULK_RESPONSE};

/// One operation of a bulk request.
struct Operation {
    method: String,
    bulk_id: Option<String>,
    version: Option<String>,
    path: String,
    data: Option<Value>,
}

fn syntax(detail: impl Into<String>) -> ScimError {
    ScimError::invalid_syntax(detail)
}

fn parse_request(body: &Value) -> Result<(Vec<Operation>, Option<usize>), ScimError> {
    let object = body
        .as_object()
        .ok_or_else(|| syntax("a bulk request is a JSON object"))?;
    let get = |name: &str| crate::names::get_ci(object, name);
    let declares = get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|v| v == BULK_REQUEST));
    if !declares {
        return Err(syntax(format!("schemas must include {BULK_REQUEST}")));
    }
    let fail_on_errors = match get("failOnErrors") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| syntax("failOnErrors must be a positive integer"))?,
        ),
    };
    let items = get("Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| syntax("Operations must be an array"))?;
    if items.len() > MAX_BULK_OPERATIONS {
        return Err(ScimError {
            status: 413,
            scim_type: Some(ScimType::TooMany),
            detail: format!("a bulk request carries at most {MAX_BULK_OPERATIONS} operations"),
        });
    }
    let operations = items
        .iter()
        .map(parse_operation)
        .collect::<Result<_, _>>()?;
    Ok((operations, fail_on_errors))
}

fn parse_operation(item: &Value) -> Result<Operation, ScimError> {
    let object = item
        .as_object()
        .ok_or_else(|| syntax("each operation is a JSON object"))?;
    let text = |name: &str| {
        crate::names::get_ci(object, name)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let method = text("method")
        .ok_or_else(|| syntax("each operation needs a method"))?
        .to_ascii_uppercase();
    if !matches!(method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE") {
        return Err(syntax(format!("{method} is not a bulk method")));
    }
    let bulk_id = text("bulkId");
    if method == "POST" && bulk_id.is_none() {
        return Err(syntax("a POST operation needs a bulkId"));
    }
    Ok(Operation {
        method,
        bulk_id,
        version: text("version"),
        path: text("path").ok_or_else(|| syntax("each operation needs a path"))?,
        data: crate::names::get_ci(object, "data").cloned(),
    })
}

/// Replaces every `bulkId:…` string in `value` by the id it was created as; `Err` names the
/// first reference not (yet) known.
fn resolve(value: &Value, created: &Map<String, Value>) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) => match s.strip_prefix("bulkId:") {
            Some(id) => created.get(id).cloned().ok_or_else(|| id.to_owned())?,
            None => value.clone(),
        },
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| resolve(v, created))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| Ok((k.clone(), resolve(v, created)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

fn resolve_path(path: &str, created: &Map<String, Value>) -> Result<String, String> {
    match path.split_once("bulkId:") {
        Some((head, id)) => match created.get(id).and_then(Value::as_str) {
            Some(real) => Ok(format!("{head}{real}")),
            None => Err(id.to_owned()),
        },
        None => Ok(path.to_owned()),
    }
}

impl Scim<'_> {
    /// `POST /Bulk`.
    pub async fn bulk(&self, body: &Value) -> Result<Value, ScimError> {
        let (operations, fail_on_errors) = parse_request(body)?;
        let mut results: Vec<Option<Value>> = vec![None; operations.len()];
        let mut created = Map::new();
        let mut errors = 0;
        loop {
            let mut progressed = false;
            for (i, op) in operations.iter().enumerate() {
                if results[i].is_some() {
                    continue;
                }
                let resolved = resolve_path(&op.path, &created).and_then(|path| {
                    let data = op.data.as_ref().map(|d| resolve(d, &created)).transpose()?;
                    Ok((path, data))
                });
                let Ok((path, data)) = resolved else { continue };
                progressed = true;
                let outcome = self.run(op, &path, data.as_ref()).await;
                if let (Ok((_, Some(resource))), Some(bulk_id)) = (&outcome, &op.bulk_id)
                    && let Some(id) = resource.get("id")
                {
                    created.insert(bulk_id.clone(), id.clone());
                }
                errors += usize::from(outcome.is_err());
                results[i] = Some(result(op, outcome));
                if fail_on_errors.is_some_and(|limit| errors >= limit) {
                    return Ok(response(results));
                }
            }
            if !progressed {
                break;
            }
        }
        // Whatever is left refers to a bulkId no operation created.
        for (i, op) in operations.iter().enumerate() {
            if results[i].is_none() {
                let e = ScimError::bad_request(
                    ScimType::InvalidValue,
                    "the operation refers to a bulkId that no operation created",
                );
                results[i] = Some(result(op, Err(e)));
            }
        }
        Ok(response(results))
    }

    /// Runs one operation: its status and, for creates and changes, the resource.
    async fn run(
        &self,
        op: &Operation,
        path: &str,
        data: Option<&Value>,
    ) -> Result<(u16, Option<Value>), ScimError> {
        let params = SearchParams::default();
        let expect = precondition(op.version.as_deref());
        let empty = Value::Null;
        let data = data.unwrap_or(&empty);
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let target = match segments.as_slice() {
            [endpoint] => ResourceType::from_endpoint(endpoint).map(|k| (k, None)),
            [endpoint, id] => ResourceType::from_endpoint(endpoint).map(|k| (k, Some(*id))),
            _ => None,
        };
        match (op.method.as_str(), target) {
            ("POST", Some((kind, None))) => {
                Ok((201, Some(self.create(kind, data, &params).await?.body)))
            }
            ("PUT", Some((kind, Some(id)))) => Ok((
                200,
                Some(self.replace(kind, id, data, expect, &params).await?.body),
            )),
            ("PATCH", Some((kind, Some(id)))) => Ok((
                200,
                Some(self.patch(kind, id, data, expect, &params).await?.body),
            )),
            ("DELETE", Some((kind, Some(id)))) => {
                self.delete(kind, id, expect).await.map(|()| (204, None))
            }
            _ => Err(ScimError::bad_request(
                ScimType::InvalidPath,
                format!(
                    "{} {path} is not an operation on Users or Groups",
                    op.method
                ),
            )),
        }
    }
}

fn result(op: &Operation, outcome: Result<(u16, Option<Value>), ScimError>) -> Value {
    let mut out = Map::new();
    out.insert("method".into(), json!(op.method));
    if let Some(bulk_id) = &op.bulk_id {
        out.insert("bulkId".into(), json!(bulk_id));
    }
    match outcome {
        Ok((status, resource)) => {
            let meta = resource.as_ref().and_then(|r| r.get("meta"));
            if let Some(location) = meta.and_then(|m| m.get("location")) {
                out.insert("location".into(), location.clone());
            }
            if let Some(version) = meta.and_then(|m| m.get("version")) {
                out.insert("version".into(), version.clone());
            }
            out.insert("status".into(), json!(status.to_string()));
        }
        Err(e) => {
            out.insert("status".into(), json!(e.status.to_string()));
            out.insert("response".into(), e.to_json());
        }
    }
    Value::Object(out)
}

fn response(results: Vec<Option<Value>>) -> Value {
    json!({
        "schemas": [BULK_RESPONSE],
        "Operations": results.into_iter().flatten().collect::<Vec<_>>(),
    })
}
