//! Per-request DataLoaders: one `WHERE id IN (…)` per batch, never a query per row.
//! Each is bound to the request's organization, so a batch can only see that tenant.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use entity::{
    action, assessment, behavior, framework, goal, indicator, leader, plan_supporter, team, user,
};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::domain::{frameworks, people};
use crate::error::Context;
use crate::tenancy;

type LoadError = Arc<async_graphql::Error>;

/// A request's loader of `L`, caching what it loaded for the rest of the request.
pub type Cached<L> = DataLoader<L, HashMapCache>;

fn fail(e: crate::error::Error) -> LoadError {
    Arc::new(e.into())
}

/// The database and the organization a request's loaders read.
#[derive(Clone)]
pub struct Scope {
    db: DatabaseConnection,
    /// None for anonymous requests: every load is empty.
    org: Option<Uuid>,
}

impl Scope {
    pub fn new(db: DatabaseConnection, org: Option<Uuid>) -> Self {
        Self { db, org }
    }
}

macro_rules! loader {
    ($name:ident) => {
        pub struct $name(pub Scope);
    };
}

loader!(UserLoader);
loader!(LeaderLoader);
loader!(TeamsOfLeaderLoader);
loader!(ReportingLineLoader);
loader!(FrameworkLoader);
loader!(BehaviorsLoader);
loader!(IndicatorsLoader);
loader!(AssessmentsOfLeaderLoader);
loader!(BehaviorLoader);
loader!(GoalsOfPlanLoader);
loader!(ActionsOfGoalLoader);
loader!(SupportersOfPlanLoader);
loader!(AssessmentLoader);
loader!(CycleLoader);

/// Users by id. Users are global; callers only reach ids through scoped rows.
impl Loader<Uuid> for UserLoader {
    type Value = user::Model;
    type Error = LoadError;
    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, user::Model>, LoadError> {
        let users = tenancy::users(&self.0.db, keys.iter().copied())
            .await
            .map_err(fail)?;
        Ok(users.into_iter().map(|u| (u.id, u)).collect())
    }
}

impl Loader<Uuid> for LeaderLoader {
    type Value = leader::Model;
    type Error = LoadError;
    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, leader::Model>, LoadError> {
        let Some(org) = self.0.org else {
            return Ok(HashMap::new());
        };
        let rows = tenancy::leaders_by_id(&self.0.db, org, keys.iter().copied())
            .await
            .map_err(fail)?;
        Ok(rows.into_iter().map(|l| (l.id, l)).collect())
    }
}

/// The teams of a leader.
impl Loader<Uuid> for TeamsOfLeaderLoader {
    type Value = Vec<team::Model>;
    type Error = LoadError;
    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<team::Model>>, LoadError> {
        let Some(org) = self.0.org else {
            return Ok(HashMap::new());
        };
        people::teams::teams_by_leader(&self.0.db, org, keys)
            .await
            .map_err(fail)
    }
}

/// The ids of a leader's managers, nearest first.
impl Loader<Uuid> for ReportingLineLoader {
    type Value = Vec<Uuid>;
    type Error = LoadError;
    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<Uuid>>, LoadError> {
        let Some(org) = self.0.org else {
            return Ok(HashMap::new());
        };
        let mut out: HashMap<Uuid, Vec<Uuid>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for (origin, manager) in tenancy::reporting_lines(&self.0.db, org, keys)
            .await
            .map_err(fail)?
        {
            out.entry(origin).or_default().push(manager);
        }
        Ok(out)
    }
}

/// Assessments by id. Callers check that the viewer may see them.
impl Loader<Uuid> for AssessmentLoader {
    type Value = assessment::Model;
    type Error = LoadError;
    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, assessment::Model>, LoadError> {
        let Some(org) = self.0.org else {
            return Ok(HashMap::new());
        };
        let rows =
            tenancy::find_many::<assessment::Entity, _>(&self.0.db, org, keys.iter().copied())
                .await
                .map_err(fail)?;
        Ok(rows.into_iter().map(|a| (a.id, a)).collect())
    }
}

/// Cycles by id.
impl Loader<Uuid> for CycleLoader {
    type Value = entity::assessment_cycle::Model;
    type Error = LoadError;
    async fn load(
        &self,
        keys: &[Uuid],
    ) -> Result<HashMap<Uuid, entity::assessment_cycle::Model>, LoadError> {
        let Some(org) = self.0.org else {
            return Ok(HashMap::new());
        };
        let rows = tenancy::find_many::<entity::assessment_cycle::Entity, _>(
            &self.0.db,
            org,
            keys.iter().copied(),
        )
        .await
        .map_err(fail)?;
        Ok(rows.into_iter().map(|c| (c.id, c)).collect())
    }
}

/// Frameworks visible to the organization (its own and the built-in).
impl Loader<Uuid> for FrameworkLoader {
    type Value = framework::Model;
    type Error = LoadError;
    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, framework::Model>, LoadError> {
        let Some(org) = self.0.org else {
            return Ok(HashMap::new());
        };
        let rows = tenancy::find_many_visible::<framework::Entity, _>(
            &self.0.db,
            org,
            keys.iter().copied(),
        )
        .await
        .map_err(fail)?;
        Ok(rows.into_iter().map(|f| (f.id, f)).collect())
    }
}

/// Behaviors of a framework, by position.
impl Loader<Uuid> for BehaviorsLoader {
    type Value = Vec<behavior::Model>;
    type Error = LoadError;
    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<behavior::Model>>, LoadError> {
        let Some(org) = self.0.org else {
            return Ok(HashMap::new());
        };
        let mut out: HashMap<Uuid, Vec<behavior::Model>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for b in frameworks::behaviors_of(&self.0.db, org, keys)
            .await
            .map_err(fail)?
        {
            out.entry(b.framework_id).or_default().push(b);
        }
        Ok(out)
    }
}

