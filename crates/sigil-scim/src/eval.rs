//! Evaluating a filter on a JSON resource, as SCIM defines matching (RFC 7644 §3.4.2.2):
//! attribute names and (by default) string values compare ignoring case, and a multi-valued
//! attribute matches when any of its values does.

use serde_json::Value;

use crate::filter::{AttrPath, CompValue, CompareOp, Filter};

/// A resource's attribute, looked up ignoring case.
fn field<'a>(object: &'a Value, name: &str) -> Option<&'a Value> {
    object
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// The values a path reaches in a resource (flattening multi-valued attributes).
fn values<'a>(resource: &'a Value, path: &AttrPath) -> Vec<&'a Value> {
    let base = match &path.schema {
        Some(urn) => field(resource, urn),
        None => Some(resource),
    };
    let Some(top) = base.and_then(|b| field(b, &path.name)) else {
        return Vec::new();
    };
    let tops: Vec<&Value> = match top {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    match &path.sub {
        None => tops,
        Some(sub) => tops.into_iter().filter_map(|t| field(t, sub)).collect(),
    }
}

fn compare(actual: &Value, op: CompareOp, expected: &CompValue) -> bool {
    use std::cmp::Ordering;
    let ordering = match (actual, expected) {
        (Value::String(a), CompValue::String(b)) => {
            let (a, b) = (a.to_lowercase(), b.to_lowercase());
            match op {
                CompareOp::Co => return a.contains(&b),
                CompareOp::Sw => return a.starts_with(&b),
                CompareOp::Ew => return a.ends_with(&b),
                _ => a.cmp(&b),
            }
        }
        (Value::Number(a), CompValue::Number(b)) => match (a.as_f64(), b.as_f64()) {
            (Some(a), Some(b)) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
            _ => return false,
        },
        (Value::Bool(a), CompValue::Bool(b)) if matches!(op, CompareOp::Eq | CompareOp::Ne) => {
            a.cmp(b)
        }
        (Value::Null, CompValue::Null) => Ordering::Equal,
        _ => return op == CompareOp::Ne,
    };
    match op {
        CompareOp::Eq => ordering == Ordering::Equal,
        CompareOp::Ne => ordering != Ordering::Equal,
        CompareOp::Gt => ordering == Ordering::Greater,
        CompareOp::Ge => ordering != Ordering::Less,
        CompareOp::Lt => ordering == Ordering::Less,
        CompareOp::Le => ordering != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

fn present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

impl Filter {
    /// Whether a JSON resource matches: strings compare ignoring case (SCIM's default
    /// `caseExact: false`), a multi-valued attribute matches when any of its values does, and
    /// `ne` matches an absent attribute.
    pub fn matches(&self, resource: &Value) -> bool {
        match self {
            Filter::Present(path) => values(resource, path).into_iter().any(present),
            Filter::Compare(path, CompareOp::Ne, value) => !values(resource, path)
                .into_iter()
                .any(|v| compare(v, CompareOp::Eq, value)),
            Filter::Compare(path, op, value) => values(resource, path)
                .into_iter()
                .any(|v| compare(v, *op, value)),
            Filter::And(a, b) => a.matches(resource) && b.matches(resource),
            Filter::Or(a, b) => a.matches(resource) || b.matches(resource),
            Filter::Not(inner) => !inner.matches(resource),
            Filter::ValuePath(path, inner) => values(resource, path)
                .into_iter()
                .any(|item| inner.matches(item)),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use crate::filter::parse_filter;

    #[test]
    fn filters_match_resources_as_the_rfc_describes() {
        let bjensen = json!({
            "userName": "bjensen",
            "name": {"familyName": "Jensen"},
            "title": "Tour Guide",
            "userType": "Employee",
            "active": true,
            "emails": [
                {"type": "work", "value": "bjensen@example.com"},
                {"type": "home", "value": "babs@jensen.org"}
            ],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "701984"}
        });
        let yes = |f: &str| parse_filter(f).unwrap().matches(&bjensen);
        assert!(yes(r#"userName eq "BJENSEN""#), "case-insensitive");
        assert!(yes(r#"name.familyName sw "jen""#));
        assert!(yes(r#"emails[type eq "work" and value ew "@example.com"]"#));
        assert!(
            !yes(r#"emails[type eq "home" and value ew "@example.com"]"#),
            "one value must match both"
        );
        assert!(
            yes(r#"emails.value co "jensen.org""#),
            "any value of a multi-valued attribute"
        );
        assert!(yes(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984""#
        ));
        assert!(yes("title pr and not (nickName pr)"));
        assert!(yes(r#"nickName ne "x""#), "ne matches an absent attribute");
        assert!(yes("active eq true"));
        assert!(!yes(
            r#"userType eq "Employee" and not (emails co "example.com" or emails.value co "example.com")"#
        ));
    }
}
