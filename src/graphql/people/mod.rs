//! Leaders and teams: the directory, its relations (through loaders) and its mutations.

mod import;
mod types;

pub use import::ImportMutation;

pub use types::*;

use async_graphql::futures_util::FutureExt;
use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use chrono::NaiveDate;
use entity::{leader, team};

use crate::domain::people::directory::{
    LeaderFilter as DomainFilter, LeaderOrderField as DomainField,
};
use crate::domain::people::{self, LeaderChange, Patch, teams};
use crate::error::UserError;
use crate::graphql::connection::{self, Connection};
use crate::graphql::ids::{self, Kind};
use crate::graphql::{parts, payload};

#[derive(InputObject, Default)]
pub struct LeaderFilter {
    status: Option<LeaderStatus>,
    /// Exact department name.
    department: Option<String>,
    team_id: Option<ID>,
    manager_id: Option<ID>,
    /// Matches name or email, case-insensitively.
    search: Option<String>,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum LeaderOrderField {
    #[default]
    Name,
    CreatedAt,
    Department,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum OrderDirection {
    #[default]
    Asc,
    Desc,
}

#[derive(InputObject)]
pub struct LeaderOrder {
    field: LeaderOrderField,
    #[graphql(default)]
    direction: OrderDirection,
}

fn decode_opt(kind: Kind, id: Option<ID>) -> Result<Option<uuid::Uuid>, crate::error::Error> {
    id.map(|i| ids::decode(kind, &i)).transpose()
}

#[derive(Default)]
pub struct PeopleQuery;

#[Object]
impl PeopleQuery {
    /// The people directory: filtered, ordered (by name unless asked), keyset-paginated.
    #[allow(clippy::too_many_arguments)]
    async fn leaders(
        &self,
        ctx: &Context<'_>,
        filter: Option<LeaderFilter>,
        order_by: Option<LeaderOrder>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Connection<Leader>> {
        let f = filter.unwrap_or_default();
        let domain = DomainFilter {
            status: f.status.map(Into::into),
            department: f.department,
            team_id: decode_opt(Kind::Team, f.team_id)?,
            manager_id: decode_opt(Kind::Leader, f.manager_id)?,
            search: f.search,
        };
        let (field, descending) = match order_by {
            Some(o) => (
                match o.field {
                    LeaderOrderField::Name => DomainField::Name,
                    LeaderOrderField::CreatedAt => DomainField::CreatedAt,
                    LeaderOrderField::Department => DomainField::Department,
                },
                o.direction == OrderDirection::Desc,
            ),
            None => (DomainField::Name, false),
        };
        leader_connection(
            ctx,
            domain,
            field,
            descending,
            connection::args(first, after, last, before)?,
        )
        .await
    }

    /// The organization's teams, oldest first.
    async fn teams(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Connection<Team>> {
        let (rctx, state) = parts(ctx);
        let page = teams::list(state, rctx, &connection::args(first, after, last, before)?).await?;
        let (db, org) = (state.db.clone(), rctx.organization_id()?);
        Ok(connection::from_page(page, Team, move || {
            let db = db.clone();
            async move { teams::count(&db, org).await }.boxed()
        }))
    }
}

fn patch<T>(v: MaybeUndefined<T>) -> Patch<T> {
    match v {
        MaybeUndefined::Undefined => Patch::Keep,
        MaybeUndefined::Null => Patch::Clear,
        MaybeUndefined::Value(v) => Patch::Set(v),
    }
}

fn id_patch(kind: Kind, v: MaybeUndefined<ID>) -> Result<Patch<uuid::Uuid>, crate::error::Error> {
    Ok(match v {
        MaybeUndefined::Undefined => Patch::Keep,
        MaybeUndefined::Null => Patch::Clear,
        MaybeUndefined::Value(id) => Patch::Set(ids::decode(kind, &id)?),
    })
}

#[derive(InputObject)]
pub struct CreateLeaderInput {
    name: String,
    email: Option<String>,
    title: Option<String>,
    department: Option<String>,
    external_id: Option<String>,
    manager_id: Option<ID>,
    start_date: Option<NaiveDate>,
    location: Option<String>,
}

/// Fields left out stay as they are; `null` clears an optional field.
#[derive(InputObject)]
pub struct UpdateLeaderInput {
    leader_id: ID,
    name: Option<String>,
    email: MaybeUndefined<String>,
    title: MaybeUndefined<String>,
    department: MaybeUndefined<String>,
    external_id: MaybeUndefined<String>,
    manager_id: MaybeUndefined<ID>,
    start_date: MaybeUndefined<NaiveDate>,
    location: MaybeUndefined<String>,
}

#[derive(InputObject)]
pub struct LeaderIdInput {
    leader_id: ID,
}

#[derive(SimpleObject)]
pub struct LeaderPayload {
    leader: Option<Leader>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct CreateTeamInput {
    name: String,
    description: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateTeamInput {
    team_id: ID,
    name: Option<String>,
    description: MaybeUndefined<String>,
}

#[derive(InputObject)]
pub struct TeamMembersInput {
    team_id: ID,
    leader_ids: Vec<ID>,
}

#[derive(SimpleObject)]
pub struct TeamPayload {
    team: Option<Team>,
    user_errors: Vec<UserError>,
}

fn leader_payload(r: crate::error::Result<leader::Model>) -> async_graphql::Result<LeaderPayload> {
    let (l, user_errors) = payload(r)?;
    Ok(LeaderPayload {
        leader: l.map(Leader),
        user_errors,
    })
}

fn team_payload(r: crate::error::Result<team::Model>) -> async_graphql::Result<TeamPayload> {
    let (t, user_errors) = payload(r)?;
    Ok(TeamPayload {
        team: t.map(Team),
        user_errors,
    })
}

fn some_patch<T>(v: Option<T>) -> Patch<T> {
    v.map_or(Patch::Keep, Patch::Set)
}

#[derive(Default)]
pub struct PeopleMutation;

#[Object]
impl PeopleMutation {
    async fn create_leader(
        &self,
        ctx: &Context<'_>,
        input: CreateLeaderInput,
    ) -> async_graphql::Result<LeaderPayload> {
        let (rctx, state) = parts(ctx);
        let change = LeaderChange {
            name: Some(input.name),
            email: some_patch(input.email),
            title: some_patch(input.title),
            department: some_patch(input.department),
            location: some_patch(input.location),
            external_id: some_patch(input.external_id),
            manager_id: some_patch(decode_opt(Kind::Leader, input.manager_id)?),
            start_date: some_patch(input.start_date),
            ..Default::default()
        };
        leader_payload(people::create(state, rctx, change).await)
    }

    async fn update_leader(
        &self,
        ctx: &Context<'_>,
        input: UpdateLeaderInput,
    ) -> async_graphql::Result<LeaderPayload> {
        let (rctx, state) = parts(ctx);
        let id = ids::decode(Kind::Leader, &input.leader_id)?;
        let change = LeaderChange {
            name: input.name,
            email: patch(input.email),
            title: patch(input.title),
            department: patch(input.department),
            location: patch(input.location),
            external_id: patch(input.external_id),
            manager_id: id_patch(Kind::Leader, input.manager_id)?,
            start_date: patch(input.start_date),
            ..Default::default()
        };
        leader_payload(people::update(state, rctx, id, change).await)
    }

    /// Marks a leader inactive; their reviews and plans stay.
    async fn deactivate_leader(
        &self,
        ctx: &Context<'_>,
        input: LeaderIdInput,
    ) -> async_graphql::Result<LeaderPayload> {
        let (rctx, state) = parts(ctx);
        let id = ids::decode(Kind::Leader, &input.leader_id)?;
        leader_payload(
            people::set_status(state, rctx, id, entity::enums::LeaderStatus::Inactive).await,
        )
    }

    async fn reactivate_leader(
        &self,
        ctx: &Context<'_>,
        input: LeaderIdInput,
    ) -> async_graphql::Result<LeaderPayload> {
        let (rctx, state) = parts(ctx);
        let id = ids::decode(Kind::Leader, &input.leader_id)?;
        leader_payload(
            people::set_status(state, rctx, id, entity::enums::LeaderStatus::Active).await,
        )
    }

    async fn create_team(
        &self,
        ctx: &Context<'_>,
        input: CreateTeamInput,
    ) -> async_graphql::Result<TeamPayload> {
        let (rctx, state) = parts(ctx);
        team_payload(teams::create(state, rctx, &input.name, input.description.as_deref()).await)
    }

    async fn update_team(
        &self,
        ctx: &Context<'_>,
        input: UpdateTeamInput,
    ) -> async_graphql::Result<TeamPayload> {
        let (rctx, state) = parts(ctx);
        let id = ids::decode(Kind::Team, &input.team_id)?;
        team_payload(
            teams::update(
                state,
                rctx,
                id,
                input.name.as_deref(),
                patch(input.description),
            )
            .await,
        )
    }

    /// Adds leaders to a team (those already in it stay); at most 500 per call.
    async fn add_team_members(
        &self,
        ctx: &Context<'_>,
        input: TeamMembersInput,
    ) -> async_graphql::Result<TeamPayload> {
        let (rctx, state) = parts(ctx);
        let team = ids::decode(Kind::Team, &input.team_id)?;
        let leaders = input
            .leader_ids
            .iter()
            .map(|i| ids::decode(Kind::Leader, i))
            .collect::<Result<Vec<_>, _>>()?;
        team_payload(teams::add_members(state, rctx, team, &leaders).await)
    }

    async fn remove_team_members(
        &self,
        ctx: &Context<'_>,
        input: TeamMembersInput,
    ) -> async_graphql::Result<TeamPayload> {
        let (rctx, state) = parts(ctx);
        let team = ids::decode(Kind::Team, &input.team_id)?;
        let leaders = input
            .leader_ids
            .iter()
            .map(|i| ids::decode(Kind::Leader, i))
            .collect::<Result<Vec<_>, _>>()?;
        team_payload(teams::remove_members(state, rctx, team, &leaders).await)
    }
}
