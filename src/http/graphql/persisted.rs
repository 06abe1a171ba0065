//! Persisted queries: Apollo's automatic persisted queries (a sha256 hash in
//! `extensions.persistedQuery` stands for a query sent once before), and an allow-list
//! mode in which only the queries of a manifest run.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use async_graphql::Value;
use sha2::{Digest, Sha256};

use crate::config::PersistedQueries;
use crate::error::{Context, Result};

/// Most bytes of automatic persisted queries kept; the oldest are forgotten first.
const CAPACITY_BYTES: usize = 16 * 1024 * 1024;
/// Longest query remembered.
const MAX_QUERY_BYTES: usize = 100 * 1024;

/// Why a request's persisted query cannot run: a GraphQL error code and a message.
#[derive(Debug, PartialEq, Eq)]
pub struct Refused {
    pub code: &'static str,
    pub message: &'static str,
}

#[derive(Default)]
struct Cache {
    queries: HashMap<String, Arc<str>>,
    order: VecDeque<String>,
    bytes: usize,
}

/// The registered and remembered queries, by sha256 hash (lowercase hex).
pub struct PersistedStore {
    allow_list: Option<HashMap<String, Arc<str>>>,
    cache: Mutex<Cache>,
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

impl PersistedStore {
    /// Loads the manifest in allow-list mode: a JSON object of hash to query, or an
    /// Apollo persisted-query manifest (`operations[] { id body }`).
    pub fn from_config(mode: &PersistedQueries) -> Result<Self> {
        let allow_list = match mode {
            PersistedQueries::Automatic => None,
            PersistedQueries::AllowList(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading {}", path.display()))?;
                let json: serde_json::Value = serde_json::from_str(&text)
                    .with_context(|| format!("parsing {}", path.display()))?;
                Some(manifest_entries(&json))
            }
        };
        Ok(Self {
            allow_list,
            cache: Mutex::new(Cache::default()),
        })
    }

    /// Fills in or checks `request.query` from `extensions.persistedQuery`. In
    /// allow-list mode, refuses every query the manifest does not hold. Answers the hash
    /// of a new query to [`remember`](Self::remember) once it has run.
    pub fn resolve(&self, request: &mut async_graphql::Request) -> Result<Option<String>, Refused> {
        let hash = match request.extensions.get("persistedQuery") {
            None => None,
            Some(Value::Object(pq)) => {
                if pq.get("version") != Some(&Value::from(1)) {
                    return Err(Refused {
                        code: "PERSISTED_QUERY_NOT_SUPPORTED",
                        message: "only persisted query version 1 is supported",
                    });
                }
                match pq.get("sha256Hash") {
                    Some(Value::String(h)) => Some(h.to_ascii_lowercase()),
                    _ => {
                        return Err(Refused {
                            code: "BAD_USER_INPUT",
                            message: "persistedQuery needs a sha256Hash",
                        });
                    }
                }
            }
            Some(_) => {
                return Err(Refused {
                    code: "BAD_USER_INPUT",
                    message: "persistedQuery must be an object",
                });
            }
        };
        let has_text = !request.query.is_empty();
        if let Some(allowed) = &self.allow_list {
            let key = hash.unwrap_or_else(|| sha256_hex(&request.query));
            return match allowed.get(&key) {
                Some(q) if !has_text || **q == *request.query => {
                    request.query = q.to_string();
                    Ok(None)
                }
                _ => Err(Refused {
                    code: "PERSISTED_QUERY_NOT_ALLOWED",
                    message: "only registered queries may run here",
                }),
            };
        }
        let Some(hash) = hash else {
            return Ok(None);
        };
        if has_text {
            if sha256_hex(&request.query) != hash {
                return Err(Refused {
                    code: "BAD_USER_INPUT",
                    message: "provided sha256Hash does not match the query",
                });
            }
            return Ok(Some(hash));
        }
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        match cache.queries.get(&hash) {
            Some(q) => {
                request.query = q.to_string();
                Ok(None)
            }
            None => Err(Refused {
                code: "PERSISTED_QUERY_NOT_FOUND",
                message: "PersistedQueryNotFound",
            }),
        }
    }

    /// Keeps `query` under `hash` (called once the query parsed, validated and ran).
    pub fn remember(&self, hash: String, query: &str) {
        if query.len() > MAX_QUERY_BYTES {
            return;
        }
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.queries.contains_key(&hash) {
            return;
        }
        while cache.bytes + query.len() > CAPACITY_BYTES {
            let Some(old) = cache.order.pop_front() else {
                break;
            };
            if let Some(q) = cache.queries.remove(&old) {
                cache.bytes -= q.len();
            }
        }
        cache.bytes += query.len();
        cache.order.push_back(hash.clone());
        cache.queries.insert(hash, Arc::from(query));
    }
}

fn manifest_entries(json: &serde_json::Value) -> HashMap<String, Arc<str>> {
    let pairs: Vec<(String, String)> = match json.get("operations").and_then(|o| o.as_array()) {
        Some(ops) => ops
            .iter()
            .filter_map(|op| {
                Some((
                    op.get("id")?.as_str()?.to_owned(),
                    op.get("body")?.as_str()?.to_owned(),
                ))
            })
            .collect(),
        None => json
            .as_object()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default(),
    };
    let mut map = HashMap::new();
    for (id, body) in pairs {
        let body: Arc<str> = Arc::from(body);
        // Clients may send the text of a registered query instead of its id.
        map.insert(sha256_hex(&body), body.clone());
        map.insert(id.to_ascii_lowercase(), body);
    }
    map
}
