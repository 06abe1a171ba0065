//! Parsed documents by query text. Clients send the same few queries again and again,
//! and parsing one (pest, token by token) was about a tenth of the CPU of a 50-leader
//! directory page; a clone of the parsed document costs a fraction of that. A kept
//! document also carries its compiled plan, when it has one (`graphql::compiled`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use async_graphql::parser::types::ExecutableDocument;

use crate::graphql::compiled::{self, Plan};

/// Most bytes of query text whose documents are kept; when full, the cache starts over.
const CAPACITY_BYTES: usize = 512 * 1024;
/// Longest query whose document is kept.
const MAX_QUERY_BYTES: usize = 16 * 1024;

/// A document that parsed, and its plan.
pub struct Kept {
    pub doc: ExecutableDocument,
    plan: Option<Plan>,
    /// The general executor accepted the document: it passed validation.
    accepted: AtomicBool,
}

impl Kept {
    /// The plan that answers a request naming `operation_name`, once the general
    /// executor has accepted this document.
    pub fn plan(&self, operation_name: Option<&str>) -> Option<&Plan> {
        if !self.accepted.load(Ordering::Acquire) {
            return None;
        }
        self.plan.as_ref().filter(|p| p.runs(operation_name))
    }

    /// Notes that the document passed validation.
    pub fn accept(&self) {
        if self.plan.is_some() {
            self.accepted.store(true, Ordering::Release);
        }
    }
}

#[derive(Default)]
struct Entries {
    documents: HashMap<Box<str>, Arc<Kept>>,
    bytes: usize,
}

/// Documents that parsed, by their exact text.
pub struct DocumentCache {
    inner: RwLock<Entries>,
    compile: bool,
}

impl DocumentCache {
    /// A cache that compiles the documents it keeps when `compile` is set.
    pub fn new(compile: bool) -> Self {
        Self {
            inner: RwLock::default(),
            compile,
        }
    }

    /// The document this text parsed into before.
    pub fn get(&self, query: &str) -> Option<Arc<Kept>> {
        self.inner.read().ok()?.documents.get(query).cloned()
    }

    /// Keeps the document `query` parsed into (and compiles it).
    pub fn keep(&self, query: &str, doc: &ExecutableDocument) -> Option<Arc<Kept>> {
        if query.len() > MAX_QUERY_BYTES {
            return None;
        }
        let kept = Arc::new(Kept {
            doc: doc.clone(),
            plan: if self.compile {
                compiled::compile(doc)
            } else {
                None
            },
            accepted: AtomicBool::new(false),
        });
        let mut entries = self.inner.write().ok()?;
        if let Some(found) = entries.documents.get(query) {
            return Some(found.clone());
        }
        if entries.bytes + query.len() > CAPACITY_BYTES {
            entries.documents.clear();
            entries.bytes = 0;
        }
        entries.bytes += query.len();
        entries.documents.insert(query.into(), kept.clone());
        Some(kept)
    }

    /// Documents kept (for tests).
    pub fn len(&self) -> usize {
        self.inner.read().map_or(0, |e| e.documents.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
