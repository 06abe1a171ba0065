//! Teams: networks of leaders across the hierarchy (many to many).

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use entity::{leader, team, team_member};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, FromQueryResult, IntoActiveModel, JoinType, PaginatorTrait, QueryFilter,
    QuerySelect,
};
use uuid::Uuid;

use super::{READERS, WRITERS};
use crate::auth::RequestContext;
use crate::domain::input::{self, Checks};
use crate::domain::pagination::{self, Ordering, Page, PageArgs};
use crate::error::{Context, Error, Result, UserError, UserErrorCode};
use crate::startup::AppState;
use crate::tenancy;

/// Most leaders added or removed in one call.
pub const MAX_MEMBERS_PER_CALL: usize = 500;

pub async fn create(
    state: &AppState,
    ctx: &RequestContext,
    name: &str,
    description: Option<&str>,
) -> Result<team::Model> {
    let org = ctx.require(WRITERS)?.organization_id;
    let mut checks = Checks::default();
    let name = checks.take(input::required_text(&["name"], name, 200));
    let description = checks
        .take(input::optional_text(&["description"], description, 2000))
        .flatten();
    checks.finish()?;
    let now = Utc::now();
    tenancy::insert(
        &state.db,
        org,
        team::ActiveModel {
            id: Set(Uuid::now_v7()),
            name: Set(name.unwrap_or_default()),
            description: Set(description),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        },
    )
    .await
}

pub async fn update(
    state: &AppState,
    ctx: &RequestContext,
    id: Uuid,
    name: Option<&str>,
    description: super::Patch<String>,
) -> Result<team::Model> {
    let org = ctx.require(WRITERS)?.organization_id;
    let current = tenancy::find::<team::Entity, _>(&state.db, org, id)
        .await?
        .ok_or(Error::NotFound("team"))?;
    let mut checks = Checks::default();
    let name = name.and_then(|n| checks.take(input::required_text(&["name"], n, 200)));
    let description = match description {
        super::Patch::Set(d) => checks
            .take(input::optional_text(&["description"], Some(&d), 2000))
            .map(|d| match d {
                Some(d) => super::Patch::Set(d),
                None => super::Patch::Clear,
            }),
        other => Some(other),
    };
    checks.finish()?;
    let mut am = current.into_active_model();
    if let Some(n) = name {
        am.name = Set(n);
    }
    match description {
        Some(super::Patch::Set(d)) => am.description = Set(Some(d)),
        Some(super::Patch::Clear) => am.description = Set(None),
        _ => {}
    }
    am.updated_at = Set(Utc::now());
    am.update(&state.db).await.context("updating a team")
}

/// Checks the team and leaders exist in the organization; reports unknown leaders by index.
async fn check_members(
    state: &AppState,
    org: Uuid,
    team_id: Uuid,
    leader_ids: &[Uuid],
) -> Result<team::Model> {
    let team = tenancy::find::<team::Entity, _>(&state.db, org, team_id)
        .await?
        .ok_or(Error::NotFound("team"))?;
    if leader_ids.len() > MAX_MEMBERS_PER_CALL {
        return Err(Error::invalid(
            &["leaderIds"],
            UserErrorCode::LimitExceeded,
            format!("at most {MAX_MEMBERS_PER_CALL} leaders per call"),
        ));
    }
    let found: HashSet<Uuid> =
        tenancy::find_many::<leader::Entity, _>(&state.db, org, leader_ids.iter().copied())
            .await?
            .into_iter()
            .map(|l| l.id)
            .collect();
    let missing: Vec<UserError> = leader_ids
        .iter()
        .enumerate()
        .filter(|(_, id)| !found.contains(id))
        .map(|(i, _)| {
            UserError::new(
                &["leaderIds", &i.to_string()],
                UserErrorCode::NotFound,
                "no such leader",
            )
        })
        .collect();
    if missing.is_empty() {
        Ok(team)
    } else {
        Err(Error::Invalid(missing))
    }
}

/// Adds leaders to a team; those already in it are left as they are.
pub async fn add_members(
    state: &AppState,
    ctx: &RequestContext,
    team_id: Uuid,
    leader_ids: &[Uuid],
) -> Result<team::Model> {
    let org = ctx.require(WRITERS)?.organization_id;
    let team = check_members(state, org, team_id, leader_ids).await?;
    let existing: HashSet<Uuid> = tenancy::select::<team_member::Entity>(org)
        .filter(team_member::Column::TeamId.eq(team_id))
        .filter(team_member::Column::LeaderId.is_in(leader_ids.iter().copied()))
        .all(&state.db)
        .await
        .context("loading team members")?
        .into_iter()
        .map(|m| m.leader_id)
        .collect();
    let now = Utc::now();
    let mut seen = HashSet::new();
    let rows: Vec<team_member::ActiveModel> = leader_ids
        .iter()
        .filter(|id| !existing.contains(id) && seen.insert(**id))
        .map(|id| team_member::ActiveModel {
            organization_id: Set(org),
            team_id: Set(team_id),
            leader_id: Set(*id),
            added_at: Set(now),
        })
        .collect();
    if !rows.is_empty() {
        team_member::Entity::insert_many(rows)
            .on_conflict_do_nothing_on([team_member::Column::TeamId, team_member::Column::LeaderId])
            .exec(&state.db)
            .await
            .context("adding team members")?;
    }
    Ok(team)
}

