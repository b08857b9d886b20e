//! The discovery endpoints (RFC 7644 §4): what this service provider supports, its resource
//! types and their schemas, as RFC 7643 §5–7 describe them.

use serde_json::{Value, json};

use super::MAX_RESULTS;
use crate::schema::{
    ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA, enterprise_user_schema, group_schema,
    user_schema,
};

/// Most operations one bulk request may carry.
pub const MAX_BULK_OPERATIONS: usize = 100;
/// Largest bulk request body, in bytes.
pub const MAX_BULK_PAYLOAD: usize = 1_048_576;

const SERVICE_PROVIDER_CONFIG: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";

/// `GET /ServiceProviderConfig` (RFC 7643 §5).
pub fn service_provider_config(base: &str, documentation: &str) -> Value {
    json!({
        "schemas": [SERVICE_PROVIDER_CONFIG],
        "documentationUri": documentation,
        "patch": {"supported": true},
        "bulk": {
            "supported": true,
            "maxOperations": MAX_BULK_OPERATIONS,
            "maxPayloadSize": MAX_BULK_PAYLOAD,
        },
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": true},
        "sort": {"supported": true},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "An access token Sigil issued with the scim scope (client credentials), \
                            or a provisioning token from `sigil scim token create`.",
            "specUri": "https://www.rfc-editor.org/info/rfc6750",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base}/ServiceProviderConfig"),
        },
    })
}

/// The resource types, `GET /ResourceTypes` (RFC 7643 §6).
pub fn resource_types(base: &str) -> Vec<Value> {
    let user = json!({
        "schemas": [RESOURCE_TYPE],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "User Account",
        "schema": USER_SCHEMA,
        "schemaExtensions": [{"schema": ENTERPRISE_USER_SCHEMA, "required": false}],
        "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User")},
    });
    let group = json!({
        "schemas": [RESOURCE_TYPE],
        "id": "Group",
        "name": "Group",
        "endpoint": "/Groups",
        "description": "Group",
        "schema": GROUP_SCHEMA,
        "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/Group")},
    });
    vec![user, group]
}

/// The schemas, `GET /Schemas` (RFC 7643 §7).
pub fn schemas(base: &str) -> Vec<Value> {
    [user_schema(), enterprise_user_schema(), group_schema()]
        .into_iter()
        .map(|s| s.to_json(&format!("{base}/Schemas/{}", s.id)))
        .collect()
}
