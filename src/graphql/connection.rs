//! Relay connections over keyset pages: the GraphQL side. The page itself is fetched by
//! [`crate::domain::pagination`]; this module turns it into `XConnection` types with a
//! `totalCount` that runs its COUNT only when the client asks for it.

use async_graphql::connection::{self, CursorType};
use async_graphql::futures_util::future::BoxFuture;
use async_graphql::{Object, OutputType};

use crate::domain::pagination::{Cursor, Page, PageArgs};
use crate::error::Error;

impl CursorType for Cursor {
    type Error = String;
    fn decode_cursor(s: &str) -> Result<Self, String> {
        Cursor::decode(s).map_err(|e| e.message())
    }
    fn encode_cursor(&self) -> String {
        self.encode()
    }
}

type CountFn = Box<dyn Fn() -> BoxFuture<'static, crate::error::Result<u64>> + Send + Sync>;

/// The connection-level fields besides edges and pageInfo.
pub struct ConnectionFields {
    count: CountFn,
    counted: tokio::sync::OnceCell<u64>,
}

#[Object]
impl ConnectionFields {
    /// The number of objects in the whole list (all pages).
    async fn total_count(&self) -> async_graphql::Result<u64> {
        Ok(*self.counted.get_or_try_init(|| (self.count)()).await?)
    }
}

pub type Connection<N> = connection::Connection<Cursor, N, ConnectionFields>;

/// Parses the four Relay arguments.
pub fn args(
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> Result<PageArgs, Error> {
    PageArgs::new(first, after.as_deref(), last, before.as_deref())
}

/// Builds the GraphQL connection of a fetched page, mapping each row to its node.
pub fn from_page<M, N, F, C>(page: Page<M>, map: F, count: C) -> Connection<N>
where
    N: OutputType,
    F: Fn(M) -> N,
    C: Fn() -> BoxFuture<'static, crate::error::Result<u64>> + Send + Sync + 'static,
{
    let mut conn = connection::Connection::with_additional_fields(
        page.has_previous,
        page.has_next,
        ConnectionFields {
            count: Box::new(count),
            counted: tokio::sync::OnceCell::new(),
        },
    );
    conn.edges.extend(
        page.items
            .into_iter()
            .map(|(cursor, row)| connection::Edge::new(cursor, map(row))),
    );
    conn
}
