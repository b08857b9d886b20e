#![allow(clippy::unwrap_used)]

use serde_json::json;

use super::*;
use crate::error::ScimType;
use crate::schema::{ENTERPRISE_USER_SCHEMA, enterprise_user_schema, group_schema, user_schema};

const BABS: &str = "2819c223-7f76-453a-919d-413861904646";
const MANDY: &str = "902c246b-6245-4190-8e05-00816be7344a";

fn request(operations: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": operations})
}

fn group() -> Map<String, Value> {
    json!({
        "id": "e9e30dba", "meta": {"resourceType": "Group"},
        "displayName": "Tour Guides",
        "members": [
            {"value": BABS, "display": "Babs Jensen", "type": "User"},
            {"value": MANDY, "display": "Mandy Pepperidge", "type": "User"}
        ]
    })
    .as_object()
    .unwrap()
    .clone()
}

fn user() -> Map<String, Value> {
    json!({
        "id": "2819c223", "userName": "bjensen", "externalId": "bjensen",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "addresses": [{"type": "work", "streetAddress": "100 Universal City Plaza"}],
        "groups": [{"value": "e9e30dba", "display": "Tour Guides"}],
        ENTERPRISE_USER_SCHEMA: {"department": "Tour", "manager": {"value": "m-1", "displayName": "Boss"}}
    })
    .as_object()
    .unwrap()
    .clone()
}

fn patch_group(operations: Value) -> Result<Map<String, Value>, ScimError> {
    let mut resource = group();
    let ops = parse_patch_request(&request(operations))?;
    apply_patch(&mut resource, &ops, group_schema(), &[]).map(|()| resource)
}

fn patch_user(operations: Value) -> Result<Map<String, Value>, ScimError> {
    let mut resource = user();
    let ops = parse_patch_request(&request(operations))?;
    apply_patch(
        &mut resource,
        &ops,
        user_schema(),
        &[enterprise_user_schema()],
    )
    .map(|()| resource)
}

fn member_ids(resource: &Map<String, Value>) -> Vec<&str> {
    resource
        .get("members")
        .and_then(Value::as_array)
        .map_or(Vec::new(), |members| {
            members.iter().filter_map(|m| m["value"].as_str()).collect()
        })
}

fn scim_type(result: Result<Map<String, Value>, ScimError>) -> Option<ScimType> {
    result.unwrap_err().scim_type
}

#[test]
fn requests_must_name_the_patch_schema_and_hold_operations() {
    let one = json!([{"op": "remove", "path": "members"}]);
    assert_eq!(parse_patch_request(&request(one.clone())).unwrap().len(), 1);
    let many: Vec<Value> = (0..=MAX_OPERATIONS)
        .map(|_| json!({"op": "remove", "path": "x"}))
        .collect();
    for bad in [
        json!({"Operations": one}),
        json!({"schemas": ["urn:x"], "Operations": one}),
        request(json!([])),
        request(json!({"op": "add"})),
        request(json!([{"op": "move", "path": "members"}])),
        request(json!([{"op": "add", "path": "members"}])),
        request(json!([{"op": "add", "path": 5, "value": 1}])),
        request(json!(["add"])),
        request(Value::Array(many)),
        json!("patch"),
    ] {
        let e = parse_patch_request(&bad).unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::InvalidSyntax), "{bad}");
    }
    let ops = parse_patch_request(&request(json!([
        {"OP": "Add", "Path": "members", "Value": [{"value": "x"}]},
        {"op": "REPLACE", "value": {"displayName": "x"}}
    ])))
    .unwrap();
    assert_eq!((ops[0].op, ops[1].op), (PatchOp::Add, PatchOp::Replace));
    assert_eq!(ops[0].path.as_deref(), Some("members"));
}

