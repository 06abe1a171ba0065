//! Behavior frameworks: the built-in one (read-only, visible to all) and an
//! organization's own, edited as drafts, published (then immutable) and retired.

mod content;

pub use content::*;

use chrono::Utc;
use entity::enums::{FrameworkStatus, Role};
use entity::{behavior, framework, indicator};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use uuid::Uuid;

use crate::auth::RequestContext;
use crate::domain::input::{self, Checks};
use crate::domain::pagination::{self, Ordering, Page, PageArgs};
use crate::error::{Context, Error, Result, UserError, UserErrorCode};
use crate::startup::AppState;
use crate::tenancy;

pub const READERS: &[Role] = &[Role::Admin, Role::Hr, Role::Member];
pub const WRITERS: &[Role] = &[Role::Admin, Role::Hr];

fn not_draft() -> Error {
    Error::invalid(
        &["frameworkId"],
        UserErrorCode::InvalidState,
        "only a draft framework can change; create a new version from it",
    )
}

/// A framework the caller's organization owns and may still edit.
async fn editable(db: &DatabaseConnection, org: Uuid, id: Uuid) -> Result<framework::Model> {
    let fw = tenancy::find_visible::<framework::Entity, _>(db, org, id)
        .await?
        .ok_or(Error::NotFound("framework"))?;
    if fw.organization_id != Some(org) || fw.status != FrameworkStatus::Draft {
        return Err(not_draft());
    }
    Ok(fw)
}

pub async fn list(
    state: &AppState,
    ctx: &RequestContext,
    status: Option<FrameworkStatus>,
    args: &PageArgs,
) -> Result<Page<framework::Model>> {
    let org = ctx.require(READERS)?.organization_id;
    let mut q = tenancy::select_visible::<framework::Entity>(org);
    if let Some(s) = status {
        q = q.filter(framework::Column::Status.eq(s));
    }
    pagination::fetch(
        &state.db,
        q,
        framework::Column::Id,
        &Ordering::by_id(),
        args,
    )
    .await
}

pub async fn count(
    db: &DatabaseConnection,
    org: Uuid,
    status: Option<FrameworkStatus>,
) -> Result<u64> {
    let mut q = tenancy::select_visible::<framework::Entity>(org);
    if let Some(s) = status {
        q = q.filter(framework::Column::Status.eq(s));
    }
    q.count(db).await.context("counting frameworks")
}

pub async fn get(
    state: &AppState,
    ctx: &RequestContext,
    id: Uuid,
) -> Result<Option<framework::Model>> {
    let org = ctx.require(READERS)?.organization_id;
    tenancy::find_visible::<framework::Entity, _>(&state.db, org, id).await
}

/// Creates a draft, empty or copied (behaviors and indicators) from a visible framework;
/// a copy is the next version of its source.
pub async fn create(
    state: &AppState,
    ctx: &RequestContext,
    name: Option<&str>,
    description: Option<&str>,
    source: Option<&str>,
    based_on: Option<Uuid>,
) -> Result<framework::Model> {
    let org = ctx.require(WRITERS)?.organization_id;
    let base = match based_on {
        Some(id) => Some(
            tenancy::find_visible::<framework::Entity, _>(&state.db, org, id)
                .await?
                .ok_or_else(|| {
                    Error::invalid(&["basedOnId"], UserErrorCode::NotFound, "no such framework")
                })?,
        ),
        None => None,
    };
    let mut checks = Checks::default();
    let name = match (name, &base) {
        (Some(n), _) => checks.take(input::required_text(&["name"], n, 200)),
        (None, Some(b)) => Some(b.name.clone()),
        (None, None) => {
            checks.push(UserError::new(
                &["name"],
                UserErrorCode::Required,
                "must not be blank",
            ));
            None
        }
    };
    let description = checks
        .take(input::optional_text(&["description"], description, 2000))
        .flatten();
    let source = checks
        .take(input::optional_text(&["source"], source, 2000))
        .flatten();
    checks.finish()?;
    let now = Utc::now();
    let txn = state.db.begin().await.context("starting a framework")?;
    let fw = tenancy::insert(
        &txn,
        org,
        framework::ActiveModel {
            id: Set(Uuid::now_v7()),
            name: Set(name.unwrap_or_default()),
            description: Set(
                description.or_else(|| base.as_ref().and_then(|b| b.description.clone()))
            ),
            source: Set(source.or_else(|| base.as_ref().and_then(|b| b.source.clone()))),
            version: Set(base.as_ref().map_or(1, |b| b.version + 1)),
            status: Set(FrameworkStatus::Draft),
            based_on_id: Set(base.as_ref().map(|b| b.id)),
            published_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        },
    )
    .await?;
    if let Some(b) = &base {
        copy_content(&txn, org, b.id, fw.id).await?;
    }
    txn.commit().await.context("committing a framework")?;
    Ok(fw)
}

async fn copy_content<C: ConnectionTrait>(db: &C, org: Uuid, from: Uuid, to: Uuid) -> Result<()> {
    let behaviors = tenancy::select_visible::<behavior::Entity>(org)
        .filter(behavior::Column::FrameworkId.eq(from))
        .all(db)
        .await
        .context("loading behaviors to copy")?;
    let indicators = tenancy::select_visible::<indicator::Entity>(org)
        .filter(indicator::Column::FrameworkId.eq(from))
        .all(db)
        .await
        .context("loading indicators to copy")?;
    let mut new_ids = std::collections::HashMap::new();
    for b in &behaviors {
        let id = Uuid::now_v7();
        new_ids.insert(b.id, id);
        tenancy::insert(
            db,
            org,
            behavior::ActiveModel {
                id: Set(id),
                framework_id: Set(to),
                key: Set(b.key.clone()),
                position: Set(b.position),
                title: Set(b.title.clone()),
                summary: Set(b.summary.clone()),
                ..Default::default()
            },
        )
        .await?;
    }
    for i in &indicators {
        let Some(bid) = new_ids.get(&i.behavior_id) else {
            continue;
        };
        tenancy::insert(
            db,
            org,
            indicator::ActiveModel {
                id: Set(Uuid::now_v7()),
                behavior_id: Set(*bid),
                framework_id: Set(to),
                position: Set(i.position),
                text: Set(i.text.clone()),
                ..Default::default()
            },
        )
        .await?;
    }
    Ok(())
}

