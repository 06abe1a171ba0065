//! The one place where queries get their organization filter.
//!
//! Every read of a tenant-owned table goes through [`select`] (or a helper built on it),
//! which adds `organization_id = <the caller's organization>`; inserts take the
//! organization from the context through [`insert`]. A row of another organization is
//! simply not found. Clippy's `disallowed_methods` refuses `Entity::find()` and friends
//! outside this module, so a bypass needs an `#[allow]` that stands out in review.
//! The few global tables (users, organizations) have their unscoped accessors here too.
#![allow(clippy::disallowed_methods)]

mod global;
mod rows;
mod sql;
pub mod webhook_fanout;
pub mod webhook_queue;

pub use global::*;
pub use rows::{DirectoryRow, LeaderRow, MANAGER_PREFIX, TEAMS_COLUMN};

pub use sql::{
    HeatmapKey, HeatmapSums, deactivate_leaders, heatmap_sums, keep_heatmap, kept_heatmap, notify,
    people_version, reporting_lines, update_leaders,
};

use entity::{
    action, api_key, assessment, assessment_cycle, audit_event, behavior, comment,
    development_plan, framework, goal, indicator, invitation, leader, membership, outbox_event,
    plan_activity, plan_supporter, rating, refresh_token, result_aggregate, review, team,
    team_member, webhook_delivery, webhook_endpoint,
};
use sea_orm::sea_query::extension::postgres::PgFunc;
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, DeleteMany, EntityTrait,
    IntoActiveModel, ModelTrait, QueryFilter, Select, UpdateMany, Value,
};
use uuid::Uuid;

use crate::error::{Context, Result};

/// A table whose rows belong to one organization.
pub trait TenantEntity: EntityTrait {
    fn organization_column() -> Self::Column;
    fn id_column() -> Self::Column;
    /// A name for error messages.
    const NAME: &'static str;
}

macro_rules! tenant_entity {
    ($($module:ident => $name:literal),* $(,)?) => {$(
        impl TenantEntity for $module::Entity {
            fn organization_column() -> Self::Column {
                $module::Column::OrganizationId
            }
            fn id_column() -> Self::Column {
                $module::Column::Id
            }
            const NAME: &'static str = $name;
        }
    )*};
}

tenant_entity! {
    membership => "membership",
    invitation => "invitation",
    api_key => "API key",
    refresh_token => "refresh token",
    leader => "leader",
    team => "team",
    framework => "framework",
    behavior => "behavior",
    indicator => "indicator",
    assessment_cycle => "cycle",
    assessment => "assessment",
    review => "review",
    comment => "comment",
    outbox_event => "event",
    development_plan => "plan",
    goal => "goal",
    action => "action",
    plan_supporter => "supporter",
    plan_activity => "activity",
    audit_event => "audit event",
    webhook_endpoint => "webhook endpoint",
    webhook_delivery => "webhook delivery",
}

/// Ratings are keyed by (review, indicator); `find` looks them up by review.
impl TenantEntity for rating::Entity {
    fn organization_column() -> Self::Column {
        rating::Column::OrganizationId
    }
    fn id_column() -> Self::Column {
        rating::Column::ReviewId
    }
    const NAME: &'static str = "rating";
}

/// Aggregates are keyed by (assessment, behavior, relationship); `find` uses the assessment.
impl TenantEntity for result_aggregate::Entity {
    fn organization_column() -> Self::Column {
        result_aggregate::Column::OrganizationId
    }
    fn id_column() -> Self::Column {
        result_aggregate::Column::AssessmentId
    }
    const NAME: &'static str = "result aggregate";
}

/// Team membership rows are keyed by (team, leader); `find` looks them up by team.
impl TenantEntity for team_member::Entity {
    fn organization_column() -> Self::Column {
        team_member::Column::OrganizationId
    }
    fn id_column() -> Self::Column {
        team_member::Column::TeamId
    }
    const NAME: &'static str = "team member";
}

/// Tables whose rows are either an organization's own or built in (organization null):
/// an organization reads both, and writes only its own (through [`select`]).
pub trait SharedEntity: TenantEntity {}
impl SharedEntity for framework::Entity {}
impl SharedEntity for behavior::Entity {}
impl SharedEntity for indicator::Entity {}

/// Rows of `E` that `org` may read: its own and the built-in ones.
pub fn select_visible<E: SharedEntity>(org: Uuid) -> Select<E> {
    E::find().filter(
        sea_orm::Condition::any()
            .add(E::organization_column().eq(org))
            .add(E::organization_column().is_null()),
    )
}

