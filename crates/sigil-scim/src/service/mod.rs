//! SCIM resources over Sigil's administration service: the Users and Groups endpoints'
//! operations (create, read, replace, patch, delete, search, bulk) as functions of JSON in and
//! JSON out, so that the HTTP layer only moves bodies and headers. Every change goes through
//! the same service as the management API and the CLI, with its validation and audit events.

mod bulk;
mod discovery;
mod groups;
mod users;

pub use discovery::{
    MAX_BULK_OPERATIONS, MAX_BULK_PAYLOAD, resource_types, schemas, service_provider_config,
};

use serde_json::{Value, json};
use sigil_core::TenantId;
use sigil_oidc::Provider;
use sigil_oidc::admin::{AdminError, Precondition};
use sigil_store::StoreError;

use crate::error::{ScimError, ScimType};
use crate::names::get_ci;
use crate::schema::{LIST_RESPONSE, enterprise_user_schema, group_schema, user_schema};

/// Most resources one page of a search returns (`filter.maxResults`).
pub const MAX_RESULTS: u32 = 200;

/// How often a patch is retried when another change slips in between reading the resource
/// and writing the patched one (only when the client sent no `If-Match`).
const PATCH_RETRIES: usize = 3;

/// One caller's view of one tenant's SCIM endpoint.
pub struct Scim<'a> {
    /// The administration service.
    pub provider: &'a Provider,
    /// The tenant provisioned.
    pub tenant: &'a TenantId,
    /// The endpoint's absolute base URL (`…/scim/v2`), for `meta.location` and `$ref`.
    pub base: &'a str,
    /// Who acts, for audit events (`client:…`, `provisioning-token:…`).
    pub actor: &'a str,
}

/// A search's parameters (query string or `POST …/.search` body, RFC 7644 §3.4.2-3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchParams {
    /// The filter expression.
    pub filter: Option<String>,
    /// The attribute to sort by.
    pub sort_by: Option<String>,
    /// Descending when `"descending"`.
    pub sort_order: Option<String>,
    /// 1-based index of the first result.
    pub start_index: Option<i64>,
    /// Results per page.
    pub count: Option<i64>,
    /// Only these attributes.
    pub attributes: Vec<String>,
    /// Not these attributes.
    pub excluded_attributes: Vec<String>,
}

impl SearchParams {
    /// Reads a `POST …/.search` body (a `SearchRequest`).
    pub fn from_body(body: &Value) -> Result<Self, ScimError> {
        let object = body
            .as_object()
            .ok_or_else(|| ScimError::invalid_syntax("a search request is a JSON object"))?;
        let text = |name: &str| -> Result<Option<String>, ScimError> {
            match get_ci(object, name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(ScimError::invalid_syntax(format!(
                    "{name} must be a string"
                ))),
            }
        };
        let number = |name: &str| -> Result<Option<i64>, ScimError> {
            match get_ci(object, name) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_i64()
                    .map(Some)
                    .ok_or_else(|| ScimError::invalid_syntax(format!("{name} must be an integer"))),
            }
        };
        let list = |name: &str| -> Result<Vec<String>, ScimError> {
            match get_ci(object, name) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::String(s)) => Ok(split_list(s)),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|i| {
                        i.as_str().map(str::to_owned).ok_or_else(|| {
                            ScimError::invalid_syntax(format!("{name} lists strings"))
                        })
                    })
                    .collect(),
                Some(_) => Err(ScimError::invalid_syntax(format!("{name} must be a list"))),
            }
        };
        Ok(SearchParams {
            filter: text("filter")?,
            sort_by: text("sortBy")?,
            sort_order: text("sortOrder")?,
            start_index: number("startIndex")?,
            count: number("count")?,
            attributes: list("attributes")?,
            excluded_attributes: list("excludedAttributes")?,
        })
    }

    /// The 0-based offset and the page size, as RFC 7644 §3.4.2.4 says: a `startIndex` below
    /// 1 is 1, a negative `count` is 0, and no page is larger than [`MAX_RESULTS`].
    fn page(&self) -> (u64, u32) {
        let start = self.start_index.unwrap_or(1).max(1);
        let count = self
            .count
            .unwrap_or(i64::from(MAX_RESULTS))
            .clamp(0, i64::from(MAX_RESULTS));
        (
            u64::try_from(start - 1).unwrap_or(0),
            u32::try_from(count).unwrap_or(MAX_RESULTS),
        )
    }

    /// Whether the response keeps a (default-returned) top-level attribute, which costs a
    /// query per resource to fill (a User's `groups`, a Group's `members`).
    fn returns(&self, attribute: &str) -> bool {
        let names = |list: &[String]| {
            list.iter().any(|a| {
                let a = a.rsplit(':').next().unwrap_or(a);
                let top = a.split('.').next().unwrap_or(a);
                top.eq_ignore_ascii_case(attribute)
            })
        };
        if self.attributes.is_empty() {
            !names(&self.excluded_attributes)
        } else {
            names(&self.attributes)
        }
    }

    /// The store search these parameters ask for, with the resource type's filter and sort
    /// mappings. Without `sortBy`, results come in the order of `default_sort` (a unique key
    /// with an index, so that pages are stable and a prefix filter reads only its page).
    fn search<F>(
        &self,
        condition: impl Fn(&crate::filter::Filter) -> Result<sigil_store::Condition<F>, ScimError>,
        sort: impl Fn(&str) -> Result<F, ScimError>,
        default_sort: F,
    ) -> Result<sigil_store::Search<F>, ScimError> {
        let condition = match &self.filter {
            Some(text) => condition(&crate::filter::parse_filter(text)?)?,
            None => sigil_store::Condition::All,
        };
        let sort = match &self.sort_by {
            Some(attr) => (sort(attr)?, self.descending()?),
            None => (default_sort, false),
        };
        let (offset, limit) = self.page();
        Ok(sigil_store::Search {
            condition,
            sort: Some(sort),
            offset,
            limit,
        })
    }

    fn descending(&self) -> Result<bool, ScimError> {
        match self
            .sort_order
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("ascending") => Ok(false),
            Some("descending") => Ok(true),
            Some(other) => Err(ScimError::invalid_value(format!(
                "sortOrder is ascending or descending, not {other:?}"
            ))),
        }
    }
}

