//! Leaders decoded by position on PostgreSQL. The directory reads a hundred leader rows
//! for a page; sea-orm's derived decoding finds each column by name (a SipHash lookup),
//! checks its type against the column's (string comparisons), and formats an error for
//! every NULL it reads. A callgrind profile of the 50-leader page put that at a sixth of
//! the request. The columns are those of `Entity::find()`, in declaration order; a row
//! of any other shape is decoded the derived way.

use entity::enums::LeaderStatus;
use entity::leader;
use sea_orm::sqlx::postgres::PgRow;
use sea_orm::sqlx::{Column, Row};
use sea_orm::{ActiveEnum, DbErr, FromQueryResult, QueryResult};

/// The columns of `leaders`, as `Entity::find()` selects them.
const LEADER_COLUMNS: [&str; 15] = [
    "id",
    "organization_id",
    "name",
    "email",
    "title",
    "department",
    "location",
    "external_id",
    "manager_id",
    "start_date",
    "status",
    "user_name",
    "employee_number",
    "created_at",
    "updated_at",
];

/// A leader decoded by position where it can be.
pub struct LeaderRow(pub leader::Model);

impl From<LeaderRow> for leader::Model {
    fn from(row: LeaderRow) -> Self {
        row.0
    }
}

impl FromQueryResult for LeaderRow {
    fn from_query_result(res: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        if pre.is_empty()
            && let Some(row) = res.try_as_pg_row()
            && has_columns(row, &LEADER_COLUMNS)
        {
            return decode_leader(row).map(LeaderRow);
        }
        leader::Model::from_query_result(res, pre).map(LeaderRow)
    }
}

fn has_columns(row: &PgRow, names: &[&str]) -> bool {
    has_columns_at(row, 0, "", names)
}

/// Whether the row's columns from `at` on are `names`, each with `prefix`.
fn has_columns_at(row: &PgRow, at: usize, prefix: &str, names: &[&str]) -> bool {
    let columns = row.columns();
    columns.len() >= at + names.len()
        && names
            .iter()
            .zip(&columns[at..])
            .all(|(n, c)| c.name().strip_prefix(prefix).is_some_and(|rest| rest == *n))
}

fn decode_leader(row: &PgRow) -> Result<leader::Model, DbErr> {
    decode_leader_at(row, 0)
}

/// The leader in the 15 columns from `at` on (whose names were checked).
fn decode_leader_at(row: &PgRow, at: usize) -> Result<leader::Model, DbErr> {
    // The names and their order were checked, and sea-orm's own (checked) decoding of
    // these types works on these columns, so the unchecked decoding reads the same.
    let err = |e: sea_orm::sqlx::Error| DbErr::Type(e.to_string());
    let status: String = row.try_get_unchecked(at + 10).map_err(err)?;
    Ok(leader::Model {
        id: row.try_get_unchecked(at).map_err(err)?,
        organization_id: row.try_get_unchecked(at + 1).map_err(err)?,
        name: row.try_get_unchecked(at + 2).map_err(err)?,
        email: row.try_get_unchecked(at + 3).map_err(err)?,
        title: row.try_get_unchecked(at + 4).map_err(err)?,
        department: row.try_get_unchecked(at + 5).map_err(err)?,
        location: row.try_get_unchecked(at + 6).map_err(err)?,
        external_id: row.try_get_unchecked(at + 7).map_err(err)?,
        manager_id: row.try_get_unchecked(at + 8).map_err(err)?,
        start_date: row.try_get_unchecked(at + 9).map_err(err)?,
        status: LeaderStatus::try_from_value(&status).map_err(|e| DbErr::Type(e.to_string()))?,
        user_name: row.try_get_unchecked(at + 11).map_err(err)?,
        employee_number: row.try_get_unchecked(at + 12).map_err(err)?,
        created_at: row.try_get_unchecked(at + 13).map_err(err)?,
        updated_at: row.try_get_unchecked(at + 14).map_err(err)?,
    })
}

/// The prefix of a joined manager's columns in a [`DirectoryRow`].
pub const MANAGER_PREFIX: &str = "mgr_";
/// The column of a [`DirectoryRow`]'s teams, as JSON (PostgreSQL).
pub const TEAMS_COLUMN: &str = "teams_json";

/// A directory row: the leader's columns, then (when joined) the manager's columns,
/// each named with [`MANAGER_PREFIX`], then (when read, on PostgreSQL only) its last
/// column, [`TEAMS_COLUMN`].
pub struct DirectoryRow {
    pub leader: leader::Model,
    /// `None` when the manager was not joined, `Some(None)` when there is none.
    pub manager: Option<Option<leader::Model>>,
    pub teams_json: Option<String>,
}

impl FromQueryResult for DirectoryRow {
    fn from_query_result(res: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        let leader = LeaderRow::from_query_result(res, pre)?.0;
        let at = LEADER_COLUMNS.len();
        // Which columns the row has is read from the row itself, never by trying a
        // column and taking the error (which formats a message, for every row).
        if let Some(row) = res.try_as_pg_row() {
            let manager = if has_columns_at(row, at, MANAGER_PREFIX, &LEADER_COLUMNS) {
                let id: Option<uuid::Uuid> =
                    row.try_get(at).map_err(|e| DbErr::Type(e.to_string()))?;
                Some(match id {
                    Some(_) => Some(decode_leader_at(row, at)?),
                    None => None,
                })
            } else {
                None
            };
            let last = row.columns().len() - 1;
            let teams_json = if row.columns()[last].name() == TEAMS_COLUMN {
                row.try_get(last).map_err(|e| DbErr::Type(e.to_string()))?
            } else {
                None
            };
            return Ok(Self {
                leader,
                manager,
                teams_json,
            });
        }
        // SQLite: the manager, when joined, by name; teams are never in the row.
        let joined = res.try_as_sqlite_row().is_some_and(|row| {
            row.columns().iter().any(|c| {
                c.name()
                    .strip_prefix(pre)
                    .and_then(|rest| rest.strip_prefix(MANAGER_PREFIX))
                    == Some("id")
            })
        });
        let manager = if joined {
            let prefix = format!("{pre}{MANAGER_PREFIX}");
            match res.try_get::<Option<uuid::Uuid>>(&prefix, "id")? {
                Some(_) => Some(Some(leader::Model::from_query_result(res, &prefix)?)),
                None => Some(None),
            }
        } else {
            None
        };
        Ok(Self {
            leader,
            manager,
            teams_json: None,
        })
    }
}
