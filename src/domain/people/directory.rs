//! The people directory: leaders filtered and ordered, as keyset pages.

use entity::enums::LeaderStatus;
use entity::{leader, team_member};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query, SimpleExpr};
use sea_orm::{ColumnTrait, DatabaseConnection, PaginatorTrait, QueryFilter, Select};
use uuid::Uuid;

use super::READERS;
use crate::auth::RequestContext;
use crate::domain::pagination::{self, CursorKey, Ordering, Page, PageArgs};
use crate::error::{Context, Result};
use crate::startup::AppState;
use crate::tenancy;

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
    Func::lower(Expr::col(col)).into()
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
        LeaderOrderField::Name => (Expr::col(leader::Column::Name), |l| {
            CursorKey::Text(l.name.clone())
        }),
        LeaderOrderField::CreatedAt => (Expr::col(leader::Column::CreatedAt), |l| {
            CursorKey::Time(l.created_at)
        }),
        LeaderOrderField::Department => (
            Func::coalesce([Expr::col(leader::Column::Department), Expr::value("")]).into(),
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