/// Splits a comma-separated attribute list (`attributes=userName,emails`).
pub fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The `ListResponse` of a search.
fn list_response(total: u64, start_index: u64, resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

/// The weak entity tag of a revision (`meta.version` and the `ETag` header).
pub fn version(revision: i64) -> String {
    format!("W/\"{revision}\"")
}

/// The revision an `If-Match` value names; a value that names none (or several) matches
/// nothing, so the write is refused rather than made unconditionally.
pub fn precondition(if_match: Option<&str>) -> Precondition {
    match if_match.map(str::trim) {
        None | Some("*") => Precondition::None,
        Some(tag) => Precondition::Revision(
            tag.trim_start_matches("W/")
                .trim_matches('"')
                .parse()
                .unwrap_or(-1),
        ),
    }
}

/// A SCIM error for what the administration service refused.
pub fn admin_error(e: AdminError) -> ScimError {
    match e {
        AdminError::Invalid { message, .. } => ScimError::invalid_value(message),
        AdminError::Conflict(what) => {
            ScimError::conflict_uniqueness(format!("a resource with this {what} already exists"))
        }
        AdminError::NoSuchTenant(_) => ScimError::not_found("no such tenant"),
        AdminError::NotFound(what) => ScimError::not_found(format!("{what} not found")),
        AdminError::Stale(what) => ScimError::precondition_failed(format!(
            "the {what} was changed since the version named in If-Match"
        )),
        AdminError::Store(StoreError::Unavailable(_)) => ScimError {
            status: 503,
            scim_type: None,
            detail: "the store is unavailable; retry later".into(),
        },
        AdminError::Store(e) => {
            tracing::error!(error = %e, "SCIM request failed in the store");
            ScimError {
                status: 500,
                scim_type: None,
                detail: "internal error".into(),
            }
        }
    }
}

/// A bad attribute value.
fn invalid_value(detail: impl Into<String>) -> ScimError {
    ScimError::bad_request(ScimType::InvalidValue, detail)
}

/// A resource a write produced: the response body (projected as asked) and its `meta`
/// (for the `Location` and `ETag` headers, whatever the projection left out).
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    /// The response body.
    pub body: Value,
    /// The resource's `meta`.
    pub meta: Value,
}

impl Written {
    fn new(kind: ResourceType, resource: &Value, params: &SearchParams) -> Self {
        Written {
            body: kind.project(resource, params),
            meta: resource.get("meta").cloned().unwrap_or(Value::Null),
        }
    }
}

/// The resource types this endpoint serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceType {
    /// `/Users`.
    User,
    /// `/Groups`.
    Group,
}

impl ResourceType {
    /// Projects a resource of this type as the parameters ask (`attributes`,
    /// `excludedAttributes`, and each attribute's `returned` characteristic).
    fn project(self, resource: &Value, params: &SearchParams) -> Value {
        let (core, extensions) = match self {
            ResourceType::User => (user_schema(), vec![enterprise_user_schema()]),
            ResourceType::Group => (group_schema(), vec![]),
        };
        crate::resource::project(
            resource,
            &params.attributes,
            &params.excluded_attributes,
            core,
            &extensions,
        )
    }

