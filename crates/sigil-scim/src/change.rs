//! How one PATCH operation changes the value of one attribute (RFC 7644 §3.5.2.1–3): the
//! whole attribute, a sub-attribute, or the values a value filter selects. Works on the
//! attribute's current value alone; finding the attribute is `patch`'s job.

use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::filter::{CompValue, CompareOp, Filter};
use crate::names::{Scope, get_ci, remove_ci};
use crate::patch::PatchOp;
use crate::resource::{is_primary, takes_bare_value};
use crate::schema::{Attribute, Kind, Mutability};

/// What a PATCH path addresses, resolved against the schemas.
pub(crate) struct Target<'s> {
    /// The schema holding the attribute.
    pub scope: Scope,
    /// The attribute.
    pub attr: &'s Attribute,
    /// Which of its values (for a multi-valued attribute).
    pub filter: Option<Filter>,
    /// The sub-attribute, from `name.givenName` or `emails[…].value`.
    pub sub: Option<&'s Attribute>,
}

/// The attribute's value after the operation, `None` when it ends up unassigned.
pub(crate) fn change(
    op: PatchOp,
    target: &Target<'_>,
    current: Option<Value>,
    value: Option<&Value>,
) -> Result<Option<Value>, ScimError> {
    match (&target.filter, target.sub) {
        (None, None) => whole(op, target.attr, current, value),
        (None, Some(sub)) => sub_attribute(op, target.attr, sub, current, value),
        (Some(filter), _) => filtered(op, target, filter, current, value),
    }
}

fn needs_value(value: Option<&Value>) -> Result<&Value, ScimError> {
    value.ok_or_else(|| ScimError::invalid_syntax("add and replace operations need a value"))
}

fn changed_immutable(name: &str) -> ScimError {
    ScimError::mutability(format!("{name} is immutable and already has a value"))
}

/// Refuses to change an immutable attribute that has a different value.
fn check_immutable(attr: &Attribute, old: Option<&Value>, new: &Value) -> Result<(), ScimError> {
    match old {
        Some(old) if attr.mutability == Mutability::Immutable && old != new => {
            Err(changed_immutable(attr.name))
        }
        _ => Ok(()),
    }
}

fn whole(
    op: PatchOp,
    attr: &Attribute,
    current: Option<Value>,
    value: Option<&Value>,
) -> Result<Option<Value>, ScimError> {
    if op == PatchOp::Remove {
        if let Some(listed) = value.filter(|_| attr.multi_valued) {
            return Ok(remove_listed(attr, current, listed));
        }
        if attr.required {
            return Err(ScimError::mutability(format!("{} is required", attr.name)));
        }
        if attr.mutability == Mutability::Immutable && current.is_some() {
            return Err(changed_immutable(attr.name));
        }
        return Ok(None);
    }
    let value = needs_value(value)?;
    check_immutable(attr, current.as_ref(), value)?;
    if attr.multi_valued {
        Ok(Some(set_items(op, current, value)))
    } else if attr.kind == Kind::Complex {
        merge_complex(attr, current, value)
    } else {
        Ok(Some(value.clone()))
    }
}

/// The values of a multi-valued attribute (a single value counting as one).
fn items(value: Option<Value>) -> Vec<Value> {
    match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items,
        Some(single) => vec![single],
    }
}

/// Whether `item` holds everything `pattern` does (`{"value": "x"}` is in
/// `{"value": "x", "display": "X"}`).
fn contains(item: &Value, pattern: &Value) -> bool {
    match (item.as_object(), pattern.as_object()) {
        (Some(item), Some(pattern)) => {
            !pattern.is_empty() && pattern.iter().all(|(k, v)| get_ci(item, k) == Some(v))
        }
        _ => item == pattern,
    }
}

/// Removes the listed values, as Azure AD removes members (`"value": [{"value": "id"}]`).
/// Values with a `value` sub-attribute are identified by it alone, so that a `display` or
/// `$ref` the client sends along (and may spell differently) does not keep them in place.
fn remove_listed(attr: &Attribute, current: Option<Value>, listed: &Value) -> Option<Value> {
    let patterns = items(Some(listed.clone()));
    let identity = |v: &Value| -> Option<Value> {
        attr.sub("value")?;
        get_ci(v.as_object()?, "value").cloned()
    };
    let mut all = items(current);
    all.retain(|item| {
        !patterns
            .iter()
            .any(|p| match (identity(item), identity(p)) {
                (Some(a), Some(b)) => a == b,
                _ => contains(item, p),
            })
    });
    (!all.is_empty()).then_some(Value::Array(all))
}

