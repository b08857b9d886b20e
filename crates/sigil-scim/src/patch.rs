//! PATCH (RFC 7644 §3.5.2): reading the request and applying its operations to a resource.
//!
//! Paths and attribute names ignore case and may carry a schema URN; operation names ignore
//! case too (Azure AD sends `"Add"`, `"Replace"`). Applying is all or nothing. The result is
//! type-checked with `canonicalize`, which the caller should then run to store it in
//! canonical form.

use serde_json::{Map, Value};

use crate::change::{Target, change};
use crate::error::ScimError;
use crate::filter::parse_path;
use crate::names::{Scope, definition, get_ci, remove_ci, split_scope};
use crate::resource::canonicalize;
use crate::schema::{Mutability, PATCH_OP, Schema};

/// Most operations accepted in one request.
pub const MAX_OPERATIONS: usize = 1000;

/// A PATCH operation's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchOp {
    /// Add values (§3.5.2.1).
    Add,
    /// Remove values (§3.5.2.2).
    Remove,
    /// Replace values (§3.5.2.3).
    Replace,
}

impl PatchOp {
    /// Parses an operation name, ignoring case.
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "add" => Some(PatchOp::Add),
            "remove" => Some(PatchOp::Remove),
            "replace" => Some(PatchOp::Replace),
            _ => None,
        }
    }
}

/// One operation of a PATCH request.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOperation {
    /// What to do.
    pub op: PatchOp,
    /// The attribute path (§3.5.2); `None` addresses the resource itself.
    pub path: Option<String>,
    /// The value, required for add and replace.
    pub value: Option<Value>,
}

/// Reads a PATCH request body: `schemas` must name the PatchOp message and `Operations` must
/// hold 1 to `MAX_OPERATIONS` operations; anything else is 400 `invalidSyntax`.
pub fn parse_patch_request(body: &Value) -> Result<Vec<PatchOperation>, ScimError> {
    let object = body
        .as_object()
        .ok_or_else(|| ScimError::invalid_syntax("a PATCH request is a JSON object"))?;
    let names_patch_op = get_ci(object, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|u| u.as_str() == Some(PATCH_OP)));
    if !names_patch_op {
        return Err(ScimError::invalid_syntax(format!(
            "schemas must contain {PATCH_OP}"
        )));
    }
    let operations = get_ci(object, "Operations")
        .and_then(Value::as_array)
        .filter(|ops| !ops.is_empty())
        .ok_or_else(|| ScimError::invalid_syntax("Operations must be a non-empty array"))?;
    if operations.len() > MAX_OPERATIONS {
        return Err(ScimError::invalid_syntax(format!(
            "at most {MAX_OPERATIONS} operations are accepted"
        )));
    }
    operations.iter().map(parse_operation).collect()
}

fn parse_operation(operation: &Value) -> Result<PatchOperation, ScimError> {
    let object = operation
        .as_object()
        .ok_or_else(|| ScimError::invalid_syntax("an operation is a JSON object"))?;
    let op = get_ci(object, "op")
        .and_then(Value::as_str)
        .and_then(PatchOp::parse)
        .ok_or_else(|| ScimError::invalid_syntax("op must be add, remove or replace"))?;
    let path = match get_ci(object, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s.trim().to_owned()),
        Some(_) => return Err(ScimError::invalid_syntax("path must be a string")),
    };
    let value = get_ci(object, "value").filter(|v| !v.is_null()).cloned();
    if op != PatchOp::Remove && value.is_none() {
        return Err(ScimError::invalid_syntax(
            "add and replace operations need a value",
        ));
    }
    Ok(PatchOperation { op, path, value })
}

/// Applies operations in order to a resource, all or nothing: on error the resource is left
/// as it was.
pub fn apply_patch(
    resource: &mut Map<String, Value>,
    ops: &[PatchOperation],
    core: &Schema,
    extensions: &[&Schema],
) -> Result<(), ScimError> {
    let patcher = Patcher { core, extensions };
    let mut work = resource.clone();
    for operation in ops {
        patcher.apply(&mut work, operation)?;
    }
    canonicalize(&Value::Object(work.clone()), core, extensions)?;
    *resource = work;
    Ok(())
}

/// What a path names: a whole extension, or an attribute.
enum Resolved<'s> {
    Extension(usize),
    Attribute(Target<'s>),
}

struct Patcher<'s> {
    core: &'s Schema,
    extensions: &'s [&'s Schema],
}

impl<'s> Patcher<'s> {
    fn apply(
        &self,
        work: &mut Map<String, Value>,
        operation: &PatchOperation,
    ) -> Result<(), ScimError> {
        let value = operation.value.as_ref();
        let Some(path) = &operation.path else {
            return match (operation.op, value) {
                (PatchOp::Remove, _) => Err(ScimError::no_target("remove needs a path")),
                (op, Some(value)) => self.apply_members(work, op, None, value),
                (_, None) => Err(ScimError::invalid_syntax("add and replace need a value")),
            };
        };
        match self.resolve(path)? {
            Resolved::Extension(i) => self.apply_extension(work, operation.op, i, value),
            Resolved::Attribute(target) => {
                writable(&target)?;
                self.write(work, operation.op, &target, value)
            }
        }
    }