    /// The resource type named by an endpoint path segment.
    pub fn from_endpoint(segment: &str) -> Option<Self> {
        match segment {
            "Users" => Some(ResourceType::User),
            "Groups" => Some(ResourceType::Group),
            _ => None,
        }
    }
}

impl Scim<'_> {
    /// Creates a resource; the response is projected as `params` ask.
    pub async fn create(
        &self,
        kind: ResourceType,
        body: &Value,
        params: &SearchParams,
    ) -> Result<Written, ScimError> {
        let resource = match kind {
            ResourceType::User => self.create_user(body).await,
            ResourceType::Group => self.create_group(body).await,
        }?;
        Ok(Written::new(kind, &resource, params))
    }

    /// Reads a resource: its projection and its revision.
    pub async fn get(
        &self,
        kind: ResourceType,
        id: &str,
        params: &SearchParams,
    ) -> Result<(Value, i64), ScimError> {
        match kind {
            ResourceType::User => self.get_user(id, params).await,
            ResourceType::Group => self.get_group(id, params).await,
        }
    }

    /// Replaces a resource; the response is projected as `params` ask.
    pub async fn replace(
        &self,
        kind: ResourceType,
        id: &str,
        body: &Value,
        expect: Precondition,
        params: &SearchParams,
    ) -> Result<Written, ScimError> {
        let resource = match kind {
            ResourceType::User => self.replace_user(id, body, expect).await,
            ResourceType::Group => self.replace_group(id, body, expect).await,
        }?;
        Ok(Written::new(kind, &resource, params))
    }

    /// Patches a resource; the response is projected as `params` ask.
    pub async fn patch(
        &self,
        kind: ResourceType,
        id: &str,
        body: &Value,
        expect: Precondition,
        params: &SearchParams,
    ) -> Result<Written, ScimError> {
        let resource = match kind {
            ResourceType::User => self.patch_user(id, body, expect).await,
            ResourceType::Group => self.patch_group(id, body, expect).await,
        }?;
        Ok(Written::new(kind, &resource, params))
    }

    /// Deletes a resource.
    pub async fn delete(
        &self,
        kind: ResourceType,
        id: &str,
        expect: Precondition,
    ) -> Result<(), ScimError> {
        match kind {
            ResourceType::User => self.delete_user(id, expect).await,
            ResourceType::Group => self.delete_group(id, expect).await,
        }
    }

    /// Searches resources.
    pub async fn search(
        &self,
        kind: ResourceType,
        params: &SearchParams,
    ) -> Result<Value, ScimError> {
        match kind {
            ResourceType::User => self.search_users(params).await,
            ResourceType::Group => self.search_groups(params).await,
        }
    }

    /// `POST /.search`: Users, then Groups, as one list (RFC 7644 §3.4.3). A filter naming an
    /// attribute only one type has finds only resources of that type; sorting across types is
    /// not supported (`sortBy` is refused rather than ignored).
    pub async fn search_all(&self, params: &SearchParams) -> Result<Value, ScimError> {
        if params.sort_by.is_some() {
            return Err(invalid_value(
                "sortBy is not supported when searching several resource types; search /Users or /Groups",
            ));
        }
        if let Some(text) = &params.filter {
            crate::filter::parse_filter(text)?;
        }
        let (offset, limit) = params.page();
        let mut total = 0;
        let mut resources = Vec::new();
        let mut refusals = Vec::new();
        for kind in [ResourceType::User, ResourceType::Group] {
            // Count this type's matches, then take what falls in the page.
            let counted = SearchParams {
                count: Some(0),
                start_index: None,
                ..params.clone()
            };
            let found = match self.search(kind, &counted).await {
                Ok(list) => list["totalResults"].as_u64().unwrap_or(0),
                Err(e) if e.scim_type == Some(ScimType::InvalidFilter) => {
                    refusals.push(e);
                    continue;
                }
                Err(e) => return Err(e),
            };
            let skip = offset.saturating_sub(total);
            let wanted = u64::from(limit).saturating_sub(resources.len() as u64);
            if wanted > 0 && skip < found {
                let page = SearchParams {
                    start_index: i64::try_from(skip + 1).ok(),
                    count: i64::try_from(wanted).ok(),
                    ..params.clone()
                };
                let list = self.search(kind, &page).await?;
                if let Some(items) = list["Resources"].as_array() {
                    resources.extend(items.iter().cloned());
                }
            }
            total += found;
        }
        if refusals.len() == 2 {
            return Err(refusals.remove(0));
        }
        Ok(list_response(total, offset + 1, resources))
    }

    /// The absolute URL of a resource.
    fn location(&self, kind: &str, id: &str) -> String {
        format!("{}/{kind}/{id}", self.base)
    }
}
