//! Keyset pagination: cursors encode the sort key and the row's UUIDv7 id, so page 1000
//! costs what page 1 costs. `first`/`last` default to 20 and may not exceed 100.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, Order, QueryFilter, QueryOrder,
    QueryTrait, Select, Statement,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Context, Error, Result};

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

/// The sort-key part of a cursor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CursorKey {
    #[serde(rename = "s")]
    Text(String),
    #[serde(rename = "t")]
    Time(DateTime<Utc>),
}

impl CursorKey {
    fn into_expr(self) -> SimpleExpr {
        match self {
            CursorKey::Text(s) => Expr::value(s),
            CursorKey::Time(t) => Expr::value(t),
        }
    }
}

/// A position in a list: the sort key (absent when sorting by id) and the id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "k", default, skip_serializing_if = "Option::is_none")]
    pub key: Option<CursorKey>,
    #[serde(rename = "i")]
    pub id: Uuid,
    /// The ordering the cursor was made in; a cursor is refused in any other.
    #[serde(rename = "o", default, skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
}

impl Cursor {
    pub fn encode(&self) -> String {
        // Serializing a struct of strings, dates and a UUID cannot fail.
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn decode(s: &str) -> Result<Self> {
        let bad = || Error::BadUserInput("the cursor is not valid".to_owned());
        if s.len() > 2048 {
            return Err(bad());
        }
        let raw = URL_SAFE_NO_PAD.decode(s).map_err(|_| bad())?;
        serde_json::from_slice(&raw).map_err(|_| bad())
    }
}

/// The Relay arguments, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct PageArgs {
    pub limit: u64,
    pub backward: bool,
    pub cursor: Option<Cursor>,
}

impl Default for PageArgs {
    fn default() -> Self {
        Self {
            limit: DEFAULT_PAGE_SIZE,
            backward: false,
            cursor: None,
        }
    }
}

fn size(name: &str, n: i32) -> Result<u64> {
    match u64::try_from(n) {
        Ok(n) if n <= MAX_PAGE_SIZE => Ok(n),
        _ => Err(Error::BadUserInput(format!(
            "`{name}` must be between 0 and {MAX_PAGE_SIZE}, got {n}"
        ))),
    }
}

impl PageArgs {
    pub fn new(
        first: Option<i32>,
        after: Option<&str>,
        last: Option<i32>,
        before: Option<&str>,
    ) -> Result<Self> {
        if first.is_some() && last.is_some() {
            return Err(Error::BadUserInput(
                "pass `first` or `last`, not both".to_owned(),
            ));
        }
        if after.is_some() && before.is_some() {
            return Err(Error::BadUserInput(
                "pass `after` or `before`, not both".to_owned(),
            ));
        }
        let backward = last.is_some() || (before.is_some() && first.is_none());
        if backward && after.is_some() {
            return Err(Error::BadUserInput(
                "`last` pages backwards: use it with `before`".to_owned(),
            ));
        }
        if first.is_some() && before.is_some() {
            return Err(Error::BadUserInput(
                "`first` pages forwards: use it with `after`".to_owned(),
            ));
        }
        let limit = match (first, last) {
            (Some(n), _) => size("first", n)?,
            (_, Some(n)) => size("last", n)?,
            _ => DEFAULT_PAGE_SIZE,
        };
        let cursor = after.or(before).map(Cursor::decode).transpose()?;
        Ok(Self {
            limit,
            backward,
            cursor,
        })
    }
}

/// One page of rows, each with its cursor, in list order.
#[derive(Debug)]
pub struct Page<M> {
    pub items: Vec<(Cursor, M)>,
    pub has_previous: bool,
    pub has_next: bool,
}

/// A sort key: its SQL expression and how to read it from a row.
pub type SortKey<M> = (SimpleExpr, fn(&M) -> CursorKey);

/// How a list is ordered: by an optional key expression, then by id.
pub struct Ordering<M> {
    /// The sort key; `None` orders by id alone.
    pub key: Option<SortKey<M>>,
    pub descending: bool,
    /// Names the ordering inside cursors, e.g. `name` or `department-desc`.
    pub tag: &'static str,
}

impl<M> Ordering<M> {
    pub fn by_id() -> Self {
        Self {
            key: None,
            descending: false,
            tag: "id",
        }
    }
}

/// Fetches the page of `select` that `args` asks for, in `ordering`, with one query.
pub async fn fetch<E, C>(
    db: &C,
    select: Select<E>,
    id: E::Column,
    ordering: &Ordering<E::Model>,
    args: &PageArgs,
) -> Result<Page<E::Model>>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    fetch_as::<E, E::Model, C>(db, select, id, ordering, args).await
}

/// Like [`fetch`], with rows decoded as `D` (a faster decoder of the same columns).
pub async fn fetch_as<E, D, C>(
    db: &C,
    select: Select<E>,
    id: E::Column,
    ordering: &Ordering<E::Model>,
    args: &PageArgs,
) -> Result<Page<E::Model>>
where
    E: EntityTrait,
    D: FromQueryResult + Into<E::Model> + Send,
    C: ConnectionTrait,
{
    let page = fetch_with::<E, E::Model, C, D>(
        db,
        select,
        id,
        ordering,
        args,
        |rows: Vec<D>| rows.into_iter().map(Into::into).collect(),
        |m| m,
    )
    .await?;
    Ok(page)
}

