//! GraphQL objects of the people directory: leaders, teams and the leader connection.

use async_graphql::futures_util::FutureExt;
use async_graphql::{Context, Enum, ID, Object};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{leader, team};

use crate::domain::pagination::PageArgs;
use crate::domain::people::directory::{
    self, LeaderFilter as DomainFilter, LeaderOrderField as DomainField,
};
use crate::graphql::connection::{self, Connection};
use crate::graphql::ids::{self, Kind};
use crate::graphql::loaders::{self, LeaderLoader, ReportingLineLoader, TeamsOfLeaderLoader};
use crate::graphql::parts;

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

// The connection fields box their work: async-graphql copies the state of this type's
// field resolution (as large as its largest field's future) into a box for every field
// of every leader on a page, and the page-sized queries would make that state large.
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
        .boxed()
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
        .boxed()
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
        .boxed()
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
