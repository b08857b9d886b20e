//! `GET /api/v1/docs`: the API reference as a server-rendered page, generated from the same
//! OpenAPI document, with no script and nothing fetched from elsewhere (it must work on a
//! closed network and under the strict CSP every page has).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use serde_json::Value;

use super::{PREFIX, openapi};
use crate::extract::Tenant;
use crate::state::AppState;

#[derive(Serialize)]
struct Parameter {
    name: String,
    location: String,
    required: bool,
    ty: String,
    description: String,
}

#[derive(Serialize)]
struct Outcome {
    status: String,
    description: String,
    body: String,
}

#[derive(Serialize)]
struct Operation {
    anchor: String,
    method: String,
    path: String,
    summary: String,
    description: String,
    scopes: Vec<String>,
    parameters: Vec<Parameter>,
    body: String,
    body_schema: String,
    responses: Vec<Outcome>,
}

#[derive(Serialize)]
struct Field {
    name: String,
    ty: String,
    required: bool,
    description: String,
}

#[derive(Serialize)]
struct Schema {
    name: String,
    description: String,
    fields: Vec<Field>,
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// A short human name for a JSON schema: a referenced schema's name, `array of X`, a type
/// list, or the enumerated values.
fn type_name(s: &Value) -> String {
    if let Some(r) = s["$ref"].as_str() {
        return r.rsplit('/').next().unwrap_or(r).to_owned();
    }
    if let Some(values) = s["enum"].as_array() {
        return values
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(" | ");
    }
    if let Some(any) = s["oneOf"].as_array().or_else(|| s["anyOf"].as_array()) {
        return any.iter().map(type_name).collect::<Vec<_>>().join(" | ");
    }
    let base = match &s["type"] {
        Value::String(t) => t.clone(),
        Value::Array(ts) => ts.iter().map(text).collect::<Vec<_>>().join(" | "),
        _ => "any".to_owned(),
    };
    if base.starts_with("array") {
        return format!("{base} of {}", type_name(&s["items"]));
    }
    match s["format"].as_str() {
        Some(f) => format!("{base} ({f})"),
        None => base,
    }
}

fn body_of(content: &Value) -> String {
    content
        .as_object()
        .and_then(|c| c.iter().next())
        .map(|(media, v)| format!("{} ({media})", type_name(&v["schema"])))
        .unwrap_or_default()
}

fn schema_of(content: &Value) -> String {
    content
        .as_object()
        .and_then(|c| c.values().next())
        .map(|v| type_name(&v["schema"]))
        .unwrap_or_default()
}

fn operations(doc: &Value) -> Vec<Operation> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for method in ["get", "post", "put", "patch", "delete"] {
            let op = &item[method];
            if op.is_null() {
                continue;
            }
            let scopes = op["security"][0]["oauth2"]
                .as_array()
                .map(|s| s.iter().map(text).collect())
                .unwrap_or_default();
            let parameters = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| Parameter {
                    name: text(&p["name"]),
                    location: text(&p["in"]),
                    required: p["required"].as_bool().unwrap_or(false),
                    ty: type_name(&p["schema"]),
                    description: text(&p["description"]),
                })
                .collect();
            let responses = op["responses"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(status, r)| Outcome {
                    status: status.clone(),
                    description: text(&r["description"]),
                    body: body_of(&r["content"]),
                })
                .collect();
            ops.push(Operation {
                anchor: format!("{method}-{}", path.replace(['/', '{', '}'], "-")),
                method: method.to_uppercase(),
                path: format!("{PREFIX}{path}"),
                summary: text(&op["summary"]),
                description: text(&op["description"]),
                scopes,
                parameters,
                body: body_of(&op["requestBody"]["content"]),
                body_schema: schema_of(&op["requestBody"]["content"]),
                responses,
            });
        }
    }
    ops
}

fn schemas(doc: &Value) -> Vec<Schema> {
    doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, s)| {
            let required: Vec<&str> = s["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let fields = s["properties"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(field, f)| Field {
                    name: field.clone(),
                    ty: type_name(f),
                    required: required.contains(&field.as_str()),
                    description: text(&f["description"]),
                })
                .collect();
            let description = match s["enum"].as_array().or(s["oneOf"].as_array()) {
                Some(_) => format!("{}: {}", text(&s["description"]), type_name(s)),
                None => text(&s["description"]),
            };
            Schema {
                name: name.clone(),
                description,
                fields,
            }
        })
        .collect()
}

/// The reference page.
pub async fn reference(State(state): State<AppState>, Tenant(t): Tenant) -> Response {
    let doc = serde_json::to_value(openapi(&t)).unwrap_or_default();
    let ctx = minijinja::context! {
        product => "Sigil",
        lang => "en",
        title => text(&doc["info"]["title"]),
        description => text(&doc["info"]["description"]),
        server => text(&doc["servers"][0]["url"]),
        token_url => text(&doc["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]["tokenUrl"]),
        spec => format!("{}{PREFIX}/openapi.json", t.path_prefix()),
        operations => operations(&doc),
        schemas => schemas(&doc),
    };
    state
        .pages
        .respond("api_docs.html", ctx, StatusCode::OK, &[], &[])
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn types_read_as_words() {
        assert_eq!(
            type_name(&json!({"$ref": "#/components/schemas/User"})),
            "User"
        );
        assert_eq!(
            type_name(&json!({"type": ["string", "null"]})),
            "string | null"
        );
        assert_eq!(
            type_name(&json!({"type": "array", "items": {"$ref": "#/c/s/X"}})),
            "array of X"
        );
        assert_eq!(
            type_name(&json!({"type": "integer", "format": "int32"})),
            "integer (int32)"
        );
    }
}