/// Add appends the values not already there; replace replaces them all.
fn set_items(op: PatchOp, current: Option<Value>, value: &Value) -> Value {
    let incoming = items(Some(value.clone()));
    if op != PatchOp::Add {
        return Value::Array(incoming);
    }
    let mut all = items(current);
    let first_new = all.len();
    for item in incoming {
        if !all.iter().any(|existing| contains(existing, &item)) {
            all.push(item);
        }
    }
    let added: Vec<usize> = (first_new..all.len()).collect();
    settle_primary(&mut all, &added);
    Value::Array(all)
}

/// When one of `changed` is now primary, no other value stays primary (RFC 7644 §3.5.2).
fn settle_primary(all: &mut [Value], changed: &[usize]) {
    let winner = changed
        .iter()
        .rev()
        .find(|&&i| all.get(i).is_some_and(is_primary));
    let Some(&winner) = winner else {
        return;
    };
    for (i, item) in all.iter_mut().enumerate() {
        if let Some(object) = item.as_object_mut().filter(|_| i != winner)
            && get_ci(object, "primary") == Some(&Value::Bool(true))
        {
            remove_ci(object, "primary");
            object.insert("primary".into(), Value::Bool(false));
        }
    }
}

/// A complex value merged into the current one: sub-attributes it names are set, the others
/// kept (RFC 7644 §3.5.2.3). A bare string stands for `{"value": …}` where that makes sense.
fn merge_complex(
    attr: &Attribute,
    current: Option<Value>,
    value: &Value,
) -> Result<Option<Value>, ScimError> {
    let incoming = match value {
        Value::Object(object) => object.clone(),
        Value::String(s) if takes_bare_value(attr) => {
            Map::from_iter([("value".to_owned(), Value::String(s.clone()))])
        }
        _ => {
            return Err(ScimError::invalid_value(format!(
                "{} takes an object",
                attr.name
            )));
        }
    };
    let old = match current {
        Some(Value::Object(object)) => object,
        _ => Map::new(),
    };
    let merged = merge_object(attr, old, &incoming)?;
    Ok((!merged.is_empty()).then_some(Value::Object(merged)))
}

/// Sets the known, writable sub-attributes of `incoming` on `object`.
fn merge_object(
    attr: &Attribute,
    mut object: Map<String, Value>,
    incoming: &Map<String, Value>,
) -> Result<Map<String, Value>, ScimError> {
    for (key, value) in incoming {
        let Some(sub) = attr.sub(key) else {
            continue;
        };
        if sub.mutability != Mutability::ReadOnly {
            set_sub(PatchOp::Replace, sub, &mut object, Some(value))?;
        }
    }
    Ok(object)
}

/// Sets or removes one sub-attribute of a complex value.
fn set_sub(
    op: PatchOp,
    sub: &Attribute,
    object: &mut Map<String, Value>,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let old = remove_ci(object, sub.name);
    if op == PatchOp::Remove {
        return match old {
            Some(_) if sub.mutability == Mutability::Immutable => Err(changed_immutable(sub.name)),
            _ => Ok(()),
        };
    }
    let value = needs_value(value)?;
    check_immutable(sub, old.as_ref(), value)?;
    object.insert(sub.name.to_owned(), value.clone());
    Ok(())
}

fn sub_attribute(
    op: PatchOp,
    attr: &Attribute,
    sub: &Attribute,
    current: Option<Value>,
    value: Option<&Value>,
) -> Result<Option<Value>, ScimError> {
    if attr.multi_valued {
        let mut all = items(current);
        if all.is_empty() && op != PatchOp::Remove {
            all.push(Value::Object(Map::new()));
        }
        let every: Vec<usize> = (0..all.len()).collect();
        return set_sub_on(op, sub, all, &every, value);
    }
    let mut object = match current {
        Some(Value::Object(object)) => object,
        _ => Map::new(),
    };
    set_sub(op, sub, &mut object, value)?;
    Ok((!object.is_empty()).then_some(Value::Object(object)))
}

/// Sets or removes a sub-attribute on the chosen values of a multi-valued attribute.
fn set_sub_on(
    op: PatchOp,
    sub: &Attribute,
    mut all: Vec<Value>,
    chosen: &[usize],
    value: Option<&Value>,
) -> Result<Option<Value>, ScimError> {
    for &i in chosen {
        if let Some(object) = all.get_mut(i).and_then(Value::as_object_mut) {
            set_sub(op, sub, object, value)?;
        }
    }
    if op != PatchOp::Remove {
        settle_primary(&mut all, chosen);
    }
    Ok(without_empty(all))
}

