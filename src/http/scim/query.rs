//! The query parameters of lists and gets: paging (`startIndex`, `count`), `filter`,
//! and the projection of `attributes` / `excludedAttributes`; the ListResponse.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use serde_json::{Value, json};

use super::error::{ScimError, ScimResult};
use super::{MAX_RESULTS, filter, respond};

const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// The paging and projection parameters of a list or a get.
#[derive(Debug, Default)]
pub struct Query {
    pub filter: Option<String>,
    /// 1-based.
    pub start_index: u64,
    pub count: u64,
    attributes: Vec<String>,
    excluded: Vec<String>,
}

impl Query {
    pub fn parse(query_string: &str) -> ScimResult<Self> {
        Self::from_pairs(
            url::form_urlencoded::parse(query_string.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned())),
        )
    }

    /// The parameters of a `POST …/.search` body (RFC 7644 §3.4.3).
    pub fn from_search(body: &Value) -> ScimResult<Self> {
        const SEARCH: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
        let schemas = filter::get_ci(body, "schemas").and_then(Value::as_array);
        if !schemas.is_some_and(|s| s.iter().any(|s| s.as_str() == Some(SEARCH))) {
            return Err(ScimError::bad(
                "invalidSyntax",
                format!("schemas must contain {SEARCH}"),
            ));
        }
        let mut pairs = Vec::new();
        for name in [
            "filter",
            "startIndex",
            "count",
            "attributes",
            "excludedAttributes",
        ] {
            let text = match filter::get_ci(body, name) {
                None | Some(Value::Null) => continue,
                Some(Value::String(s)) => s.clone(),
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
                Some(other) => other.to_string(),
            };
            pairs.push((name.to_owned(), text));
        }
        Self::from_pairs(pairs.into_iter())
    }

    fn from_pairs(pairs: impl Iterator<Item = (String, String)>) -> ScimResult<Self> {
        let mut q = Query {
            start_index: 1,
            count: MAX_RESULTS,
            ..Default::default()
        };
        let number = |k: &str, v: &str| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| ScimError::bad("invalidValue", format!("{k} must be an integer")))
        };
        let list = |v: &str| {
            v.split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        };
        for (k, v) in pairs {
            match k.as_str() {
                "filter" => q.filter = Some(v),
                "startIndex" => q.start_index = number(&k, &v)?.max(1) as u64,
                "count" => q.count = (number(&k, &v)?.max(0) as u64).min(MAX_RESULTS),
                "attributes" => q.attributes = list(&v),
                "excludedAttributes" => q.excluded = list(&v),
                _ => {}
            }
        }
        Ok(q)
    }

    /// Keeps what `attributes` asks for (and what is always returned), drops what
    /// `excludedAttributes` names.
    pub fn project(&self, resource: Value) -> Value {
        let Value::Object(mut obj) = resource else {
            return resource;
        };
        if !self.attributes.is_empty() {
            let wanted: Vec<(String, Option<String>)> =
                self.attributes.iter().map(|a| split_attribute(a)).collect();
            obj.retain(|k, v| keep_wanted(&wanted, k, v));
        }
        for (top, sub) in self.excluded.iter().map(|a| split_attribute(a)) {
            if ALWAYS.iter().any(|a| a.eq_ignore_ascii_case(&top)) {
                continue;
            }
            let key = obj.keys().find(|k| k.eq_ignore_ascii_case(&top)).cloned();
            match (key, sub) {
                (Some(k), None) => {
                    obj.remove(&k);
                }
                (Some(k), Some(s)) => {
                    if let Some(Value::Object(inner)) = obj.get_mut(&k) {
                        inner.retain(|ik, _| !ik.eq_ignore_ascii_case(&s));
                    }
                }
                _ => {}
            }
        }
        Value::Object(obj)
    }

    /// A ListResponse of `resources` (already one page) out of `total`.
    pub fn list_response(&self, total: u64, resources: Vec<Value>) -> HttpResponse {
        let resources: Vec<Value> = resources.into_iter().map(|r| self.project(r)).collect();
        respond(
            StatusCode::OK,
            &json!({
                "schemas": [LIST_SCHEMA],
                "totalResults": total,
                "itemsPerPage": resources.len(),
                "startIndex": self.start_index,
                "Resources": resources,
            }),
        )
    }
}

/// Attributes returned whatever `attributes` and `excludedAttributes` say.
const ALWAYS: [&str; 2] = ["id", "schemas"];

/// `name.formatted` → (`name`, `formatted`); `urn:…:User:department` → (`urn:…:User`,
/// `department`); a core schema's URN is dropped.
fn split_attribute(a: &str) -> (String, Option<String>) {
    let (urn, attr) = filter::split_urn(a);
    let (top, sub) = match attr.split_once('.') {
        Some((t, s)) => (t.to_owned(), Some(s.to_owned())),
        None => (attr.to_owned(), None),
    };
    match urn {
        Some(urn) if top.is_empty() => (urn.to_owned(), None),
        Some(urn) => (urn.to_owned(), Some(top)),
        None => (top, sub),
    }
}

/// Whether member `k` of a resource is kept for `wanted`; a complex one asked for by
/// sub-attributes only keeps those.
fn keep_wanted(wanted: &[(String, Option<String>)], k: &str, v: &mut Value) -> bool {
    if ALWAYS.iter().any(|a| a.eq_ignore_ascii_case(k)) {
        return true;
    }
    let subs: Vec<&Option<String>> = wanted
        .iter()
        .filter(|(t, _)| t.eq_ignore_ascii_case(k))
        .map(|(_, s)| s)
        .collect();
    if subs.is_empty() {
        return false;
    }
    if subs.iter().all(|s| s.is_some())
        && let Value::Object(inner) = v
    {
        inner.retain(|ik, _| {
            subs.iter()
                .any(|s| s.as_deref().is_some_and(|s| s.eq_ignore_ascii_case(ik)))
        });
    }
    true
}
