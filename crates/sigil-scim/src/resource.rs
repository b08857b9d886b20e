//! A resource as a JSON object: cleaning what a client sends into the stored form
//! (`canonicalize`), choosing what to send back (`project`, RFC 7644 §3.4.2.5 and §3.9), and
//! reading the primary value of a multi-valued attribute (`primary_value`).

use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::names::{Scope, extension_index, get_ci, split_scope};
use crate::schema::{Attribute, Kind, Mutability, Returned, Schema};

/// Entries gathered for one schema: attribute name as sent, value.
type Entries<'a> = Vec<(String, &'a Value)>;

/// Cleans a resource sent by a client into its stored form: attribute names in the schema's
/// spelling (they are case-insensitive, RFC 7643 §2.1), extension attributes under their URN,
/// `externalId` kept, `id`, `meta`, `schemas`, read-only and unknown attributes dropped
/// (RFC 7644 §3.5.1), `null` and empty values removed as unassigned (RFC 7643 §2.5), and
/// every value checked against its type. The caller sets `id`, `meta` and `schemas`.
pub fn canonicalize(
    input: &Value,
    core: &Schema,
    extensions: &[&Schema],
) -> Result<Map<String, Value>, ScimError> {
    let object = input
        .as_object()
        .ok_or_else(|| ScimError::invalid_syntax("a resource must be a JSON object"))?;
    let (core_part, extension_parts) = split(object, core, extensions)?;
    let mut out = Map::new();
    for (name, value) in core_part {
        clean_core_entry(&name, value, core, &mut out)?;
    }
    for (schema, part) in extensions.iter().zip(extension_parts) {
        let cleaned = clean_entries(schema, part)?;
        if !cleaned.is_empty() {
            out.insert(schema.id.to_owned(), Value::Object(cleaned));
        }
    }
    check_required(core, &out)?;
    Ok(out)
}

/// Sorts the entries of a resource by schema (the core schema first, then the extensions),
/// folding `urn:…:name` keys into their schema.
fn split<'a>(
    object: &'a Map<String, Value>,
    core: &Schema,
    extensions: &[&Schema],
) -> Result<(Entries<'a>, Vec<Entries<'a>>), ScimError> {
    let mut parts: Vec<Entries<'a>> = vec![Vec::new(); extensions.len() + 1];
    let slot = |scope| match scope {
        Scope::Core => 0,
        Scope::Extension(i) => i + 1,
    };
    for (key, value) in object {
        match (split_scope(key, core, extensions), value) {
            (Some((scope, None)), Value::Object(inner)) => {
                if let Some(part) = parts.get_mut(slot(scope)) {
                    part.extend(inner.iter().map(|(k, v)| (k.clone(), v)));
                }
            }
            (Some((_, None)), Value::Null) | (None, _) => {}
            (Some((_, None)), _) => {
                return Err(ScimError::invalid_value(format!("{key} must be an object")));
            }
            (Some((scope, Some(name))), _) => {
                if let Some(part) = parts.get_mut(slot(scope)) {
                    part.push((name.to_owned(), value));
                }
            }
        }
    }
    let core_part = if parts.is_empty() {
        Vec::new()
    } else {
        parts.remove(0)
    };
    Ok((core_part, parts))
}

fn clean_core_entry(
    name: &str,
    value: &Value,
    core: &Schema,
    out: &mut Map<String, Value>,
) -> Result<(), ScimError> {
    if name.eq_ignore_ascii_case("externalId") {
        match value {
            Value::Null => {}
            Value::String(_) => {
                out.insert("externalId".into(), value.clone());
            }
            _ => return Err(ScimError::invalid_value("externalId must be a string")),
        }
    } else if let Some(attribute) = core.find(name)
        && let Some(cleaned) = clean_attribute(attribute, value, attribute.name)?
    {
        out.insert(attribute.name.to_owned(), cleaned);
    }
    Ok(())
}

fn clean_entries(schema: &Schema, entries: Entries<'_>) -> Result<Map<String, Value>, ScimError> {
    let mut out = Map::new();
    for (name, value) in entries {
        if let Some(attribute) = schema.find(&name)
            && let Some(cleaned) = clean_attribute(attribute, value, attribute.name)?
        {
            out.insert(attribute.name.to_owned(), cleaned);
        }
    }
    Ok(out)
}

/// An attribute's value cleaned and type-checked, `None` when it is unassigned or read-only.
/// `label` names the attribute in errors.
pub(crate) fn clean_attribute(
    attribute: &Attribute,
    value: &Value,
    label: &str,
) -> Result<Option<Value>, ScimError> {
    if attribute.mutability == Mutability::ReadOnly {
        return Ok(None);
    }
    if !attribute.multi_valued {
        return clean_value(attribute, value, label);
    }
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        single => vec![single],
    };
    let mut cleaned = Vec::new();
    for item in items {
        if let Some(item) = clean_value(attribute, item, label)? {
            cleaned.push(item);
        }
    }
    if cleaned.iter().filter(|item| is_primary(item)).count() > 1 {
        return Err(ScimError::invalid_value(format!(
            "at most one value of {label} may be primary"
        )));
    }
    Ok((!cleaned.is_empty()).then_some(Value::Array(cleaned)))
}