    /// Resolves a path, with or without a schema URN.
    fn resolve(&self, path: &str) -> Result<Resolved<'s>, ScimError> {
        let unknown = || ScimError::invalid_path(format!("{path} names no attribute here"));
        match split_scope(path, self.core, self.extensions).ok_or_else(unknown)? {
            (Scope::Extension(i), None) => Ok(Resolved::Extension(i)),
            (Scope::Core, None) => Err(unknown()),
            (scope, Some(rest)) => self.resolve_in(scope, rest).map(Resolved::Attribute),
        }
    }

    /// Resolves a path without its schema URN.
    fn resolve_in(&self, scope: Scope, path: &str) -> Result<Target<'s>, ScimError> {
        let parsed =
            parse_path(path).map_err(|e| ScimError::invalid_path(format!("{path}: {e}")))?;
        let unknown = || ScimError::invalid_path(format!("{path} names no attribute here"));
        if parsed.attr.schema.is_some() {
            return Err(unknown());
        }
        let attr =
            definition(scope, &parsed.attr.name, self.core, self.extensions).ok_or_else(unknown)?;
        let sub = match parsed.attr.sub.or(parsed.sub) {
            Some(name) => Some(attr.sub(&name).ok_or_else(unknown)?),
            None => None,
        };
        if parsed.filter.is_some() && !attr.multi_valued {
            return Err(ScimError::invalid_path(format!(
                "{path}: only multi-valued attributes take a value filter"
            )));
        }
        Ok(Target {
            scope,
            attr,
            filter: parsed.filter,
            sub,
        })
    }

    /// Add or replace without a path, or with an extension URN as path: each attribute of
    /// the value in turn. As in a PUT, `schemas`, unknown and read-only attributes are
    /// ignored (RFC 7644 §3.5.1).
    fn apply_members(
        &self,
        work: &mut Map<String, Value>,
        op: PatchOp,
        scope: Option<Scope>,
        value: &Value,
    ) -> Result<(), ScimError> {
        let object = value.as_object().ok_or_else(|| {
            ScimError::invalid_value("without a path, the value must be an object")
        })?;
        for (key, member) in object {
            let resolved = match scope {
                Some(scope) => self.resolve_in(scope, key).map(Resolved::Attribute),
                None => self.resolve(key),
            };
            match resolved {
                Ok(Resolved::Extension(i)) if scope.is_none() => {
                    self.apply_extension(work, op, i, Some(member))?;
                }
                Ok(Resolved::Attribute(target))
                    if target.filter.is_none() && writable(&target).is_ok() =>
                {
                    self.write(work, op, &target, Some(member))?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// An operation whose path is an extension URN.
    fn apply_extension(
        &self,
        work: &mut Map<String, Value>,
        op: PatchOp,
        index: usize,
        value: Option<&Value>,
    ) -> Result<(), ScimError> {
        match (op, value) {
            (PatchOp::Remove, _) | (PatchOp::Replace, Some(Value::Null)) => {
                if let Some(schema) = self.extensions.get(index) {
                    remove_ci(work, schema.id);
                }
                Ok(())
            }
            (_, Some(value)) => self.apply_members(work, op, Some(Scope::Extension(index)), value),
            (_, None) => Err(ScimError::invalid_syntax("add and replace need a value")),
        }
    }

    /// Changes the target attribute in its schema's object.
    fn write(
        &self,
        work: &mut Map<String, Value>,
        op: PatchOp,
        target: &Target<'_>,
        value: Option<&Value>,
    ) -> Result<(), ScimError> {
        let Scope::Extension(index) = target.scope else {
            return write_in(work, op, target, value);
        };
        let Some(id) = self.extensions.get(index).map(|s| s.id) else {
            return Ok(());
        };
        let mut inner = match remove_ci(work, id) {
            Some(Value::Object(inner)) => inner,
            _ => Map::new(),
        };
        let result = write_in(&mut inner, op, target, value);
        if !inner.is_empty() {
            work.insert(id.to_owned(), Value::Object(inner));
        }
        result
    }
}

/// Changes the target attribute in `container`, storing it under the schema's spelling.
fn write_in(
    container: &mut Map<String, Value>,
    op: PatchOp,
    target: &Target<'_>,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let current = remove_ci(container, target.attr.name);
    if let Some(next) = change(op, target, current, value)? {
        container.insert(target.attr.name.to_owned(), next);
    }
    Ok(())
}

/// Read-only attributes (`id`, `meta`, `groups`, `members.display`) cannot be addressed.
fn writable(target: &Target<'_>) -> Result<(), ScimError> {
    let read_only = |m: Mutability| m == Mutability::ReadOnly;
    if read_only(target.attr.mutability) || target.sub.is_some_and(|s| read_only(s.mutability)) {
        let name = match target.sub {
            Some(sub) => format!("{}.{}", target.attr.name, sub.name),
            None => target.attr.name.to_owned(),
        };
        return Err(ScimError::mutability(format!("{name} is read-only")));
    }
    Ok(())
}

#[cfg(test)]
#[path = "patch_tests.rs"]
mod tests;
