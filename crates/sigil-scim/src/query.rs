//! From a SCIM filter and `sortBy` to a store search: each attribute a filter may name maps
//! to a stored field, and values compared with fields that ignore case are lower-cased here,
//! as the store expects. A filter naming any other attribute, or comparing in a way the
//! attribute does not support, is refused as `invalidFilter` (RFC 7644 §3.4.2.2: "the
//! specified attribute and filter comparison combination is not supported"), so every
//! accepted filter runs in the database, on its indexes.

use sigil_core::UnixTime;
use sigil_store::{Condition, GroupField, Literal, Op, UserField};

use crate::error::{ScimError, ScimType};
use crate::filter::{AttrPath, CompValue, CompareOp, Filter};
use crate::schema::{GROUP_SCHEMA, USER_SCHEMA};

/// How the values of a field compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Text compared exactly.
    Exact,
    /// Text compared ignoring case.
    IgnoreCase,
    /// A boolean.
    Bool,
    /// A time (RFC 3339 text in the filter).
    Time,
    /// A member's id: only `eq`, `ne` and `pr`.
    Member,
}

/// Which stored field (and how it compares) an attribute path of a resource type names.
trait Fields: Copy + Sized {
    /// The core schema URN a path may be prefixed with.
    const SCHEMA: &'static str;
    fn field(name: &str, sub: Option<&str>) -> Option<(Self, Kind)>;
}

impl Fields for UserField {
    const SCHEMA: &'static str = USER_SCHEMA;
    fn field(name: &str, sub: Option<&str>) -> Option<(Self, Kind)> {
        let name = name.to_ascii_lowercase();
        let sub = sub.map(str::to_ascii_lowercase);
        Some(match (name.as_str(), sub.as_deref()) {
            ("id", None) => (UserField::Id, Kind::Exact),
            ("externalid", None) => (UserField::ExternalId, Kind::Exact),
            ("username", None) => (UserField::Username, Kind::IgnoreCase),
            ("displayname", None) => (UserField::Name, Kind::IgnoreCase),
            ("emails", None | Some("value")) => (UserField::Email, Kind::IgnoreCase),
            ("active", None) => (UserField::Active, Kind::Bool),
            ("meta", Some("created")) => (UserField::CreatedAt, Kind::Time),
            ("meta", Some("lastmodified")) => (UserField::UpdatedAt, Kind::Time),
            _ => return None,
        })
    }
}

impl Fields for GroupField {
    const SCHEMA: &'static str = GROUP_SCHEMA;
    fn field(name: &str, sub: Option<&str>) -> Option<(Self, Kind)> {
        let name = name.to_ascii_lowercase();
        let sub = sub.map(str::to_ascii_lowercase);
        Some(match (name.as_str(), sub.as_deref()) {
            ("id", None) => (GroupField::Id, Kind::Exact),
            ("externalid", None) => (GroupField::ExternalId, Kind::Exact),
            ("displayname", None) => (GroupField::Name, Kind::IgnoreCase),
            ("members", None | Some("value")) => (GroupField::Member, Kind::Member),
            ("meta", Some("created")) => (GroupField::CreatedAt, Kind::Time),
            ("meta", Some("lastmodified")) => (GroupField::UpdatedAt, Kind::Time),
            _ => return None,
        })
    }
}

fn invalid(detail: impl Into<String>) -> ScimError {
    ScimError::bad_request(ScimType::InvalidFilter, detail.into())
}

fn display(path: &AttrPath) -> String {
    match &path.sub {
        Some(sub) => format!("{}.{sub}", path.name),
        None => path.name.clone(),
    }
}

fn resolve<F: Fields>(path: &AttrPath) -> Result<(F, Kind), ScimError> {
    if let Some(schema) = &path.schema
        && !schema.eq_ignore_ascii_case(F::SCHEMA)
    {
        return Err(invalid(format!(
            "filtering on attributes of {schema} is not supported"
        )));
    }
    F::field(&path.name, path.sub.as_deref()).ok_or_else(|| {
        invalid(format!(
            "filtering on {} is not supported (see the documentation for the attributes a filter may name)",
            display(path)
        ))
    })
}

fn op(op: CompareOp) -> Op {
    match op {
        CompareOp::Eq => Op::Eq,
        CompareOp::Ne => Op::Ne,
        CompareOp::Co => Op::Contains,
        CompareOp::Sw => Op::StartsWith,
        CompareOp::Ew => Op::EndsWith,
        CompareOp::Gt => Op::Gt,
        CompareOp::Ge => Op::Ge,
        CompareOp::Lt => Op::Lt,
        CompareOp::Le => Op::Le,
    }
}

fn literal(
    path: &AttrPath,
    kind: Kind,
    cmp: CompareOp,
    value: &CompValue,
) -> Result<Literal, ScimError> {
    let equality = matches!(cmp, CompareOp::Eq | CompareOp::Ne);
    match (kind, value) {
        (Kind::Exact, CompValue::String(s)) => Ok(Literal::Text(s.clone())),
        (Kind::IgnoreCase, CompValue::String(s)) => Ok(Literal::Text(s.to_lowercase())),
        (Kind::Member, CompValue::String(s)) if equality => Ok(Literal::Text(s.clone())),
        (Kind::Bool, CompValue::Bool(b)) if equality => Ok(Literal::Bool(*b)),
        (Kind::Time, CompValue::String(s))
            if !matches!(cmp, CompareOp::Co | CompareOp::Sw | CompareOp::Ew) =>
        {
            UnixTime::parse_rfc3339(s)
                .map(Literal::Time)
                .ok_or_else(|| {
                    invalid(format!(
                        "{} compares with an RFC 3339 date-time, not {s:?}",
                        display(path)
                    ))
                })
        }
        _ => Err(invalid(format!(
            "{} cannot be compared with {value:?} using {cmp:?}",
            display(path)
        ))),
    }
}