pub async fn remove_members(
    state: &AppState,
    ctx: &RequestContext,
    team_id: Uuid,
    leader_ids: &[Uuid],
) -> Result<team::Model> {
    let org = ctx.require(WRITERS)?.organization_id;
    let team = check_members(state, org, team_id, leader_ids).await?;
    tenancy::delete_many::<team_member::Entity>(org)
        .filter(team_member::Column::TeamId.eq(team_id))
        .filter(team_member::Column::LeaderId.is_in(leader_ids.iter().copied()))
        .exec(&state.db)
        .await
        .context("removing team members")?;
    Ok(team)
}

/// Deletes a team and its memberships (the leaders stay).
pub async fn delete(state: &AppState, ctx: &RequestContext, id: Uuid) -> Result<()> {
    use sea_orm::TransactionTrait;
    let org = ctx.require(WRITERS)?.organization_id;
    let txn = state.db.begin().await.context("starting a transaction")?;
    tenancy::delete_many::<team_member::Entity>(org)
        .filter(team_member::Column::TeamId.eq(id))
        .exec(&txn)
        .await
        .context("removing a team's members")?;
    let deleted = tenancy::delete_many::<team::Entity>(org)
        .filter(team::Column::Id.eq(id))
        .exec(&txn)
        .await
        .context("deleting a team")?;
    if deleted.rows_affected == 0 {
        return Err(Error::NotFound("team"));
    }
    txn.commit().await.context("committing a team's deletion")
}

pub async fn list(
    state: &AppState,
    ctx: &RequestContext,
    args: &PageArgs,
) -> Result<Page<team::Model>> {
    let org = ctx.require(READERS)?.organization_id;
    pagination::fetch(
        &state.db,
        tenancy::select::<team::Entity>(org),
        team::Column::Id,
        &Ordering::by_id(),
        args,
    )
    .await
}

pub async fn count(db: &DatabaseConnection, org: Uuid) -> Result<u64> {
    tenancy::select::<team::Entity>(org)
        .count(db)
        .await
        .context("counting teams")
}

pub async fn get(state: &AppState, ctx: &RequestContext, id: Uuid) -> Result<Option<team::Model>> {
    let org = ctx.require(READERS)?.organization_id;
    tenancy::find::<team::Entity, _>(&state.db, org, id).await
}

/// A membership read with its team.
#[derive(FromQueryResult)]
struct TeamOfLeader {
    leader_id: Uuid,
    id: Uuid,
    organization_id: Uuid,
    name: String,
    description: Option<String>,
    created_at: chrono::DateTime<Utc>,
    updated_at: chrono::DateTime<Utc>,
}

/// The teams of each of `leaders`, ordered by id, in one statement. Every leader gets
/// an entry, so leaders without teams are known as such too.
pub async fn teams_by_leader<C: ConnectionTrait>(
    db: &C,
    org: Uuid,
    leaders: &[Uuid],
) -> Result<HashMap<Uuid, Vec<team::Model>>> {
    let mut out: HashMap<Uuid, Vec<team::Model>> =
        leaders.iter().map(|k| (*k, Vec::new())).collect();
    if leaders.is_empty() {
        return Ok(out);
    }
    for (leader, team) in teams_of(db, org, leaders).await? {
        out.entry(leader).or_default().push(team);
    }
    for teams in out.values_mut() {
        teams.sort_by_key(|t| t.id);
    }
    Ok(out)
}

/// The teams of each of `leaders`, as (leader, team) pairs.
async fn teams_of<C: ConnectionTrait>(
    db: &C,
    org: Uuid,
    leaders: &[Uuid],
) -> Result<Vec<(Uuid, team::Model)>> {
    let membership = team::Entity::belongs_to(team_member::Entity)
        .from(team::Column::Id)
        .to(team_member::Column::TeamId)
        .into();
    let rows = tenancy::select::<team::Entity>(org)
        .join(JoinType::InnerJoin, membership)
        .filter(team_member::Column::OrganizationId.eq(org))
        .filter(tenancy::id_in(
            db.get_database_backend(),
            team_member::Column::LeaderId,
            leaders.to_vec(),
        ))
        .column_as(team_member::Column::LeaderId, "leader_id")
        .into_model::<TeamOfLeader>()
        .all(db)
        .await
        .context("loading teams of leaders")?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let team = team::Model {
                id: r.id,
                organization_id: r.organization_id,
                name: r.name,
                description: r.description,
                created_at: r.created_at,
                updated_at: r.updated_at,
            };
            (r.leader_id, team)
        })
        .collect())
}