pub async fn update(
    state: &AppState,
    ctx: &RequestContext,
    id: Uuid,
    name: Option<&str>,
    description: Option<&str>,
    source: Option<&str>,
) -> Result<framework::Model> {
    let org = ctx.require(WRITERS)?.organization_id;
    let fw = editable(&state.db, org, id).await?;
    let mut checks = Checks::default();
    let name = name.and_then(|n| checks.take(input::required_text(&["name"], n, 200)));
    let description = description.map(|d| {
        checks
            .take(input::optional_text(&["description"], Some(d), 2000))
            .flatten()
    });
    let source = source.map(|s| {
        checks
            .take(input::optional_text(&["source"], Some(s), 2000))
            .flatten()
    });
    checks.finish()?;
    let mut am = fw.into_active_model();
    if let Some(n) = name {
        am.name = Set(n);
    }
    if let Some(d) = description {
        am.description = Set(d);
    }
    if let Some(s) = source {
        am.source = Set(s);
    }
    am.updated_at = Set(Utc::now());
    am.update(&state.db).await.context("updating a framework")
}

/// Publishes a draft that has at least one behavior, each with at least one indicator.
pub async fn publish(state: &AppState, ctx: &RequestContext, id: Uuid) -> Result<framework::Model> {
    let org = ctx.require(WRITERS)?.organization_id;
    let fw = editable(&state.db, org, id).await?;
    let behaviors = tenancy::select::<behavior::Entity>(org)
        .filter(behavior::Column::FrameworkId.eq(fw.id))
        .order_by_asc(behavior::Column::Position)
        .all(&state.db)
        .await
        .context("loading behaviors")?;
    if behaviors.is_empty() {
        return Err(Error::invalid(
            &["frameworkId"],
            UserErrorCode::Invalid,
            "a framework needs at least one behavior to be published",
        ));
    }
    let with_indicators: std::collections::HashSet<Uuid> =
        tenancy::select::<indicator::Entity>(org)
            .filter(indicator::Column::FrameworkId.eq(fw.id))
            .all(&state.db)
            .await
            .context("loading indicators")?
            .into_iter()
            .map(|i| i.behavior_id)
            .collect();
    let empty: Vec<&str> = behaviors
        .iter()
        .filter(|b| !with_indicators.contains(&b.id))
        .map(|b| b.key.as_str())
        .collect();
    if !empty.is_empty() {
        return Err(Error::invalid(
            &["frameworkId"],
            UserErrorCode::Invalid,
            format!(
                "every behavior needs an indicator; these have none: {}",
                empty.join(", ")
            ),
        ));
    }
    let mut am = fw.into_active_model();
    let now = Utc::now();
    am.status = Set(FrameworkStatus::Published);
    am.published_at = Set(Some(now));
    am.updated_at = Set(now);
    am.update(&state.db).await.context("publishing a framework")
}

/// Retires a published framework of the organization (cycles that pin it keep it).
pub async fn retire(state: &AppState, ctx: &RequestContext, id: Uuid) -> Result<framework::Model> {
    let org = ctx.require(WRITERS)?.organization_id;
    let fw = tenancy::find_visible::<framework::Entity, _>(&state.db, org, id)
        .await?
        .ok_or(Error::NotFound("framework"))?;
    if fw.organization_id != Some(org) || fw.status != FrameworkStatus::Published {
        return Err(Error::invalid(
            &["frameworkId"],
            UserErrorCode::InvalidState,
            "only a published framework of your organization can be retired",
        ));
    }
    let mut am = fw.into_active_model();
    am.status = Set(FrameworkStatus::Retired);
    am.updated_at = Set(Utc::now());
    am.update(&state.db).await.context("retiring a framework")
}

/// Behaviors of `frameworks`, ordered by position (for the loader).
pub async fn behaviors_of<C: ConnectionTrait>(
    db: &C,
    org: Uuid,
    frameworks: &[Uuid],
) -> Result<Vec<behavior::Model>> {
    tenancy::select_visible::<behavior::Entity>(org)
        .filter(tenancy::id_in(
            db.get_database_backend(),
            behavior::Column::FrameworkId,
            frameworks.to_vec(),
        ))
        .order_by_asc(behavior::Column::Position)
        .order_by_asc(behavior::Column::Id)
        .all(db)
        .await
        .context("loading behaviors")
}

/// Indicators of `behaviors`, ordered by position (for the loader).
pub async fn indicators_of<C: ConnectionTrait>(
    db: &C,
    org: Uuid,
    behaviors: &[Uuid],
) -> Result<Vec<indicator::Model>> {
    tenancy::select_visible::<indicator::Entity>(org)
        .filter(tenancy::id_in(
            db.get_database_backend(),
            indicator::Column::BehaviorId,
            behaviors.to_vec(),
        ))
        .order_by_asc(indicator::Column::Position)
        .order_by_asc(indicator::Column::Id)
        .all(db)
        .await
        .context("loading indicators")
}
