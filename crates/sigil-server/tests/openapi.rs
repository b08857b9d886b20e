//! The published OpenAPI document is a contract: any change to it must be deliberate, so it is
//! compared with the reviewed snapshot in `tests/snapshots/` (`cargo insta review` after a
//! deliberate change). `/api/v1` only ever gains fields; removing one fails here first.

use sigil_core::TenantId;
use sigil_oidc::TenantCtx;

#[test]
fn the_openapi_document_changes_only_deliberately() {
    let tenant = TenantCtx {
        id: TenantId::default_tenant(),
        issuer: "https://id.example.com".into(),
    };
    let doc = serde_json::to_value(sigil_server::routes::api::openapi(&tenant)).expect("json");
    assert_eq!(doc["openapi"], "3.1.0");
    insta::assert_json_snapshot!("openapi", doc);
}
