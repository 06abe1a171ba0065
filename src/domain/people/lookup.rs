//! Exact-match lookups of leaders and teams with offset pages, for provisioning clients
//! (SCIM) that find people by login name, HRIS key or email and page by position.

use entity::{leader, team, team_member};
use sea_orm::sea_query::{Expr, ExprTrait, Func, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use uuid::Uuid;

use super::READERS;
use crate::auth::RequestContext;
use crate::error::{Context, Result};
use crate::startup::AppState;
use crate::tenancy;

/// Which leaders to find: equality on a key, combined with `and`/`or`.
#[derive(Debug, Clone, PartialEq)]
pub enum LeaderMatch {
    /// The login name, case-insensitively; a leader without one is matched on email.
    UserName(String),
    /// The HRIS key, exactly.
    ExternalId(String),
    /// The email, case-insensitively.
    Email(String),
    And(Box<LeaderMatch>, Box<LeaderMatch>),
    Or(Box<LeaderMatch>, Box<LeaderMatch>),
}

fn lower_eq(col: leader::Column, value: &str) -> SimpleExpr {
    Expr::expr(Func::lower(Expr::col(col))).eq(value.to_lowercase())
}

fn condition(m: &LeaderMatch) -> Condition {
    match m {
        LeaderMatch::UserName(v) => Condition::any()
            .add(lower_eq(leader::Column::UserName, v))
            .add(
                Condition::all()
                    .add(leader::Column::UserName.is_null())
                    .add(lower_eq(leader::Column::Email, v)),
            ),
        LeaderMatch::ExternalId(v) => Condition::all().add(leader::Column::ExternalId.eq(v)),
        LeaderMatch::Email(v) => Condition::all().add(lower_eq(leader::Column::Email, v)),
        LeaderMatch::And(a, b) => Condition::all().add(condition(a)).add(condition(b)),
        LeaderMatch::Or(a, b) => Condition::any().add(condition(a)).add(condition(b)),
    }
}

/// One page by position: rows `offset..offset + limit` in creation order, and the total.
pub struct OffsetPage<M> {
    pub items: Vec<M>,
    pub total: u64,
}

async fn offset_page<E>(
    state: &AppState,
    select: Select<E>,
    id: E::Column,
    offset: u64,
    limit: u64,
) -> Result<OffsetPage<E::Model>>
where
    E: sea_orm::EntityTrait,
    E::Model: Send + Sync,
{
    let total = select
        .clone()
        .count(&state.db)
        .await
        .context("counting matches")?;
    let items = if limit == 0 {
        Vec::new()
    } else {
        select
            .order_by_asc(id)
            .offset(offset)
            .limit(limit)
            .all(&state.db)
            .await
            .context("loading matches")?
    };
    Ok(OffsetPage { items, total })
}

/// Leaders matching `m` (all when `None`), ordered by id (UUIDv7: creation order).
pub async fn leaders(
    state: &AppState,
    ctx: &RequestContext,
    m: Option<&LeaderMatch>,
    offset: u64,
    limit: u64,
) -> Result<OffsetPage<leader::Model>> {
    let org = ctx.require(READERS)?.organization_id;
    let mut select = tenancy::select::<leader::Entity>(org);
    if let Some(m) = m {
        select = select.filter(condition(m));
    }
    offset_page(state, select, leader::Column::Id, offset, limit).await
}

/// Teams named exactly `name` (all when `None`), ordered by id.
pub async fn teams(
    state: &AppState,
    ctx: &RequestContext,
    name: Option<&str>,
    offset: u64,
    limit: u64,
) -> Result<OffsetPage<team::Model>> {
    let org = ctx.require(READERS)?.organization_id;
    let mut select = tenancy::select::<team::Entity>(org);
    if let Some(name) = name {
        select = select.filter(team::Column::Name.eq(name));
    }
    offset_page(state, select, team::Column::Id, offset, limit).await
}

/// The members of each of `teams` as (team, leader) pairs, in one query.
pub async fn team_members(
    state: &AppState,
    ctx: &RequestContext,
    teams: &[Uuid],
) -> Result<Vec<(Uuid, Uuid)>> {
    let org = ctx.require(READERS)?.organization_id;
    if teams.is_empty() {
        return Ok(Vec::new());
    }
    Ok(tenancy::select::<team_member::Entity>(org)
        .filter(team_member::Column::TeamId.is_in(teams.iter().copied()))
        .order_by_asc(team_member::Column::AddedAt)
        .order_by_asc(team_member::Column::LeaderId)
        .all(&state.db)
        .await
        .context("loading team members")?
        .into_iter()
        .map(|m| (m.team_id, m.leader_id))
        .collect())
}
