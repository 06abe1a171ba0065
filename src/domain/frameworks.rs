//! Behavior frameworks: the built-in one (read-only, visible to all) and an
//! organization's own, edited as drafts, published (then immutable) and retired.

use chrono::Utc;
use entity::enums::{FrameworkStatus, Role};
use entity::{behavior, framework, indicator};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
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

fn behavior_key(raw: &str) -> Result<String, UserError> {
    let k = raw.trim().to_ascii_uppercase();
    let ok = (2..=64).contains(&k.len())
        && k.starts_with(|c: char| c.is_ascii_uppercase())
        && k.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(k)
    } else {
        Err(UserError::new(
            &["key"],
            UserErrorCode::InvalidFormat,
            "a key is 2 to 64 of A-Z, 0-9 and _, starting with a letter",
        ))
    }
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

async fn next_position<E: tenancy::TenantEntity, C: ConnectionTrait>(
    db: &C,
    org: Uuid,
    parent: E::Column,
    parent_id: Uuid,
    position: E::Column,
) -> Result<i32> {
    let max: Option<Option<i32>> = tenancy::select::<E>(org)
        .filter(parent.eq(parent_id))
        .select_only()
        .column_as(position.max(), "max")
        .into_tuple()
        .one(db)
        .await
        .context("finding the next position")?;
    Ok(max.flatten().unwrap_or(0) + 1)
}

pub struct BehaviorChange {
    pub key: Option<String>,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub position: Option<i32>,
}

fn check_behavior(
    checks: &mut Checks,
    c: &BehaviorChange,
    creating: bool,
) -> (Option<String>, Option<String>, Option<String>) {
    let need = |checks: &mut Checks, f: &str| {
        if creating {
            checks.push(UserError::new(
                &[f],
                UserErrorCode::Required,
                "must not be blank",
            ))
        }
    };
    let key = match &c.key {
        Some(k) => checks.take(behavior_key(k)),
        None => {
            need(checks, "key");
            None
        }
    };
    let title = match &c.title {
        Some(t) => checks.take(input::required_text(&["title"], t, 200)),
        None => {
            need(checks, "title");
            None
        }
    };
    let summary = match &c.summary {
        Some(s) => checks.take(input::required_text(&["summary"], s, 2000)),
        None => {
            need(checks, "summary");
            None
        }
    };
    if let Some(p) = c.position.filter(|p| *p < 1) {
        checks.push(UserError::new(
            &["position"],
            UserErrorCode::OutOfRange,
            format!("positions start at 1, got {p}"),
        ));
    }
    (key, title, summary)
}

async fn key_taken(
    db: &DatabaseConnection,
    org: Uuid,
    framework: Uuid,
    key: &str,
    except: Option<Uuid>,
) -> Result<bool> {
    Ok(tenancy::select::<behavior::Entity>(org)
        .filter(behavior::Column::FrameworkId.eq(framework))
        .filter(behavior::Column::Key.eq(key))
        .filter(behavior::Column::Id.ne(except.unwrap_or_else(Uuid::nil)))
        .count(db)
        .await
        .context("checking a behavior key")?
        > 0)
}

pub async fn add_behavior(
    state: &AppState,
    ctx: &RequestContext,
    framework_id: Uuid,
    c: BehaviorChange,
) -> Result<behavior::Model> {
    let org = ctx.require(WRITERS)?.organization_id;
    let fw = editable(&state.db, org, framework_id).await?;
    let mut checks = Checks::default();
    let (key, title, summary) = check_behavior(&mut checks, &c, true);
    if let Some(k) = &key
        && key_taken(&state.db, org, fw.id, k, None).await?
    {
        checks.push(UserError::new(
            &["key"],
            UserErrorCode::Taken,
            format!("the framework already has a behavior {k}"),
        ));
    }
    checks.finish()?;
    let position = match c.position {
        Some(p) => p,
        None => {
            next_position::<behavior::Entity, _>(
                &state.db,
                org,
                behavior::Column::FrameworkId,
                fw.id,
                behavior::Column::Position,
            )
            .await?
        }
    };
    tenancy::insert(
        &state.db,
        org,
        behavior::ActiveModel {
            id: Set(Uuid::now_v7()),
            framework_id: Set(fw.id),
            key: Set(key.unwrap_or_default()),
            position: Set(position),
            title: Set(title.unwrap_or_default()),
            summary: Set(summary.unwrap_or_default()),
            ..Default::default()
        },
    )
    .await
}

/// The behavior, editable only while its framework is a draft of the caller's organization.
async fn editable_behavior(
    db: &DatabaseConnection,
    org: Uuid,
    id: Uuid,
) -> Result<behavior::Model> {
    let b = tenancy::find_visible::<behavior::Entity, _>(db, org, id)
        .await?
        .ok_or(Error::NotFound("behavior"))?;
    editable(db, org, b.framework_id).await?;
    Ok(b)
}

