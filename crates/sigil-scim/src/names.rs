//! Where a name lives: attribute names and URN prefixes, matched ignoring case as SCIM
//! requires (RFC 7643 §2.1), resolved against a core schema and its extensions.

use serde_json::{Map, Value};

use crate::schema::{Attribute, Schema, common_attributes};

/// The schema an attribute belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// The core schema, or a common attribute (`id`, `externalId`, `meta`).
    Core,
    /// The extension at this index, stored under its URN.
    Extension(usize),
}

/// An entry of an object, by key ignoring case.
pub(crate) fn get_ci<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    object
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// Removes every entry whose key is `key` ignoring case, returning the last one removed.
pub(crate) fn remove_ci(object: &mut Map<String, Value>, key: &str) -> Option<Value> {
    let keys: Vec<String> = object
        .keys()
        .filter(|k| k.eq_ignore_ascii_case(key))
        .cloned()
        .collect();
    keys.into_iter().filter_map(|k| object.remove(&k)).last()
}

/// The index of the extension whose URN `key` is.
pub(crate) fn extension_index(key: &str, extensions: &[&Schema]) -> Option<usize> {
    extensions
        .iter()
        .position(|s| s.id.eq_ignore_ascii_case(key))
}

/// What follows `urn:` in `key` when `key` starts with `urn` and a colon.
fn after_urn<'k>(key: &'k str, urn: &str) -> Option<&'k str> {
    let head = key.get(..urn.len())?;
    let rest = key.get(urn.len()..)?.strip_prefix(':')?;
    (head.eq_ignore_ascii_case(urn) && !rest.is_empty()).then_some(rest)
}

/// Splits a name or path into its schema and what follows: `None` as the rest for a bare
/// extension URN, `None` altogether for a URN of a schema that is not here.
pub(crate) fn split_scope<'k>(
    text: &'k str,
    core: &Schema,
    extensions: &[&Schema],
) -> Option<(Scope, Option<&'k str>)> {
    if let Some(i) = extension_index(text, extensions) {
        return Some((Scope::Extension(i), None));
    }
    for (i, schema) in extensions.iter().enumerate() {
        if let Some(rest) = after_urn(text, schema.id) {
            return Some((Scope::Extension(i), Some(rest)));
        }
    }
    if let Some(rest) = after_urn(text, core.id) {
        return Some((Scope::Core, Some(rest)));
    }
    let is_urn = text
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("urn:"));
    (!is_urn).then_some((Scope::Core, Some(text)))
}

/// The definition of an attribute of a scope; in the core scope, common attributes too.
pub(crate) fn definition<'s>(
    scope: Scope,
    name: &str,
    core: &'s Schema,
    extensions: &[&'s Schema],
) -> Option<&'s Attribute> {
    match scope {
        Scope::Core => core.find(name).or_else(|| {
            common_attributes()
                .iter()
                .find(|a| a.name.eq_ignore_ascii_case(name))
        }),
        Scope::Extension(i) => extensions.get(i)?.find(name),
    }
}