/// Indicators of a behavior, by position.
impl Loader<Uuid> for IndicatorsLoader {
    type Value = Vec<indicator::Model>;
    type Error = LoadError;
    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<indicator::Model>>, LoadError> {
        let Some(org) = self.0.org else {
            return Ok(HashMap::new());
        };
        let mut out: HashMap<Uuid, Vec<indicator::Model>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for i in frameworks::indicators_of(&self.0.db, org, keys)
            .await
            .map_err(fail)?
        {
            out.entry(i.behavior_id).or_default().push(i);
        }
        Ok(out)
    }
}

/// A leader's assessments, oldest first.
impl Loader<Uuid> for AssessmentsOfLeaderLoader {
    type Value = Vec<assessment::Model>;
    type Error = LoadError;
    async fn load(
        &self,
        keys: &[Uuid],
    ) -> Result<HashMap<Uuid, Vec<assessment::Model>>, LoadError> {
        use sea_orm::{QueryFilter, QueryOrder};
        let Some(org) = self.0.org else {
            return Ok(HashMap::new());
        };
        let rows = tenancy::select::<assessment::Entity>(org)
            .filter(tenancy::id_in(
                sea_orm::ConnectionTrait::get_database_backend(&self.0.db),
                assessment::Column::SubjectId,
                keys.to_vec(),
            ))
            .order_by_asc(assessment::Column::Id)
            .all(&self.0.db)
            .await
            .context("loading a leader's assessments")
            .map_err(fail)?;
        let mut out: HashMap<Uuid, Vec<assessment::Model>> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        for a in rows {
            out.entry(a.subject_id).or_default().push(a);
        }
        Ok(out)
    }
}

/// Behaviors by id, the organization's and the built-in ones.
impl Loader<Uuid> for BehaviorLoader {
    type Value = behavior::Model;
    type Error = LoadError;
    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, behavior::Model>, LoadError> {
        let Some(org) = self.0.org else {
            return Ok(HashMap::new());
        };
        let rows = tenancy::find_many_visible::<behavior::Entity, _>(
            &self.0.db,
            org,
            keys.iter().copied(),
        )
        .await
        .map_err(fail)?;
        Ok(rows.into_iter().map(|b| (b.id, b)).collect())
    }
}

/// Rows of a tenant table grouped by a parent column, oldest first, every key present.
macro_rules! children_loader {
    ($loader:ident, $module:ident, $parent:ident, $field:ident, $what:literal) => {
        impl Loader<Uuid> for $loader {
            type Value = Vec<$module::Model>;
            type Error = LoadError;
            async fn load(
                &self,
                keys: &[Uuid],
            ) -> Result<HashMap<Uuid, Vec<$module::Model>>, LoadError> {
                use sea_orm::{QueryFilter, QueryOrder};
                let Some(org) = self.0.org else {
                    return Ok(HashMap::new());
                };
                let rows = tenancy::select::<$module::Entity>(org)
                    .filter(tenancy::id_in(
                        sea_orm::ConnectionTrait::get_database_backend(&self.0.db),
                        $module::Column::$parent,
                        keys.to_vec(),
                    ))
                    .order_by_asc($module::Column::Id)
                    .all(&self.0.db)
                    .await
                    .context($what)
                    .map_err(fail)?;
                let mut out: HashMap<Uuid, Vec<$module::Model>> =
                    keys.iter().map(|k| (*k, Vec::new())).collect();
                for row in rows {
                    out.entry(row.$field).or_default().push(row);
                }
                Ok(out)
            }
        }
    };
}

children_loader!(GoalsOfPlanLoader, goal, PlanId, plan_id, "loading goals");
children_loader!(
    ActionsOfGoalLoader,
    action,
    GoalId,
    goal_id,
    "loading actions"
);
children_loader!(
    SupportersOfPlanLoader,
    plan_supporter,
    PlanId,
    plan_id,
    "loading supporters"
);

/// Attaches one caching instance of each loader to a request.
pub fn attach(request: async_graphql::Request, scope: Scope) -> async_graphql::Request {
    macro_rules! attach_all {
        ($($loader:ident),* $(,)?) => {
            request $(.data(DataLoader::with_cache($loader(scope.clone()), tokio::spawn, HashMapCache::default())))*
        };
    }
    attach_all!(
        UserLoader,
        LeaderLoader,
        TeamsOfLeaderLoader,
        ReportingLineLoader,
        FrameworkLoader,
        BehaviorsLoader,
        IndicatorsLoader,
        AssessmentsOfLeaderLoader,
        BehaviorLoader,
        GoalsOfPlanLoader,
        ActionsOfGoalLoader,
        SupportersOfPlanLoader,
        AssessmentLoader,
        CycleLoader,
    )
}

/// Loads one value through the request's loader of type `L`.
pub async fn one<L>(
    ctx: &async_graphql::Context<'_>,
    key: Uuid,
) -> async_graphql::Result<Option<L::Value>>
where
    L: Loader<Uuid, Error = LoadError>,
{
    let loader = ctx.data_unchecked::<Cached<L>>();
    loader.load_one(key).await.map_err(|e| (*e).clone())
}

/// Loads many values at once through the request's loader of type `L` (one batch), so
/// that later `one` calls for these keys are answered from its cache.
pub async fn prime<L>(
    ctx: &async_graphql::Context<'_>,
    keys: impl IntoIterator<Item = Uuid>,
) -> async_graphql::Result<HashMap<Uuid, L::Value>>
where
    L: Loader<Uuid, Error = LoadError>,
{
    let loader = ctx.data_unchecked::<Cached<L>>();
    loader.load_many(keys).await.map_err(|e| (*e).clone())
}