pub async fn update_behavior(
    state: &AppState,
    ctx: &RequestContext,
    id: Uuid,
    c: BehaviorChange,
) -> Result<behavior::Model> {
    let org = ctx.require(WRITERS)?.organization_id;
    let b = editable_behavior(&state.db, org, id).await?;
    let mut checks = Checks::default();
    let (key, title, summary) = check_behavior(&mut checks, &c, false);
    if let Some(k) = &key
        && key_taken(&state.db, org, b.framework_id, k, Some(b.id)).await?
    {
        checks.push(UserError::new(
            &["key"],
            UserErrorCode::Taken,
            format!("the framework already has a behavior {k}"),
        ));
    }
    checks.finish()?;
    let mut am = b.into_active_model();
    if let Some(k) = key {
        am.key = Set(k);
    }
    if let Some(t) = title {
        am.title = Set(t);
    }
    if let Some(s) = summary {
        am.summary = Set(s);
    }
    if let Some(p) = c.position {
        am.position = Set(p);
    }
    am.update(&state.db).await.context("updating a behavior")
}

pub async fn remove_behavior(
    state: &AppState,
    ctx: &RequestContext,
    id: Uuid,
) -> Result<framework::Model> {
    let org = ctx.require(WRITERS)?.organization_id;
    let b = editable_behavior(&state.db, org, id).await?;
    let txn = state
        .db
        .begin()
        .await
        .context("starting to remove a behavior")?;
    tenancy::delete_many::<indicator::Entity>(org)
        .filter(indicator::Column::BehaviorId.eq(b.id))
        .exec(&txn)
        .await
        .context("removing indicators")?;
    tenancy::delete_many::<behavior::Entity>(org)
        .filter(behavior::Column::Id.eq(b.id))
        .exec(&txn)
        .await
        .context("removing a behavior")?;
    txn.commit()
        .await
        .context("committing a behavior's removal")?;
    editable(&state.db, org, b.framework_id).await
}

fn check_indicator(
    checks: &mut Checks,
    text: Option<&str>,
    position: Option<i32>,
    creating: bool,
) -> Option<String> {
    let text = match text {
        Some(t) => checks.take(input::required_text(&["text"], t, 500)),
        None if creating => {
            checks.push(UserError::new(
                &["text"],
                UserErrorCode::Required,
                "must not be blank",
            ));
            None
        }
        None => None,
    };
    if let Some(p) = position.filter(|p| *p < 1) {
        checks.push(UserError::new(
            &["position"],
            UserErrorCode::OutOfRange,
            format!("positions start at 1, got {p}"),
        ));
    }
    text
}

pub async fn add_indicator(
    state: &AppState,
    ctx: &RequestContext,
    behavior_id: Uuid,
    text: &str,
    position: Option<i32>,
) -> Result<indicator::Model> {
    let org = ctx.require(WRITERS)?.organization_id;
    let b = editable_behavior(&state.db, org, behavior_id).await?;
    let mut checks = Checks::default();
    let text = check_indicator(&mut checks, Some(text), position, true);
    checks.finish()?;
    let position = match position {
        Some(p) => p,
        None => {
            next_position::<indicator::Entity, _>(
                &state.db,
                org,
                indicator::Column::BehaviorId,
                b.id,
                indicator::Column::Position,
            )
            .await?
        }
    };
    tenancy::insert(
        &state.db,
        org,
        indicator::ActiveModel {
            id: Set(Uuid::now_v7()),
            behavior_id: Set(b.id),
            framework_id: Set(b.framework_id),
            position: Set(position),
            text: Set(text.unwrap_or_default()),
            ..Default::default()
        },
    )
    .await
}

async fn editable_indicator(
    db: &DatabaseConnection,
    org: Uuid,
    id: Uuid,
) -> Result<indicator::Model> {
    let i = tenancy::find_visible::<indicator::Entity, _>(db, org, id)
        .await?
        .ok_or(Error::NotFound("indicator"))?;
    editable(db, org, i.framework_id).await?;
    Ok(i)
}

pub async fn update_indicator(
    state: &AppState,
    ctx: &RequestContext,
    id: Uuid,
    text: Option<&str>,
    position: Option<i32>,
) -> Result<indicator::Model> {
    let org = ctx.require(WRITERS)?.organization_id;
    let i = editable_indicator(&state.db, org, id).await?;
    let mut checks = Checks::default();
    let text = check_indicator(&mut checks, text, position, false);
    checks.finish()?;
    let mut am = i.into_active_model();
    if let Some(t) = text {
        am.text = Set(t);
    }
    if let Some(p) = position {
        am.position = Set(p);
    }
    am.update(&state.db).await.context("updating an indicator")
}

pub async fn remove_indicator(
    state: &AppState,
    ctx: &RequestContext,
    id: Uuid,
) -> Result<behavior::Model> {
    let org = ctx.require(WRITERS)?.organization_id;
    let i = editable_indicator(&state.db, org, id).await?;
    tenancy::delete_many::<indicator::Entity>(org)
        .filter(indicator::Column::Id.eq(i.id))
        .exec(&state.db)
        .await
        .context("removing an indicator")?;
    editable_behavior(&state.db, org, i.behavior_id).await
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
        .filter(behavior::Column::FrameworkId.is_in(frameworks.iter().copied()))
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
        .filter(indicator::Column::BehaviorId.is_in(behaviors.iter().copied()))
        .order_by_asc(indicator::Column::Position)
        .order_by_asc(indicator::Column::Id)
        .all(db)
        .await
        .context("loading indicators")
}