fn without_empty(mut all: Vec<Value>) -> Option<Value> {
    all.retain(|item| item.as_object().is_none_or(|o| !o.is_empty()));
    (!all.is_empty()).then_some(Value::Array(all))
}

fn filtered(
    op: PatchOp,
    target: &Target<'_>,
    filter: &Filter,
    current: Option<Value>,
    value: Option<&Value>,
) -> Result<Option<Value>, ScimError> {
    let mut all = items(current);
    let matched: Vec<usize> = (0..all.len())
        .filter(|&i| all.get(i).is_some_and(|item| filter.matches(item)))
        .collect();
    if matched.is_empty() {
        return add_seeded(op, target, filter, all, value);
    }
    match (target.sub, op) {
        (Some(sub), _) => set_sub_on(op, sub, all, &matched, value),
        (None, PatchOp::Remove) => {
            let mut index = 0;
            all.retain(|_| {
                index += 1;
                !matched.contains(&(index - 1))
            });
            Ok(without_empty(all))
        }
        (None, _) => {
            replace_matched(op, target.attr, &mut all, &matched, needs_value(value)?)?;
            Ok(without_empty(all))
        }
    }
}

/// A filter that matches nothing is `noTarget` for a replace (RFC 7644 §3.5.2.3, §3.12). A
/// remove of what is not there leaves the resource as it is: removing a member already gone
/// (a user deleted meanwhile, a retried request) reaches the state asked for. An add of a
/// sub-attribute through an equality filter (`addresses[type eq "work"].locality`, as Azure
/// AD sends for a value not yet there) adds a value the filter then matches.
fn add_seeded(
    op: PatchOp,
    target: &Target<'_>,
    filter: &Filter,
    mut all: Vec<Value>,
    value: Option<&Value>,
) -> Result<Option<Value>, ScimError> {
    let no_target = || {
        ScimError::no_target(format!(
            "no value of {} matches the filter",
            target.attr.name
        ))
    };
    if op == PatchOp::Remove {
        return Ok(without_empty(all));
    }
    let (PatchOp::Add, Some(sub)) = (op, target.sub) else {
        return Err(no_target());
    };
    let mut seeded = Map::new();
    if !seed(target.attr, filter, &mut seeded) {
        return Err(no_target());
    }
    set_sub(op, sub, &mut seeded, value)?;
    all.push(Value::Object(seeded));
    let added = [all.len() - 1];
    settle_primary(&mut all, &added);
    Ok(Some(Value::Array(all)))
}

/// Fills `out` with the sub-attributes an `eq` filter (or an `and` of them) requires.
fn seed(attr: &Attribute, filter: &Filter, out: &mut Map<String, Value>) -> bool {
    match filter {
        Filter::Compare(path, CompareOp::Eq, literal) if path.schema.is_none() => {
            let Some(sub) = attr.sub(&path.name).filter(|_| path.sub.is_none()) else {
                return false;
            };
            let value = match literal {
                CompValue::Null => return false,
                CompValue::Bool(b) => Value::Bool(*b),
                CompValue::Number(n) => Value::Number(n.clone()),
                CompValue::String(s) => Value::String(s.clone()),
            };
            out.insert(sub.name.to_owned(), value);
            true
        }
        Filter::And(a, b) => seed(attr, a, out) && seed(attr, b, out),
        _ => false,
    }
}

/// Add merges `value` into each matched value; replace puts it in their place.
fn replace_matched(
    op: PatchOp,
    attr: &Attribute,
    all: &mut [Value],
    matched: &[usize],
    value: &Value,
) -> Result<(), ScimError> {
    let Value::Object(incoming) = value else {
        return Err(ScimError::invalid_value(format!(
            "a value of {} is an object",
            attr.name
        )));
    };
    for &i in matched {
        let Some(slot) = all.get_mut(i) else {
            continue;
        };
        let old = slot.as_object().cloned().unwrap_or_default();
        let next = if op == PatchOp::Add {
            merge_object(attr, old, incoming)?
        } else {
            keeps_immutables(attr, &old, incoming)?;
            incoming.clone()
        };
        *slot = Value::Object(next);
    }
    settle_primary(all, matched);
    Ok(())
}

/// A replacing value must keep the immutable sub-attributes the old one had.
fn keeps_immutables(
    attr: &Attribute,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
) -> Result<(), ScimError> {
    let immutables = attr
        .sub_attributes
        .iter()
        .filter(|s| s.mutability == Mutability::Immutable);
    for sub in immutables {
        let before = get_ci(old, sub.name);
        if before.is_some() && before != get_ci(new, sub.name) {
            return Err(changed_immutable(sub.name));
        }
    }
    Ok(())
}