/// Whether a value of a multi-valued attribute is marked primary.
pub(crate) fn is_primary(item: &Value) -> bool {
    item.as_object()
        .and_then(|o| get_ci(o, "primary"))
        .is_some_and(|p| p == &Value::Bool(true))
}

/// One value (of a single-valued attribute, or one of a multi-valued one) checked.
fn clean_value(
    attribute: &Attribute,
    value: &Value,
    label: &str,
) -> Result<Option<Value>, ScimError> {
    let ok = |v: Value| Ok(Some(v));
    match (attribute.kind, value) {
        (_, Value::Null) => Ok(None),
        (Kind::Complex, Value::Object(object)) => clean_complex(attribute, object, label),
        (Kind::Complex, Value::String(s)) if takes_bare_value(attribute) => clean_complex(
            attribute,
            &Map::from_iter([("value".into(), s.clone().into())]),
            label,
        ),
        (Kind::String | Kind::Reference | Kind::DateTime | Kind::Binary, Value::String(_)) => {
            ok(value.clone())
        }
        (Kind::Boolean, Value::Bool(_)) => ok(value.clone()),
        (Kind::Boolean, Value::String(s)) if s.eq_ignore_ascii_case("true") => ok(true.into()),
        (Kind::Boolean, Value::String(s)) if s.eq_ignore_ascii_case("false") => ok(false.into()),
        (Kind::Integer, Value::Number(n)) if n.is_i64() || n.is_u64() => ok(value.clone()),
        (Kind::Decimal, Value::Number(_)) => ok(value.clone()),
        (kind, _) => Err(ScimError::invalid_value(format!(
            "{label} must be {}",
            expected(kind)
        ))),
    }
}

/// Whether a bare string stands for `{"value": …}`, as Azure AD sends `manager`.
pub(crate) fn takes_bare_value(attribute: &Attribute) -> bool {
    attribute.kind == Kind::Complex && !attribute.multi_valued && attribute.sub("value").is_some()
}

fn clean_complex(
    attribute: &Attribute,
    object: &Map<String, Value>,
    label: &str,
) -> Result<Option<Value>, ScimError> {
    let mut out = Map::new();
    for (key, value) in object {
        let Some(sub) = attribute.sub(key) else {
            continue;
        };
        let sub_label = format!("{label}.{}", sub.name);
        if let Some(cleaned) = clean_attribute(sub, value, &sub_label)? {
            out.insert(sub.name.to_owned(), cleaned);
        }
    }
    Ok((!out.is_empty()).then_some(Value::Object(out)))
}

fn expected(kind: Kind) -> &'static str {
    match kind {
        Kind::String | Kind::Reference | Kind::DateTime | Kind::Binary => "a string",
        Kind::Boolean => "true or false",
        Kind::Integer => "an integer",
        Kind::Decimal => "a number",
        Kind::Complex => "an object",
    }
}

fn check_required(core: &Schema, out: &Map<String, Value>) -> Result<(), ScimError> {
    match core
        .attributes
        .iter()
        .find(|a| a.required && !out.contains_key(a.name))
    {
        Some(missing) => Err(ScimError::invalid_value(format!(
            "{} is required",
            missing.name
        ))),
        None => Ok(()),
    }
}

/// The `value` of the primary value of a multi-valued attribute, or of its first value.
pub fn primary_value(resource: &Map<String, Value>, attribute: &str) -> Option<String> {
    let items = get_ci(resource, attribute)?.as_array()?;
    let chosen = items
        .iter()
        .find(|item| is_primary(item))
        .or_else(|| items.first())?;
    let value = get_ci(chosen.as_object()?, "value")?;
    value.as_str().map(str::to_owned)
}

/// An attribute (or sub-attribute) named in `attributes` or `excludedAttributes`.
struct Selector {
    scope: Scope,
    /// `None` for a whole extension.
    name: Option<String>,
    sub: Option<String>,
}

impl Selector {
    fn parse(text: &str, core: &Schema, extensions: &[&Schema]) -> Option<Self> {
        let (scope, rest) = split_scope(text.trim(), core, extensions)?;
        let (name, sub) = match rest.map(|r| r.split_once('.').unwrap_or((r, ""))) {
            Some((name, sub)) => (Some(name.to_owned()), Some(sub).filter(|s| !s.is_empty())),
            None => (None, None),
        };
        Some(Self {
            scope,
            name,
            sub: sub.map(str::to_owned),
        })
    }

    fn selects_whole(&self, scope: Scope, name: &str) -> bool {
        self.scope == scope
            && match &self.name {
                None => true,
                Some(n) => n.eq_ignore_ascii_case(name) && self.sub.is_none(),
            }
    }