fn condition<F: Fields>(
    filter: &Filter,
    within: Option<&AttrPath>,
) -> Result<Condition<F>, ScimError> {
    // Inside `emails[...]`, `value` means `emails.value`.
    let full = |path: &AttrPath| -> AttrPath {
        match within {
            Some(outer) => AttrPath {
                schema: outer.schema.clone(),
                name: outer.name.clone(),
                sub: Some(path.name.clone()),
            },
            None => path.clone(),
        }
    };
    Ok(match filter {
        Filter::Present(path) => Condition::Present(resolve::<F>(&full(path))?.0),
        Filter::Compare(path, cmp, value) => {
            let path = full(path);
            let (field, kind) = resolve::<F>(&path)?;
            if matches!(value, CompValue::Null) {
                // `attr eq null` is `not (attr pr)`; `attr ne null` is `attr pr`.
                let present = Condition::Present(field);
                return match cmp {
                    CompareOp::Eq => Ok(Condition::Not(Box::new(present))),
                    CompareOp::Ne => Ok(present),
                    _ => Err(invalid("null compares only with eq or ne")),
                };
            }
            Condition::Compare(field, op(*cmp), literal(&path, kind, *cmp, value)?)
        }
        Filter::And(a, b) => Condition::And(
            Box::new(condition(a, within)?),
            Box::new(condition(b, within)?),
        ),
        Filter::Or(a, b) => Condition::Or(
            Box::new(condition(a, within)?),
            Box::new(condition(b, within)?),
        ),
        Filter::Not(inner) => Condition::Not(Box::new(condition(inner, within)?)),
        Filter::ValuePath(path, inner) => {
            if within.is_some() || path.sub.is_some() {
                return Err(invalid("value filters do not nest"));
            }
            condition(inner, Some(path))?
        }
    })
}

/// The store condition of a filter on users.
pub fn user_condition(filter: &Filter) -> Result<Condition<UserField>, ScimError> {
    condition(filter, None)
}

/// The store condition of a filter on groups.
pub fn group_condition(filter: &Filter) -> Result<Condition<GroupField>, ScimError> {
    condition(filter, None)
}

fn sort_field<F: Fields>(sort_by: &str) -> Result<F, ScimError> {
    let path = crate::filter::parse_path(sort_by)
        .ok()
        .filter(|p| p.filter.is_none() && p.sub.is_none())
        .ok_or_else(|| invalid(format!("{sort_by:?} is not an attribute path")))?;
    match resolve::<F>(&path.attr)? {
        (_, Kind::Member) => Err(invalid("sorting by members is not supported")),
        (field, _) => Ok(field),
    }
}

/// The user field `sortBy` names.
pub fn user_sort(sort_by: &str) -> Result<UserField, ScimError> {
    sort_field(sort_by)
}

/// The group field `sortBy` names.
pub fn group_sort(sort_by: &str) -> Result<GroupField, ScimError> {
    sort_field(sort_by)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::filter::parse_filter;

    fn users(text: &str) -> Result<Condition<UserField>, ScimError> {
        user_condition(&parse_filter(text).unwrap())
    }

    #[test]
    fn filters_map_to_fields_with_their_case_rules() {
        assert_eq!(
            users(r#"userName eq "BJensen""#).unwrap(),
            Condition::Compare(UserField::Username, Op::Eq, Literal::Text("bjensen".into()))
        );
        assert_eq!(
            users(r#"externalId eq "AbC""#).unwrap(),
            Condition::Compare(UserField::ExternalId, Op::Eq, Literal::Text("AbC".into()))
        );
        assert_eq!(
            users(r#"emails[value co "@EXAMPLE.com"]"#).unwrap(),
            users(r#"emails.value co "@example.com""#).unwrap()
        );
        assert_eq!(
            users(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "j""#).unwrap(),
            users(r#"username SW "J""#).unwrap()
        );
        assert_eq!(
            users(r#"meta.lastModified gt "2011-05-13T04:42:34Z""#).unwrap(),
            Condition::Compare(
                UserField::UpdatedAt,
                Op::Gt,
                Literal::Time(UnixTime(1_305_261_754))
            )
        );
        assert_eq!(
            users("active eq TRUE").unwrap(),
            Condition::Compare(UserField::Active, Op::Eq, Literal::Bool(true)),
            "literals ignore case"
        );
        assert_eq!(
            users("externalId eq null").unwrap(),
            Condition::Not(Box::new(Condition::Present(UserField::ExternalId)))
        );
    }

    #[test]
    fn unsupported_attributes_and_comparisons_are_invalid_filters() {
        for text in [
            r#"title eq "x""#,
            r#"emails[type eq "work"]"#,
            "active gt true",
            r#"active eq "yes""#,
            r#"meta.created co "2011""#,
            r#"meta.created gt "yesterday""#,
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "1""#,
        ] {
            let e = users(text).unwrap_err();
            assert_eq!(
                (e.status, e.scim_type),
                (400, Some(ScimType::InvalidFilter)),
                "{text}"
            );
        }
        assert!(group_condition(&parse_filter(r#"members co "x""#).unwrap()).is_err());
        assert!(group_sort("members").is_err());
        assert_eq!(user_sort("name.familyName").unwrap_err().status, 400);
        assert_eq!(user_sort("meta.created").unwrap(), UserField::CreatedAt);
    }
}
