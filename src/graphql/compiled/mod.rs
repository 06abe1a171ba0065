//! Compiled reads: the directory page answered without the general executor.
//!
//! The general executor resolves every field of a response through its own boxed
//! future, builds a tree of values and serializes it; on a 50-leader page that is about
//! 570 fields and most of the request's CPU. A document whose operation is a plain
//! `leaders` connection (the directory page clients send again and again) is compiled,
//! when it is first kept, into a plan: which fields, under which response keys, in
//! which order. Once the general executor has accepted that document (validation is a
//! property of the document), later requests with it run the plan: one statement (on PostgreSQL) reads the page
//! with its managers joined and its teams aggregated beside each row, and the answer
//! is written as JSON straight from the rows.
//!
//! The plan covers the well-formed, permitted case only. Any argument value it does not
//! read exactly as the schema would, a caller the directory would refuse or filter (a
//! review token), and any failure at all send the request to the general executor,
//! which gives the error. So errors always come from one place, and a compiled answer
//! is the answer the general executor gives (a test holds both to that), with its fields
//! in the order the operation selected them, as the GraphQL spec asks. (The general
//! executor puts an object's fields in the order their futures finish, so a field that
//! waits on a statement, such as `totalCount`, can come out of place.)

mod arguments;
mod compile;
mod run;
mod write;

pub use compile::compile;
pub use run::{Compiled, run};

use async_graphql::Name;
use async_graphql::parser::types::VariableDefinition;
use async_graphql_value::Value;

use crate::domain::people::directory::Related;

/// A field of a selection and the bytes that open it in the response (`"key":`).
struct Entry<F> {
    key: Box<[u8]>,
    field: F,
}

enum ConnectionField {
    Typename,
    TotalCount,
    PageInfo(Vec<Entry<PageInfoField>>),
    Nodes(Vec<Entry<LeaderField>>),
    Edges(Vec<Entry<EdgeField>>),
}

enum PageInfoField {
    Typename,
    HasPreviousPage,
    HasNextPage,
    StartCursor,
    EndCursor,
}

enum EdgeField {
    Typename,
    Cursor,
    Node(Vec<Entry<LeaderField>>),
}

enum LeaderField {
    Typename,
    Id,
    Name,
    Email,
    Title,
    Department,
    Location,
    ExternalId,
    StartDate,
    Status,
    CreatedAt,
    UpdatedAt,
    /// The manager's own fields: scalars only.
    Manager(Vec<Entry<LeaderField>>),
    Teams(Vec<Entry<TeamField>>),
}

enum TeamField {
    Typename,
    Id,
    Name,
    Description,
    CreatedAt,
}

/// A directory-page operation, compiled.
pub struct Plan {
    /// The name of the document's only operation.
    operation: Option<Name>,
    variables: Vec<VariableDefinition>,
    /// `"leaders":`, or the alias.
    root_key: Box<[u8]>,
    arguments: Vec<(Name, Value)>,
    connection: Vec<Entry<ConnectionField>>,
    /// The columns and relations the selection reads.
    related: Related,
    wants_count: bool,
}

impl Plan {
    /// Whether this plan is the operation a request with `operation_name` runs.
    pub fn runs(&self, operation_name: Option<&str>) -> bool {
        match operation_name {
            None => true,
            Some(name) => self.operation.as_deref() == Some(name),
        }
    }
}
