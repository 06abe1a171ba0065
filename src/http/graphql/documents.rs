//! Parsed documents by query text. Clients send the same few queries again and again,
//! and parsing one (pest, token by token) was about a tenth of the CPU of a 50-leader
//! directory page; a clone of the parsed document costs a fraction of that.

use std::collections::HashMap;
use std::sync::RwLock;

use async_graphql::parser::types::ExecutableDocument;

/// Most bytes of query text whose documents are kept; when full, the cache starts over.
const CAPACITY_BYTES: usize = 512 * 1024;
/// Longest query whose document is kept.
const MAX_QUERY_BYTES: usize = 16 * 1024;

#[derive(Default)]
struct Entries {
    documents: HashMap<Box<str>, ExecutableDocument>,
    bytes: usize,
}

/// Documents that parsed, by their exact text.
#[derive(Default)]
pub struct DocumentCache {
    inner: RwLock<Entries>,
}

impl DocumentCache {
    /// Gives `request` its parsed document when this text was parsed before.
    /// Says whether it was.
    pub fn restore(&self, request: &mut async_graphql::Request) -> bool {
        let Ok(entries) = self.inner.read() else {
            return false;
        };
        let Some(doc) = entries.documents.get(request.query.as_str()).cloned() else {
            return false;
        };
        drop(entries);
        request.set_parsed_query(doc);
        true
    }

    /// Keeps the document `query` parsed into.
    pub fn keep(&self, query: &str, doc: &ExecutableDocument) {
        if query.len() > MAX_QUERY_BYTES {
            return;
        }
        let Ok(mut entries) = self.inner.write() else {
            return;
        };
        if entries.documents.contains_key(query) {
            return;
        }
        if entries.bytes + query.len() > CAPACITY_BYTES {
            entries.documents.clear();
            entries.bytes = 0;
        }
        entries.bytes += query.len();
        entries.documents.insert(query.into(), doc.clone());
    }

    /// Documents kept (for tests).
    pub fn len(&self) -> usize {
        self.inner.read().map_or(0, |e| e.documents.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