/// Like [`fetch`], for a select that reads more than the entity's columns (joined
/// relations, say): `decode` turns the rows into `R`s, and `model` finds the entity's
/// row inside an `R`, for its cursor. The select's own columns must be qualified by
/// table where it joins other tables; the keyset condition and order are.
pub async fn fetch_with<E, R, C, D>(
    db: &C,
    select: Select<E>,
    id: E::Column,
    ordering: &Ordering<E::Model>,
    args: &PageArgs,
    decode: impl FnOnce(Vec<D>) -> Vec<R>,
    model: fn(&R) -> &E::Model,
) -> Result<Page<R>>
where
    E: EntityTrait,
    D: FromQueryResult + Send,
    C: ConnectionTrait,
{
    // Walking backwards flips the order; the rows are reversed again afterwards.
    let descending = ordering.descending != args.backward;
    let order = if descending { Order::Desc } else { Order::Asc };
    let mut select = select;
    if let Some(cursor) = &args.cursor {
        let wrong_order =
            || Error::BadUserInput("the cursor belongs to a list in another order".to_owned());
        if cursor.order.as_deref().unwrap_or("id") != ordering.tag {
            return Err(wrong_order());
        }
        let condition = match (&ordering.key, &cursor.key) {
            (None, _) if descending => id.lt(cursor.id),
            (None, _) => id.gt(cursor.id),
            // A row-value comparison, which both stores can answer from an index range.
            (Some((expr, _)), Some(key)) => {
                let here = Expr::tuple([expr.clone(), Expr::col((E::default(), id))]);
                let there = Expr::tuple([key.clone().into_expr(), Expr::value(cursor.id)]);
                if descending {
                    here.lt(there)
                } else {
                    here.gt(there)
                }
            }
            (Some(_), None) => return Err(wrong_order()),
        };
        select = select.filter(condition);
    }
    if let Some((expr, _)) = &ordering.key {
        select = select.order_by(expr.clone(), order.clone());
    }
    let statement = with_literal_limit(
        select.order_by(id, order).build(db.get_database_backend()),
        args.limit + 1,
    );
    let rows: Vec<D> = D::find_by_statement(statement)
        .all(db)
        .await
        .context("fetching a page")?;
    let mut rows = decode(rows);
    let more = rows.len() as u64 > args.limit;
    rows.truncate(args.limit as usize);
    if args.backward {
        rows.reverse();
    }
    let items = rows
        .into_iter()
        .map(|row| {
            let m = model(&row);
            let cursor = Cursor {
                key: ordering.key.as_ref().map(|(_, read)| read(m)),
                id: id_of::<E>(m, id),
                order: (ordering.tag != "id").then(|| ordering.tag.to_owned()),
            };
            (cursor, row)
        })
        .collect();
    let (has_previous, has_next) = if args.backward {
        (more, args.cursor.is_some())
    } else {
        (args.cursor.is_some(), more)
    };
    Ok(Page {
        items,
        has_previous,
        has_next,
    })
}

/// `statement` with `LIMIT {limit}` written into its text. A page size bound as a
/// parameter hides the LIMIT from PostgreSQL's generic plan of a prepared statement,
/// which then costs it (a tenth of the table) far above any custom plan, so every
/// execution is planned anew; the directory page's statement spent as long in
/// planning as in running. A literal keeps one text per page size (at most 102) and
/// lets PostgreSQL reuse the plan.
fn with_literal_limit(mut statement: Statement, limit: u64) -> Statement {
    use std::fmt::Write;
    statement.sql.push_str(" LIMIT ");
    let _ = write!(statement.sql, "{limit}");
    statement
}

fn id_of<E: EntityTrait>(row: &E::Model, id: E::Column) -> Uuid {
    use sea_orm::ModelTrait;
    match row.get(id) {
        sea_orm::Value::Uuid(Some(u)) => u,
        _ => Uuid::nil(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes_default_to_20_and_stop_at_100() {
        assert_eq!(
            PageArgs::new(None, None, None, None).ok().map(|a| a.limit),
            Some(20)
        );
        assert_eq!(
            PageArgs::new(Some(100), None, None, None)
                .ok()
                .map(|a| a.limit),
            Some(100)
        );
        assert!(PageArgs::new(Some(101), None, None, None).is_err());
        assert!(PageArgs::new(None, None, Some(101), None).is_err());
        assert!(PageArgs::new(Some(-1), None, None, None).is_err());
        assert!(PageArgs::new(Some(1), None, Some(1), None).is_err());
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let c = Cursor {
            key: Some(CursorKey::Text("Ada".into())),
            id: Uuid::now_v7(),
            order: Some("name".into()),
        };
        assert_eq!(Cursor::decode(&c.encode()).ok(), Some(c));
        assert!(Cursor::decode("not a cursor").is_err());
    }
}
