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
    let columns = row.columns();
    columns.len() >= names.len() && names.iter().zip(columns).all(|(n, c)| c.name() == *n)
}

fn decode_leader(row: &PgRow) -> Result<leader::Model, DbErr> {
    // The names and their order were checked, and sea-orm's own (checked) decoding of
    // these types works on these columns, so the unchecked decoding reads the same.
    let err = |e: sea_orm::sqlx::Error| DbErr::Type(e.to_string());
    let status: String = row.try_get_unchecked(10).map_err(err)?;
    Ok(leader::Model {
        id: row.try_get_unchecked(0).map_err(err)?,
        organization_id: row.try_get_unchecked(1).map_err(err)?,
        name: row.try_get_unchecked(2).map_err(err)?,
        email: row.try_get_unchecked(3).map_err(err)?,
        title: row.try_get_unchecked(4).map_err(err)?,
        department: row.try_get_unchecked(5).map_err(err)?,
        location: row.try_get_unchecked(6).map_err(err)?,
        external_id: row.try_get_unchecked(7).map_err(err)?,
        manager_id: row.try_get_unchecked(8).map_err(err)?,
        start_date: row.try_get_unchecked(9).map_err(err)?,
        status: LeaderStatus::try_from_value(&status).map_err(|e| DbErr::Type(e.to_string()))?,
        user_name: row.try_get_unchecked(11).map_err(err)?,
        employee_number: row.try_get_unchecked(12).map_err(err)?,
        created_at: row.try_get_unchecked(13).map_err(err)?,
        updated_at: row.try_get_unchecked(14).map_err(err)?,
    })
}