/// RFC 7644 §3.5.2.1: adding a member, and adding attributes without a path.
#[test]
fn rfc_add_examples() {
    let out = patch_group(json!([{"op": "add", "path": "members", "value": [
        {"display": "Babs Jensen", "$ref": "https://example.com/v2/Users/x", "value": "x"}
    ]}]))
    .unwrap();
    assert_eq!(member_ids(&out), [BABS, MANDY, "x"]);
    let out =
        patch_group(json!([{"op": "add", "path": "members", "value": [{"value": BABS}]}])).unwrap();
    assert_eq!(
        member_ids(&out),
        [BABS, MANDY],
        "a value already there is not added twice"
    );
    let out = patch_user(json!([{"op": "add", "value": {
        "emails": [{"value": "babs@jensen.org", "type": "home"}, {"value": "b@x", "type": "other"}],
        "nickname": "Babs"
    }}]))
    .unwrap();
    assert_eq!(out["nickName"], "Babs");
    assert_eq!(out["emails"].as_array().unwrap().len(), 3);
    let out = patch_user(json!([{"op": "add", "path": "name.middleName", "value": "Q"}])).unwrap();
    assert_eq!(
        out["name"],
        json!({"givenName": "Barbara", "familyName": "Jensen", "middleName": "Q"})
    );
}

/// RFC 7644 §3.5.2.2: removing one member, all members, and then adding.
#[test]
fn rfc_remove_examples() {
    let out =
        patch_group(json!([{"op": "remove", "path": format!("members[value eq \"{BABS}\"]")}]))
            .unwrap();
    assert_eq!(member_ids(&out), [MANDY]);
    let out = patch_group(json!([{"op": "remove", "path": "members"}])).unwrap();
    assert!(!out.contains_key("members"));
    let out = patch_group(json!([
        {"op": "remove", "path": "members"},
        {"op": "add", "path": "members", "value": [{"value": "y"}]}
    ]))
    .unwrap();
    assert_eq!(member_ids(&out), ["y"]);
    let out = patch_user(
        json!([{"op": "remove", "path": "emails[type eq \"work\" and value ew \"example.com\"]"}]),
    )
    .unwrap();
    assert_eq!(
        out["emails"],
        json!([{"value": "babs@jensen.org", "type": "home"}])
    );
    let out = patch_user(json!([{"op": "remove", "path": "name.givenName"}])).unwrap();
    assert_eq!(out["name"], json!({"familyName": "Jensen"}));
    assert_eq!(
        scim_type(patch_group(json!([{"op": "remove"}]))),
        Some(ScimType::NoTarget)
    );
    // Removing what is not there (a member already gone) changes nothing.
    let nobody = json!([{"op": "remove", "path": "members[value eq \"nobody\"]"}]);
    let (before, after) = (group(), patch_group(nobody).unwrap());
    assert_eq!(member_ids(&after), member_ids(&before));
    // Listed values are identified by `value` alone, whatever else the client sends along.
    let listed = json!([{"op": "remove", "path": "members", "value": [
        {"value": BABS, "display": "Someone Else", "$ref": "https://elsewhere/Users/b"}
    ]}]);
    let after = patch_group(listed).unwrap();
    assert_eq!(member_ids(&after), [MANDY]);
    let required = json!([{"op": "remove", "path": "userName"}]);
    assert_eq!(scim_type(patch_user(required)), Some(ScimType::Mutability));
}

/// RFC 7644 §3.5.2.3: replacing all members, a filtered value, a filtered sub-attribute,
/// and attributes without a path.
#[test]
fn rfc_replace_examples() {
    let out = patch_group(json!([{"op": "replace", "path": "members", "value": [
        {"display": "Babs Jensen", "value": "a"}, {"display": "James Smith", "value": "b"}
    ]}]))
    .unwrap();
    assert_eq!(member_ids(&out), ["a", "b"]);
    let out = patch_user(
        json!([{"op": "replace", "path": "addresses[type eq \"work\"]", "value":
            {"type": "work", "streetAddress": "911 Universal City Plaza", "primary": true}
        }]),
    )
    .unwrap();
    assert_eq!(
        out["addresses"][0]["streetAddress"],
        "911 Universal City Plaza"
    );
    let out = patch_user(json!([{"op": "replace", "path": "addresses[type eq \"work\"].streetAddress", "value": "1010 Broadway Ave"}])).unwrap();
    assert_eq!(
        out["addresses"],
        json!([{"type": "work", "streetAddress": "1010 Broadway Ave"}])
    );
    let out = patch_user(json!([{"op": "replace", "value": {
        "emails": [{"value": "bjensen@example.com", "type": "work"}], "nickname": "Babs"
    }}]))
    .unwrap();
    assert_eq!(
        out["emails"],
        json!([{"value": "bjensen@example.com", "type": "work"}])
    );
    assert_eq!(out["nickName"], "Babs");
    let out =
        patch_user(json!([{"op": "replace", "path": "name", "value": {"givenName": "Babs"}}]))
            .unwrap();
    assert_eq!(
        out["name"],
        json!({"givenName": "Babs", "familyName": "Jensen"}),
        "others kept"
    );
    let none =
        json!([{"op": "replace", "path": "emails[type eq \"other\"].value", "value": "x@y"}]);
    assert_eq!(scim_type(patch_user(none)), Some(ScimType::NoTarget));
}

