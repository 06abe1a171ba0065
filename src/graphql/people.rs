//! Leaders and teams: the directory, its relations (through loaders) and its mutations.

use async_graphql::futures_util::FutureExt;
use async_graphql::{Context, Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{leader, team};

use crate::domain::pagination::PageArgs;
use crate::domain::people::directory::{
    self, LeaderFilter as DomainFilter, LeaderOrderField as DomainField,
};
use crate::domain::people::{self, LeaderChange, Patch, teams};
use crate::error::UserError;
use crate::graphql::connection::{self, Connection};
use crate::graphql::ids::{self, Kind};
use crate::graphql::loaders::{self, LeaderLoader, ReportingLineLoader, TeamsOfLeaderLoader};
use crate::graphql::{parts, payload};

/// Whether a leader is current. Leaders are deactivated, never deleted.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::enums::LeaderStatus")]
pub enum LeaderStatus {
    Active,
    Inactive,
}

/// Whether the caller reads the directory: an external rater sees a subject's name only.
fn in_directory(ctx: &Context<'_>) -> bool {
    parts(ctx).0.review_scope().is_none()
}

/// A person being developed, and usually a rater of others too.
pub struct Leader(pub leader::Model);

#[Object]
impl Leader {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Leader, self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn email(&self, ctx: &Context<'_>) -> Option<&str> {
        self.0.email.as_deref().filter(|_| in_directory(ctx))
    }
    async fn title(&self, ctx: &Context<'_>) -> Option<&str> {
        self.0.title.as_deref().filter(|_| in_directory(ctx))
    }
    async fn department(&self, ctx: &Context<'_>) -> Option<&str> {
        self.0.department.as_deref().filter(|_| in_directory(ctx))
    }
    async fn location(&self, ctx: &Context<'_>) -> Option<&str> {
        self.0.location.as_deref().filter(|_| in_directory(ctx))
    }
    /// The HRIS key, unique in the organization.
    async fn external_id(&self, ctx: &Context<'_>) -> Option<&str> {
        self.0.external_id.as_deref().filter(|_| in_directory(ctx))
    }
    async fn start_date(&self) -> Option<NaiveDate> {
        self.0.start_date
    }
    async fn status(&self) -> LeaderStatus {
        self.0.status.into()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    async fn manager(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Leader>> {
        let Some(id) = self.0.manager_id.filter(|_| in_directory(ctx)) else {
            return Ok(None);
        };
        Ok(loaders::one::<LeaderLoader>(ctx, id).await?.map(Leader))
    }
    /// Managers from the nearest up to the top of the hierarchy.
    async fn reporting_line(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Leader>> {
        if !in_directory(ctx) {
            return Ok(Vec::new());
        }
        let line = loaders::one::<ReportingLineLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default();
        let mut found = loaders::prime::<LeaderLoader>(ctx, line.iter().copied()).await?;
        Ok(line
            .iter()
            .filter_map(|id| found.remove(id))
            .map(Leader)
            .collect())
    }
    async fn teams(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Team>> {
        if !in_directory(ctx) {
            return Ok(Vec::new());
        }
        Ok(loaders::one::<TeamsOfLeaderLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(Team)
            .collect())
    }
    /// This leader's assessments: for HR and ADMIN, the leader and their manager.
    async fn assessments(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<crate::graphql::cycles::Assessment>> {
        let (rctx, _) = parts(ctx);
        let p = rctx.principal()?;
        let me = p.leader_id;
        let allowed = crate::domain::cycles::MANAGERS.contains(&p.role)
            || (p.role == entity::enums::Role::Member
                && me.is_some()
                && (me == Some(self.0.id) || me == self.0.manager_id));
        if !allowed {
            return Ok(Vec::new());
        }
        let list = loaders::one::<loaders::AssessmentsOfLeaderLoader>(ctx, self.0.id)
            .await?
            .unwrap_or_default();
        Ok(list
            .into_iter()
            .map(crate::graphql::cycles::Assessment)
            .collect())
    }
    /// This leader's development plans that the viewer may see.
    async fn development_plans(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Connection<crate::graphql::plans::DevelopmentPlan>> {
        let f = crate::domain::plans::PlanFilter {
            leader_id: Some(self.0.id),
            status: None,
        };
        crate::graphql::plans::plan_connection(
            ctx,
            f,
            connection::args(first, after, last, before)?,
        )
        .await
    }
    /// The leaders who report to this one, by name.
    async fn direct_reports(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Connection<Leader>> {
        let filter = DomainFilter {
            manager_id: Some(self.0.id),
            ..Default::default()
        };
        leader_connection(
            ctx,
            filter,
            DomainField::Name,
            false,
            connection::args(first, after, last, before)?,
        )
        .await
    }
}

/// A network of leaders across the hierarchy.
pub struct Team(pub team::Model);

#[Object]
impl Team {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::Team, self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The team's members, by name.
    async fn members(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Connection<Leader>> {
        let filter = DomainFilter {
            team_id: Some(self.0.id),
            ..Default::default()
        };
        leader_connection(
            ctx,
            filter,
            DomainField::Name,
            false,
            connection::args(first, after, last, before)?,
        )
        .await
    }
}

pub(crate) async fn leader_connection(
    ctx: &Context<'_>,
    filter: DomainFilter,
    field: DomainField,
    descending: bool,
    args: PageArgs,
) -> async_graphql::Result<Connection<Leader>> {
    let (rctx, state) = parts(ctx);
    let page = directory::list(state, rctx, &filter, field, descending, &args).await?;
    prime_relations(ctx, &page).await?;
    let (db, org) = (state.db.clone(), rctx.organization_id()?);
    Ok(connection::from_page(page, Leader, move || {
        let (db, filter) = (db.clone(), filter.clone());
        async move { directory::count(&db, org, &filter).await }.boxed()
    }))
}

/// Loads the page's managers and teams in one batch each when the query asks for them,
/// so the page costs the same statements whatever its size (timing-based batching alone
/// can split a large page into two batches).
async fn prime_relations(
    ctx: &Context<'_>,
    page: &crate::domain::pagination::Page<leader::Model>,
) -> async_graphql::Result<()> {
    let look = ctx.look_ahead();
    let wants = |f: &str| {
        look.field("nodes").field(f).exists() || look.field("edges").field("node").field(f).exists()
    };
    if wants("manager") {
        loaders::prime::<LeaderLoader>(ctx, page.items.iter().filter_map(|(_, l)| l.manager_id))
            .await?;
    }
    if wants("teams") {
        loaders::prime::<TeamsOfLeaderLoader>(ctx, page.items.iter().map(|(_, l)| l.id)).await?;
    }
    Ok(())
}

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
