//! Editing a draft framework's content: its behaviors and their indicators.

use entity::{behavior, framework, indicator};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    IntoActiveModel, PaginatorTrait, QueryFilter, QuerySelect, TransactionTrait,
};
use uuid::Uuid;

use crate::auth::RequestContext;
use crate::domain::input::{self, Checks};
use crate::error::{Context, Error, Result, UserError, UserErrorCode};
use crate::startup::AppState;
use crate::tenancy;

use super::{WRITERS, editable};

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