/// One visible row of `E`.
pub async fn find_visible<E: SharedEntity, C: ConnectionTrait>(
    db: &C,
    org: Uuid,
    id: Uuid,
) -> Result<Option<E::Model>> {
    select_visible::<E>(org)
        .filter(E::id_column().eq(id))
        .one(db)
        .await
        .with_context(|| format!("loading a {}", E::NAME))
}

/// Many visible rows of `E` by id.
pub async fn find_many_visible<E: SharedEntity, C: ConnectionTrait>(
    db: &C,
    org: Uuid,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<E::Model>> {
    let ids = id_in(
        db.get_database_backend(),
        E::id_column(),
        ids.into_iter().collect(),
    );
    select_visible::<E>(org)
        .filter(ids)
        .all(db)
        .await
        .with_context(|| format!("loading {}s", E::NAME))
}

/// All rows of `E` in `org`.
pub fn select<E: TenantEntity>(org: Uuid) -> Select<E> {
    E::find().filter(E::organization_column().eq(org))
}

/// One row of `E` in `org`, or `None` when it does not exist there.
pub async fn find<E: TenantEntity, C: ConnectionTrait>(
    db: &C,
    org: Uuid,
    id: Uuid,
) -> Result<Option<E::Model>> {
    select::<E>(org)
        .filter(E::id_column().eq(id))
        .one(db)
        .await
        .with_context(|| format!("loading a {}", E::NAME))
}

/// Many rows of `E` in `org` by id, in no particular order.
pub async fn find_many<E: TenantEntity, C: ConnectionTrait>(
    db: &C,
    org: Uuid,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<E::Model>> {
    let ids = id_in(
        db.get_database_backend(),
        E::id_column(),
        ids.into_iter().collect(),
    );
    select::<E>(org)
        .filter(ids)
        .all(db)
        .await
        .with_context(|| format!("loading {}s", E::NAME))
}

/// `column IN (ids)`. On PostgreSQL it is `column = ANY($n)` with one array parameter,
/// so the statement's text is the same whatever the number of ids and PostgreSQL keeps
/// one plan for it (a list of n parameters is a new statement, planned again, for each
/// n); SQLite has no arrays.
pub fn id_in<C: ColumnTrait>(backend: DbBackend, column: C, ids: Vec<Uuid>) -> SimpleExpr {
    match backend {
        DbBackend::Postgres => Expr::col(column).eq(PgFunc::any(Expr::val(ids))),
        _ => column.is_in(ids),
    }
}

/// Leaders of `org` by id, decoded by position (see [`LeaderRow`]).
pub async fn leaders_by_id<C: ConnectionTrait>(
    db: &C,
    org: Uuid,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<leader::Model>> {
    let ids = id_in(
        db.get_database_backend(),
        leader::Column::Id,
        ids.into_iter().collect(),
    );
    let rows = select::<leader::Entity>(org)
        .filter(ids)
        .into_model::<LeaderRow>()
        .all(db)
        .await
        .context("loading leaders")?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// A bulk update of rows of `E` in `org`.
pub fn update_many<E: TenantEntity>(org: Uuid) -> UpdateMany<E> {
    E::update_many().filter(E::organization_column().eq(org))
}

/// A bulk delete of rows of `E` in `org`.
pub fn delete_many<E: TenantEntity>(org: Uuid) -> DeleteMany<E> {
    E::delete_many().filter(E::organization_column().eq(org))
}

/// Inserts `model` into `org`: the organization comes from the caller, never the input.
pub async fn insert<A, C>(
    db: &C,
    org: Uuid,
    mut model: A,
) -> Result<<A::Entity as EntityTrait>::Model>
where
    A: ActiveModelTrait + sea_orm::ActiveModelBehavior + Send,
    A::Entity: TenantEntity,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
    C: ConnectionTrait,
{
    model.set(
        <A::Entity as TenantEntity>::organization_column(),
        Value::Uuid(Some(org)),
    );
    let name = <A::Entity as TenantEntity>::NAME;
    let inserted = model.insert(db).await.map_err(|e| {
        crate::error::taken_or_unexpected(
            e,
            &[],
            format!("this {name} already exists"),
            format!("saving a {name}"),
        )
    })?;
    if let Value::Uuid(Some(id)) = inserted.get(<A::Entity as TenantEntity>::id_column()) {
        crate::domain::audit::note_insert(name, id, org);
    }
    Ok(inserted)
}
