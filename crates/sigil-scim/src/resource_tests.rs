#![allow(clippy::unwrap_used)]

use serde_json::json;

use super::*;
use crate::error::ScimType;
use crate::schema::{ENTERPRISE_USER_SCHEMA, enterprise_user_schema, group_schema, user_schema};

fn user(input: Value) -> Result<Map<String, Value>, ScimError> {
    canonicalize(&input, user_schema(), &[enterprise_user_schema()])
}

#[test]
fn names_take_the_schema_spelling_and_extensions_fold_in() {
    let out = user(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "ignored", "meta": {"version": "W/\"1\""},
        "USERNAME": "bjensen",
        "Name": {"GivenName": "Barbara", "unknown": 1},
        "EMAILS": [{"VALUE": "b@example.com", "Primary": true}],
        "externalid": "ext-1",
        "groups": [{"value": "g1"}],
        "nonsense": true,
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user": {"Department": "Tour"},
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "701984",
        "urn:ietf:params:scim:schemas:core:2.0:User:title": "Guide",
    }))
    .unwrap();
    assert_eq!(
        Value::Object(out),
        json!({
            "userName": "bjensen",
            "name": {"givenName": "Barbara"},
            "emails": [{"value": "b@example.com", "primary": true}],
            "externalId": "ext-1",
            "title": "Guide",
            ENTERPRISE_USER_SCHEMA: {"department": "Tour", "employeeNumber": "701984"},
        })
    );
}

#[test]
fn unassigned_values_are_removed_and_singles_wrapped() {
    let out = user(json!({
        "userName": "b",
        "nickName": null,
        "name": {"givenName": null},
        "phoneNumbers": [],
        "emails": {"value": "b@example.com"},
        "addresses": [{}, {"locality": "Paris"}],
        ENTERPRISE_USER_SCHEMA: {},
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager": "m-1",
    }))
    .unwrap();
    assert_eq!(
        Value::Object(out),
        json!({
            "userName": "b",
            "emails": [{"value": "b@example.com"}],
            "addresses": [{"locality": "Paris"}],
            ENTERPRISE_USER_SCHEMA: {"manager": {"value": "m-1"}},
        })
    );
}

#[test]
fn wrong_types_are_invalid_values_naming_the_attribute() {
    for (bad, names) in [
        (json!({"userName": 5}), "userName"),
        (json!({"userName": "b", "active": "yes"}), "active"),
        (json!({"userName": "b", "active": 1}), "active"),
        (json!({"userName": "b", "name": "Barbara"}), "name"),
        (
            json!({"userName": "b", "name": {"givenName": []}}),
            "name.givenName",
        ),
        (
            json!({"userName": "b", "emails": ["b@example.com"]}),
            "emails",
        ),
        (json!({"userName": "b", "externalId": 7}), "externalId"),
        (
            json!({"userName": "b", ENTERPRISE_USER_SCHEMA: "x"}),
            ENTERPRISE_USER_SCHEMA,
        ),
        (
            json!({"userName": "b", "emails": [
                {"value": "a@x", "primary": true}, {"value": "b@x", "primary": true}
            ]}),
            "emails",
        ),
    ] {
        let e = user(bad.clone()).unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::InvalidValue), "{bad}");
        assert!(e.detail.contains(names), "{bad}: {}", e.detail);
    }
    let e = user(json!(["not an object"])).unwrap_err();
    assert_eq!(e.scim_type, Some(ScimType::InvalidSyntax));
    let e = user(json!({"name": {"givenName": "x"}})).unwrap_err();
    assert!(e.detail.contains("userName is required"));
    let e = canonicalize(&json!({"members": []}), group_schema(), &[]).unwrap_err();
    assert!(e.detail.contains("displayName"));
    assert_eq!(
        user(json!({"userName": "b", "active": "True"})).unwrap()["active"],
        true
    );
}

#[test]
fn group_members_keep_writable_sub_attributes() {
    let out = canonicalize(
        &json!({"DisplayName": "Tour Guides", "members": [
            {"value": "u1", "display": "Babs", "$ref": "https://x/Users/u1", "TYPE": "User"}
        ]}),
        group_schema(),
        &[],
    )
    .unwrap();
    assert_eq!(
        out["members"],
        json!([{"value": "u1", "$ref": "https://x/Users/u1", "type": "User"}])
    );
}

fn full_user() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE_USER_SCHEMA],
        "id": "2819c223",
        "externalId": "bjensen",
        "meta": {"resourceType": "User"},
        "userName": "bjensen",
        "password": "secret",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "emails": [
            {"value": "bjensen@example.com", "type": "work"},
            {"value": "babs@jensen.org", "type": "home", "primary": true}
        ],
        ENTERPRISE_USER_SCHEMA: {"department": "Tour", "employeeNumber": "701984"},
    })
}

fn projected(attributes: &[&str], excluded: &[&str]) -> Value {
    let owned = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    project(
        &full_user(),
        &owned(attributes),
        &owned(excluded),
        user_schema(),
        &[enterprise_user_schema()],
    )
}

#[test]
fn attributes_select_and_password_never_shows() {
    let everything = projected(&[], &[]);
    assert!(everything.get("password").is_none());
    assert_eq!(everything["meta"]["resourceType"], "User");
    assert_eq!(
        projected(&["USERNAME", "name.givenName", "emails.value"], &[]),
        json!({
            "schemas": full_user()["schemas"],
            "id": "2819c223",
            "userName": "bjensen",
            "name": {"givenName": "Barbara"},
            "emails": [{"value": "bjensen@example.com"}, {"value": "babs@jensen.org"}],
        })
    );
    let department = projected(
        &["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"],
        &[],
    );
    assert_eq!(
        department[ENTERPRISE_USER_SCHEMA],
        json!({"department": "Tour"})
    );
    assert!(department.get("userName").is_none());
    let whole = projected(&[ENTERPRISE_USER_SCHEMA, "password"], &[]);
    assert_eq!(whole[ENTERPRISE_USER_SCHEMA]["employeeNumber"], "701984");
    assert!(whole.get("password").is_none());
}

#[test]
fn excluded_attributes_go_except_id() {
    let out = projected(
        &[],
        &[
            "emails",
            "name.familyName",
            "id",
            "meta",
            ENTERPRISE_USER_SCHEMA,
        ],
    );
    assert_eq!(out["id"], "2819c223");
    assert!(out.get("emails").is_none() && out.get("meta").is_none());
    assert_eq!(out["name"], json!({"givenName": "Barbara"}));
    assert!(out.get(ENTERPRISE_USER_SCHEMA).is_none());
    assert_eq!(out["userName"], "bjensen");
}

#[test]
fn the_primary_value_or_the_first() {
    let user = full_user();
    let user = user.as_object().unwrap();
    assert_eq!(
        primary_value(user, "Emails").as_deref(),
        Some("babs@jensen.org")
    );
    let mut no_primary = user.clone();
    no_primary.insert("emails".into(), json!([{"value": "a@x"}, {"value": "b@x"}]));
    assert_eq!(primary_value(&no_primary, "emails").as_deref(), Some("a@x"));
    assert_eq!(primary_value(user, "phoneNumbers"), None);
}