#[test]
fn azure_ad_requests() {
    let out = patch_group(json!([{"op": "Remove", "path": "members", "value": [{"value": BABS}]}]))
        .unwrap();
    assert_eq!(member_ids(&out), [MANDY]);
    let out =
        patch_group(json!([{"op": "Add", "path": "members", "value": [{"value": "z"}]}])).unwrap();
    assert_eq!(member_ids(&out), [BABS, MANDY, "z"]);
    let out = patch_user(json!([
        {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "m-2"},
        {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:Department", "value": "Sales"},
        {"op": "Replace", "path": "active", "value": "False"},
        {"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 555"},
        {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "new@example.com"},
        {"op": "Add", "path": "externalId", "value": "ext-9"}
    ]))
    .unwrap();
    assert_eq!(out[ENTERPRISE_USER_SCHEMA]["manager"]["value"], "m-2");
    assert_eq!(out[ENTERPRISE_USER_SCHEMA]["department"], "Sales");
    assert_eq!(
        out["phoneNumbers"],
        json!([{"type": "mobile", "value": "+1 555"}])
    );
    assert_eq!(out["emails"][0]["value"], "new@example.com");
    assert_eq!(out["externalId"], "ext-9");
    let stored = canonicalize(
        &Value::Object(out),
        user_schema(),
        &[enterprise_user_schema()],
    )
    .unwrap();
    assert_eq!(stored["active"], false);
}

#[test]
fn names_and_urns_ignore_case_and_extensions_take_objects() {
    let out = patch_user(json!([
        {"op": "replace", "path": "NAME.GIVENNAME", "value": "Babs"},
        {"op": "add", "path": "urn:ietf:params:scim:schemas:core:2.0:User:nickName", "value": "B"},
        {"op": "add", "path": "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER", "value": {"CostCenter": "4130"}},
        {"op": "replace", "value": {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division": "East"}}
    ]))
    .unwrap();
    assert_eq!(out["name"]["givenName"], "Babs");
    assert_eq!(out["nickName"], "B");
    assert_eq!(out[ENTERPRISE_USER_SCHEMA]["costCenter"], "4130");
    assert_eq!(out[ENTERPRISE_USER_SCHEMA]["division"], "East");
    assert_eq!(out[ENTERPRISE_USER_SCHEMA]["department"], "Tour");
    let out = patch_user(json!([{"op": "remove", "path": ENTERPRISE_USER_SCHEMA}])).unwrap();
    assert!(!out.contains_key(ENTERPRISE_USER_SCHEMA));
}

#[test]
fn paths_are_checked() {
    for (path, expected) in [
        ("nonsense", ScimType::InvalidPath),
        ("name.nonsense", ScimType::InvalidPath),
        ("urn:x:y:userName", ScimType::InvalidPath),
        ("name[givenName eq \"x\"]", ScimType::InvalidPath),
        ("emails[type eq]", ScimType::InvalidPath),
        ("id", ScimType::Mutability),
        ("meta", ScimType::Mutability),
        ("groups", ScimType::Mutability),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName",
            ScimType::Mutability,
        ),
    ] {
        let op = json!([{"op": "replace", "path": path, "value": "x"}]);
        assert_eq!(scim_type(patch_user(op)), Some(expected), "{path}");
    }
    let display = json!([{"op": "replace", "path": "members.display", "value": "x"}]);
    assert_eq!(scim_type(patch_group(display)), Some(ScimType::Mutability));
    let value = json!([{"op": "replace", "path": format!("members[value eq \"{BABS}\"].value"), "value": "x"}]);
    assert_eq!(
        scim_type(patch_group(value)),
        Some(ScimType::Mutability),
        "immutable"
    );
    let swap = json!([{"op": "replace", "path": format!("members[value eq \"{BABS}\"]"), "value": {"value": "x"}}]);
    assert_eq!(
        scim_type(patch_group(swap)),
        Some(ScimType::Mutability),
        "immutable"
    );
}

#[test]
fn wrongly_shaped_values_are_refused_and_nothing_changes() {
    for bad in [
        json!({"op": "replace", "path": "name", "value": 5}),
        json!({"op": "replace", "path": "userName", "value": {"a": 1}}),
        json!({"op": "add", "path": "emails", "value": "b@x"}),
        json!({"op": "add", "path": "active", "value": "maybe"}),
        json!({"op": "replace", "value": [1]}),
        json!({"op": "replace", "path": "emails[type eq \"work\"]", "value": "x"}),
    ] {
        let mut resource = user();
        let ops = parse_patch_request(&request(
            json!([{"op": "add", "path": "title", "value": "T"}, bad.clone()]),
        ))
        .unwrap();
        let e = apply_patch(
            &mut resource,
            &ops,
            user_schema(),
            &[enterprise_user_schema()],
        )
        .unwrap_err();
        assert_eq!(e.status, 400, "{bad}");
        assert_eq!(resource, user(), "all or nothing: {bad}");
    }
}

#[test]
fn one_primary_value_at_most() {
    let out = patch_user(
        json!([{"op": "add", "path": "emails", "value": [{"value": "n@x", "primary": true}]}]),
    )
    .unwrap();
    let primaries: Vec<&Value> = out["emails"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["primary"] == true)
        .collect();
    assert_eq!(primaries, [&json!({"value": "n@x", "primary": true})]);
    let out = patch_user(
        json!([{"op": "replace", "path": "emails[type eq \"home\"].primary", "value": true}]),
    )
    .unwrap();
    assert_eq!(out["emails"][0]["primary"], false);
    assert_eq!(out["emails"][1]["primary"], true);
}

fn arbitrary_json() -> impl proptest::strategy::Strategy<Value = Value> {
    use proptest::prelude::*;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-3i64..3).prop_map(Value::from),
        proptest::sample::select(vec!["work", "x", BABS, "true", ""]).prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        let key = proptest::sample::select(vec![
            "value",
            "type",
            "primary",
            "display",
            "givenName",
            "emails",
            "members",
            "userName",
            ENTERPRISE_USER_SCHEMA,
        ]);
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            proptest::collection::btree_map(key.prop_map(str::to_owned), inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest::proptest! {
    #[test]
    fn applying_never_panics(
        ops in proptest::collection::vec((
            proptest::sample::select(vec!["add", "remove", "replace"]),
            proptest::option::of(proptest::sample::select(vec![
                "members", "members.value", "members[value eq \"x\"]", "members[type eq \"User\"].value",
                "emails", "emails[type eq \"work\"].primary", "emails[primary eq true]", "name",
                "name.givenName", "userName", "displayName", "externalId",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
                "emails[value pr].display", "id", "x[",
            ])),
            proptest::option::of(arbitrary_json()),
        ), 1..4),
    ) {
        let ops: Vec<PatchOperation> = ops.into_iter().map(|(op, path, value)| PatchOperation {
            op: PatchOp::parse(op).unwrap(),
            path: path.map(str::to_owned),
            value,
        }).collect();
        let mut u = user();
        let _ = apply_patch(&mut u, &ops, user_schema(), &[enterprise_user_schema()]);
        let mut g = group();
        let _ = apply_patch(&mut g, &ops, group_schema(), &[]);
    }
}
