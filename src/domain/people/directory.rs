//! The people directory: leaders filtered and ordered, as keyset pages.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::enums::LeaderStatus;
use entity::{leader, team, team_member};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Func, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbBackend, IdenStatic, Iterable, JoinType, PaginatorTrait,
    QueryFilter, QuerySelect, Select,
};
use uuid::Uuid;

use super::{READERS, teams};
use crate::auth::RequestContext;
use crate::domain::pagination::{self, CursorKey, Ordering, Page, PageArgs};
use crate::error::{Context, Error, Result};
use crate::startup::AppState;
use crate::tenancy;
use crate::tenancy::{DirectoryRow, MANAGER_PREFIX, TEAMS_COLUMN};

#[derive(Debug, Clone, Default)]
pub struct LeaderFilter {
    pub status: Option<LeaderStatus>,
    pub department: Option<String>,
    pub team_id: Option<Uuid>,
    pub manager_id: Option<Uuid>,
    /// Matches name or email, case-insensitively.
    pub search: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LeaderOrderField {
    #[default]
    Name,
    CreatedAt,
    Department,
}

/// `%`, `_` and the escape character itself are literal in a search.
fn like_pattern(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('%');
    for c in s.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

fn lower(col: leader::Column) -> SimpleExpr {
    Func::lower(Expr::col((leader::Entity, col))).into()
}

fn filtered(org: Uuid, f: &LeaderFilter) -> Select<leader::Entity> {
    let mut q = tenancy::select::<leader::Entity>(org);
    if let Some(s) = f.status {
        q = q.filter(leader::Column::Status.eq(s));
    }
    if let Some(d) = &f.department {
        q = q.filter(leader::Column::Department.eq(d.as_str()));
    }
    if let Some(m) = f.manager_id {
        q = q.filter(leader::Column::ManagerId.eq(m));
    }
    if let Some(t) = f.team_id {
        let members = Query::select()
            .column(team_member::Column::LeaderId)
            .from(team_member::Entity)
            .and_where(team_member::Column::TeamId.eq(t))
            .and_where(team_member::Column::OrganizationId.eq(org))
            .to_owned();
        q = q.filter(leader::Column::Id.in_subquery(members));
    }
    if let Some(s) = f.search.as_deref().filter(|s| !s.trim().is_empty()) {
        let pattern = like_pattern(s);
        let like = |col| {
            Expr::expr(lower(col))
                .like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\'))
        };
        q = q.filter(
            sea_orm::Condition::any()
                .add(like(leader::Column::Name))
                .add(like(leader::Column::Email)),
        );
    }
    q
}

fn ordering(field: LeaderOrderField, descending: bool) -> Ordering<leader::Model> {
    let key: pagination::SortKey<leader::Model> = match field {
        LeaderOrderField::Name => (Expr::col((leader::Entity, leader::Column::Name)), |l| {
            CursorKey::Text(l.name.clone())
        }),
        LeaderOrderField::CreatedAt => (
            Expr::col((leader::Entity, leader::Column::CreatedAt)),
            |l| CursorKey::Time(l.created_at),
        ),
        LeaderOrderField::Department => (
            Func::coalesce([
                Expr::col((leader::Entity, leader::Column::Department)),
                Expr::value(""),
            ])
            .into(),
            |l| CursorKey::Text(l.department.clone().unwrap_or_default()),
        ),
    };
    let tag = match (field, descending) {
        (LeaderOrderField::Name, false) => "name",
        (LeaderOrderField::Name, true) => "name-desc",
        (LeaderOrderField::CreatedAt, false) => "created",
        (LeaderOrderField::CreatedAt, true) => "created-desc",
        (LeaderOrderField::Department, false) => "department",
        (LeaderOrderField::Department, true) => "department-desc",
    };
    Ordering {
        key: Some(key),
        descending,
        tag,
    }
}

/// A page of the directory, in the requested order.
pub async fn list(
    state: &AppState,
    ctx: &RequestContext,
    filter: &LeaderFilter,
    field: LeaderOrderField,
    descending: bool,
    args: &PageArgs,
) -> Result<Page<leader::Model>> {
    let org = ctx.require(READERS)?.organization_id;
    pagination::fetch_as::<_, tenancy::LeaderRow, _>(
        &state.db,
        filtered(org, filter),
        leader::Column::Id,
        &ordering(field, descending),
        args,
    )
    .await
}

/// How many leaders match `filter` (for `totalCount`).
pub async fn count(db: &DatabaseConnection, org: Uuid, filter: &LeaderFilter) -> Result<u64> {
    filtered(org, filter)
        .count(db)
        .await
        .context("counting leaders")
}

/// Which of a leader's nullable columns a page reads; the others read as NULL (and so
/// as `None` in the models). The key, organization, name, status and timestamps are
/// always read. A page that shows a few fields then carries and decodes only those.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaderColumns(u32);

impl LeaderColumns {
    pub const REQUIRED: Self = Self(0)
        .with(leader::Column::Id)
        .with(leader::Column::OrganizationId)
        .with(leader::Column::Name)
        .with(leader::Column::Status)
        .with(leader::Column::CreatedAt)
        .with(leader::Column::UpdatedAt);

    pub const fn with(self, column: leader::Column) -> Self {
        Self(self.0 | 1 << column as u32)
    }

    pub const fn has(self, column: leader::Column) -> bool {
        self.0 & (1 << column as u32) != 0
    }
}

impl Default for LeaderColumns {
    fn default() -> Self {
        Self::REQUIRED
    }
}

/// What a directory page reads: which columns of its leaders, whether their managers
/// (and which of their columns), and whether their teams.
#[derive(Debug, Clone, Copy, Default)]
pub struct Related {
    pub leaders: LeaderColumns,
    pub managers: Option<LeaderColumns>,
    pub teams: bool,
}

/// `column`, or NULL under its name when `columns` leaves it out.
fn column_or_null(columns: LeaderColumns, column: leader::Column, expr: SimpleExpr) -> SimpleExpr {
    if columns.has(column) {
        expr
    } else {
        Expr::cust("NULL")
    }
}

/// A directory page with its leaders' managers and teams.
pub struct RelatedPage {
    pub page: Page<leader::Model>,
    /// The page's leaders' managers, by id (empty unless asked for).
    pub managers: HashMap<Uuid, leader::Model>,
    /// Every page leader's teams, sorted by id (empty unless asked for).
    pub teams: HashMap<Uuid, Vec<team::Model>>,
}

/// A team as the page statement reads it: id, name, description, created, updated.
type TeamJson = (Uuid, String, Option<String>, DateTime<Utc>, DateTime<Utc>);

/// A page of the directory with the columns and relations a directory page shows (see
/// [`Related`]), in one statement on PostgreSQL: the manager is a left join, and each
/// leader's teams a JSON array aggregated beside the row. Every statement has its fixed
/// costs (a round trip, a transaction, the pool's check of the connection on its
/// return, an executor), and on the directory page those were most of the work.
/// SQLite, in process, reads the teams with a second statement.
pub async fn list_related(
    state: &AppState,
    ctx: &RequestContext,
    filter: &LeaderFilter,
    field: LeaderOrderField,
    descending: bool,
    args: &PageArgs,
    related: Related,
) -> Result<RelatedPage> {
    let org = ctx.require(READERS)?.organization_id;
    let db = &state.db;
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    let mut leaders = related.leaders;
    if related.managers.is_some() {
        leaders = leaders.with(leader::Column::ManagerId);
    }
    if field == LeaderOrderField::Department {
        // The cursor carries it.
        leaders = leaders.with(leader::Column::Department);
    }
    let mut select = filtered(org, filter).select_only();
    for col in leader::Column::iter() {
        let expr = column_or_null(leaders, col, Expr::col((leader::Entity, col)));
        select = select.expr_as(expr, col.as_str());
    }
    if let Some(columns) = related.managers {
        let mgr = Alias::new("mgr");
        QuerySelect::query(&mut select).join_as(
            JoinType::LeftJoin,
            leader::Entity,
            mgr.clone(),
            Condition::all()
                .add(
                    Expr::col((mgr.clone(), leader::Column::Id))
                        .equals((leader::Entity, leader::Column::ManagerId)),
                )
                .add(Expr::col((mgr.clone(), leader::Column::OrganizationId)).eq(org)),
        );
        for col in leader::Column::iter() {
            let expr = column_or_null(columns, col, Expr::col((mgr.clone(), col)));
            select = select.expr_as(expr, format!("{MANAGER_PREFIX}{}", col.as_str()));
        }
    }
    let teams_in_row = related.teams && postgres;
    if teams_in_row {
        select = select.expr_as(
            Expr::cust_with_values(
                "(SELECT json_agg(json_build_array(t.id, t.name, t.description, \
                 t.created_at, t.updated_at) ORDER BY t.id)::text \
                 FROM team_members tm JOIN teams t \
                 ON t.id = tm.team_id AND t.organization_id = $1 \
                 WHERE tm.leader_id = \"leaders\".\"id\" AND tm.organization_id = $1)",
                [org],
            ),
            TEAMS_COLUMN,
        );
    }
    let page = pagination::fetch_with::<_, DirectoryRow, _, DirectoryRow>(
        db,
        select,
        leader::Column::Id,
        &ordering(field, descending),
        args,
        |rows| rows,
        |r| &r.leader,
    )
    .await?;
    let mut managers = HashMap::new();
    let mut teams = HashMap::new();
    let mut items = Vec::with_capacity(page.items.len());
    for (cursor, row) in page.items {
        if related.managers.is_some() {
            let manager = row.manager.ok_or_else(|| Error::Unexpected {
                context: "reading the page's managers".to_owned(),
                source: "the manager's columns are missing".into(),
            })?;
            if let Some(m) = manager {
                managers.insert(m.id, m);
            }
        }
        if teams_in_row {
            let read: Vec<TeamJson> = match &row.teams_json {
                Some(json) => serde_json::from_str(json).context("reading a leader's teams")?,
                None => Vec::new(),
            };
            let of_leader = read
                .into_iter()
                .map(
                    |(id, name, description, created_at, updated_at)| team::Model {
                        id,
                        organization_id: org,
                        name,
                        description,
                        created_at,
                        updated_at,
                    },
                )
                .collect();
            teams.insert(row.leader.id, of_leader);
        }
        items.push((cursor, row.leader));
    }
    if related.teams && !teams_in_row {
        let ids: Vec<Uuid> = items.iter().map(|(_, l)| l.id).collect();
        teams = teams::teams_by_leader(db, org, &ids).await?;
    }
    Ok(RelatedPage {
        page: Page {
            items,
            has_previous: page.has_previous,
            has_next: page.has_next,
        },
        managers,
        teams,
    })
}