    fn sub_of(&self, scope: Scope, name: &str) -> Option<&str> {
        let same = self.scope == scope
            && self
                .name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(name));
        self.sub.as_deref().filter(|_| same)
    }
}

/// What a query asked to be returned.
struct Projection<'s> {
    wanted: Vec<Selector>,
    excluded: Vec<Selector>,
    core: &'s Schema,
    extensions: &'s [&'s Schema],
}

/// A resource as returned to a client (RFC 7644 §3.4.2.5, §3.9): with `attributes`, only
/// those (and `id`, `schemas` and what is `returned: always`); without, all but the
/// `excluded` ones (never those `returned: always`); never what is `returned: never`, and
/// what is `returned: request` only when asked for. Paths may name sub-attributes
/// (`name.givenName`, `emails.value`) and carry a schema URN; case is ignored.
pub fn project(
    resource: &Value,
    attributes: &[String],
    excluded: &[String],
    core: &Schema,
    extensions: &[&Schema],
) -> Value {
    let Some(object) = resource.as_object() else {
        return resource.clone();
    };
    let parse = |texts: &[String]| {
        texts
            .iter()
            .filter_map(|t| Selector::parse(t, core, extensions))
            .collect()
    };
    let projection = Projection {
        wanted: parse(attributes),
        excluded: parse(excluded),
        core,
        extensions,
    };
    let mut out = Map::new();
    for (key, value) in object {
        if let Some(kept) = projection.entry(key, value) {
            out.insert(key.clone(), kept);
        }
    }
    Value::Object(out)
}

impl Projection<'_> {
    fn entry(&self, key: &str, value: &Value) -> Option<Value> {
        if key.eq_ignore_ascii_case("schemas") {
            return Some(value.clone());
        }
        match (extension_index(key, self.extensions), value) {
            (Some(i), Value::Object(inner)) => self.extension(Scope::Extension(i), inner),
            _ => self.attribute(Scope::Core, key, value),
        }
    }

    fn extension(&self, scope: Scope, inner: &Map<String, Value>) -> Option<Value> {
        let mut out = Map::new();
        for (key, value) in inner {
            if let Some(kept) = self.attribute(scope, key, value) {
                out.insert(key.clone(), kept);
            }
        }
        (!out.is_empty()).then_some(Value::Object(out))
    }

    fn attribute(&self, scope: Scope, key: &str, value: &Value) -> Option<Value> {
        let definition = crate::names::definition(scope, key, self.core, self.extensions);
        let returned = definition.map_or(Returned::Default, |a| a.returned);
        match returned {
            Returned::Never => return None,
            Returned::Always => return Some(value.clone()),
            Returned::Request if self.wanted.is_empty() => return None,
            _ => {}
        }
        let whole =
            self.wanted.is_empty() || self.wanted.iter().any(|s| s.selects_whole(scope, key));
        let value = if whole {
            // Sub-attributes returned never, or only on request, go unless asked for by name.
            let asked: Vec<&str> = self
                .wanted
                .iter()
                .filter_map(|s| s.sub_of(scope, key))
                .collect();
            let hidden = |k: &str| {
                definition
                    .and_then(|d| d.sub(k))
                    .is_some_and(|sub| match sub.returned {
                        Returned::Never => true,
                        Returned::Request => !asked.iter().any(|a| a.eq_ignore_ascii_case(k)),
                        _ => false,
                    })
            };
            match definition {
                Some(d) if !d.sub_attributes.is_empty() => filter_subs(value, |k| !hidden(k))?,
                _ => value.clone(),
            }
        } else {
            let subs: Vec<&str> = self
                .wanted
                .iter()
                .filter_map(|s| s.sub_of(scope, key))
                .collect();
            filter_subs(value, |k| subs.iter().any(|s| s.eq_ignore_ascii_case(k)))?
        };
        if self.excluded.iter().any(|s| s.selects_whole(scope, key)) {
            return None;
        }
        let gone: Vec<&str> = self
            .excluded
            .iter()
            .filter_map(|s| s.sub_of(scope, key))
            .collect();
        if gone.is_empty() {
            return Some(value);
        }
        filter_subs(&value, |k| !gone.iter().any(|s| s.eq_ignore_ascii_case(k)))
    }
}

/// A complex value (or array of them) keeping only the sub-attributes `keep` accepts; `None`
/// when nothing is left.
fn filter_subs(value: &Value, keep: impl Fn(&str) -> bool + Copy) -> Option<Value> {
    match value {
        Value::Object(object) => {
            let kept: Map<String, Value> = object
                .iter()
                .filter(|(k, _)| keep(k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            (!kept.is_empty()).then_some(Value::Object(kept))
        }
        Value::Array(items) => {
            let kept: Vec<Value> = items.iter().filter_map(|i| filter_subs(i, keep)).collect();
            (!kept.is_empty()).then_some(Value::Array(kept))
        }
        _ => None,
    }
}

#[cfg(test)]
#[path = "resource_tests.rs"]
mod tests;
