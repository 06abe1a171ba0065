//! Leaders: the people being developed. Created, updated and deactivated (never deleted),
//! with a manager in the same organization and no reporting loops.

pub mod directory;
pub mod import;
pub mod lookup;
pub mod teams;

use chrono::{NaiveDate, Utc};
use entity::enums::{LeaderStatus, Role};
use entity::leader;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, IntoActiveModel, QueryFilter, TransactionTrait,
};
use uuid::Uuid;

use crate::auth::RequestContext;
use crate::domain::input::{self, Checks, Email};
use crate::domain::outbox;
use crate::error::{Context, Error, Result, UserError, UserErrorCode};
use crate::startup::AppState;
use crate::tenancy;

/// Who may read the directory, and who may change people and teams.
pub const READERS: &[Role] = &[Role::Admin, Role::Hr, Role::Member, Role::Integration];
pub const WRITERS: &[Role] = &[Role::Admin, Role::Hr, Role::Integration];

/// A change to one optional field: leave it, clear it, or set it.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Patch<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

/// The fields of a leader; `Keep` leaves a field as it is (on update).
#[derive(Debug, Clone, Default)]
pub struct LeaderChange {
    pub name: Option<String>,
    pub email: Patch<String>,
    pub title: Patch<String>,
    pub department: Patch<String>,
    pub location: Patch<String>,
    pub external_id: Patch<String>,
    pub manager_id: Patch<Uuid>,
    pub start_date: Patch<NaiveDate>,
    /// The identity provider's login name (SCIM `userName`), unique in the organization.
    pub user_name: Patch<String>,
    pub employee_number: Patch<String>,
}

fn text_patch(checks: &mut Checks, field: &str, p: Patch<String>, max: usize) -> Patch<String> {
    match p {
        Patch::Set(v) => match checks.take(input::optional_text(&[field], Some(&v), max)) {
            Some(Some(v)) => Patch::Set(v),
            Some(None) => Patch::Clear,
            None => Patch::Keep,
        },
        other => other,
    }
}

fn apply<T: Into<sea_orm::Value> + Clone>(target: &mut sea_orm::ActiveValue<Option<T>>, p: Patch<T>)
where
    Option<T>: Into<sea_orm::Value>,
{
    match p {
        Patch::Keep => {}
        Patch::Clear => *target = Set(None),
        Patch::Set(v) => *target = Set(Some(v)),
    }
}

/// Validates a change; `creating` makes the name required.
async fn validate(
    state: &AppState,
    org: Uuid,
    id: Option<Uuid>,
    mut c: LeaderChange,
) -> Result<LeaderChange> {
    let mut checks = Checks::default();
    c.name = match c.name.take() {
        Some(n) => checks.take(input::required_text(&["name"], &n, 200)),
        None if id.is_none() => {
            checks.push(UserError::new(
                &["name"],
                UserErrorCode::Required,
                "must not be blank",
            ));
            None
        }
        None => None,
    };
    c.email = match c.email {
        Patch::Set(e) if e.trim().is_empty() => Patch::Clear,
        Patch::Set(e) => checks
            .take(Email::parse(&["email"], &e))
            .map(|e| Patch::Set(e.into_string()))
            .unwrap_or(Patch::Keep),
        other => other,
    };
    c.title = text_patch(&mut checks, "title", c.title, 200);
    c.department = text_patch(&mut checks, "department", c.department, 200);
    c.location = text_patch(&mut checks, "location", c.location, 200);
    c.external_id = text_patch(&mut checks, "externalId", c.external_id, 200);
    c.user_name = text_patch(&mut checks, "userName", c.user_name, 254);
    c.employee_number = text_patch(&mut checks, "employeeNumber", c.employee_number, 200);
    if let Patch::Set(name) = &c.user_name {
        check_user_name(state, org, id, name, &mut checks).await?;
    }
    if let Patch::Set(ext) = &c.external_id {
        let clash = tenancy::select::<leader::Entity>(org)
            .filter(leader::Column::ExternalId.eq(ext.as_str()))
            .filter(leader::Column::Id.ne(id.unwrap_or_else(Uuid::nil)))
            .one(&state.db)
            .await
            .context("checking an external id")?;
        if clash.is_some() {
            checks.push(UserError::new(
                &["externalId"],
                UserErrorCode::Taken,
                format!("another leader has the external id '{ext}'"),
            ));
        }
    }
    if let Patch::Set(manager) = c.manager_id {
        check_manager(state, org, id, manager, &mut checks).await?;
    }
    checks.finish()?;
    Ok(c)
}

/// A user name is unique in the organization, whatever its case; a leader without one
/// is known by its email, which it may not take either.
async fn check_user_name(
    state: &AppState,
    org: Uuid,
    id: Option<Uuid>,
    name: &str,
    checks: &mut Checks,
) -> Result<()> {
    use sea_orm::Condition;
    use sea_orm::sea_query::{Expr, ExprTrait, Func};
    let lower = |c| Expr::expr(Func::lower(Expr::col(c))).eq(name.to_lowercase());
    let clash = tenancy::select::<leader::Entity>(org)
        .filter(
            Condition::any().add(lower(leader::Column::UserName)).add(
                Condition::all()
                    .add(leader::Column::UserName.is_null())
                    .add(lower(leader::Column::Email)),
            ),
        )
        .filter(leader::Column::Id.ne(id.unwrap_or_else(Uuid::nil)))
        .one(&state.db)
        .await
        .context("checking a user name")?;
    if clash.is_some() {
        checks.push(UserError::new(
            &["userName"],
            UserErrorCode::Taken,
            format!("another leader has the user name '{name}'"),
        ));
    }
    Ok(())
}

/// A manager must exist in the organization and must not be the leader or report to them.
async fn check_manager(
    state: &AppState,
    org: Uuid,
    id: Option<Uuid>,
    manager: Uuid,
    checks: &mut Checks,
) -> Result<()> {
    if tenancy::find::<leader::Entity, _>(&state.db, org, manager)
        .await?
        .is_none()
    {
        checks.push(UserError::new(
            &["managerId"],
            UserErrorCode::NotFound,
            "the manager does not exist",
        ));
        return Ok(());
    }
    let Some(id) = id else { return Ok(()) };
    let above = tenancy::reporting_lines(&state.db, org, &[manager]).await?;
    if manager == id || above.iter().any(|(_, m)| *m == id) {
        checks.push(UserError::new(
            &["managerId"],
            UserErrorCode::Invalid,
            "this manager would create a reporting loop",
        ));
    }
    Ok(())
}

pub async fn create(
    state: &AppState,
    ctx: &RequestContext,
    change: LeaderChange,
) -> Result<leader::Model> {
    let org = ctx.require(WRITERS)?.organization_id;
    let c = validate(state, org, None, change).await?;
    let now = Utc::now();
    let mut am = leader::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(c.name.unwrap_or_default()),
        status: Set(LeaderStatus::Active),
        created_at: Set(now),
        updated_at: Set(now),
        email: Set(None),
        title: Set(None),
        department: Set(None),
        location: Set(None),
        external_id: Set(None),
        manager_id: Set(None),
        start_date: Set(None),
        user_name: Set(None),
        employee_number: Set(None),
        ..Default::default()
    };
    apply(&mut am.user_name, c.user_name);
    apply(&mut am.employee_number, c.employee_number);
    apply(&mut am.email, c.email);
    apply(&mut am.title, c.title);
    apply(&mut am.department, c.department);
    apply(&mut am.location, c.location);
    apply(&mut am.external_id, c.external_id);
    apply(&mut am.manager_id, c.manager_id);
    apply(&mut am.start_date, c.start_date);
    let txn = state.db.begin().await.context("starting a leader")?;
    let created = tenancy::insert(&txn, org, am).await?;
    record_event(&txn, "leader.created", &created).await?;
    txn.commit().await.context("committing a leader")?;
    Ok(created)
}

/// Records a leader event in the outbox, with the same data as the HRIS import's.
async fn record_event<C: sea_orm::ConnectionTrait>(
    db: &C,
    event: &str,
    l: &leader::Model,
) -> Result<()> {
    let data = serde_json::json!({ "leaderId": l.id, "externalId": l.external_id });
    outbox::record(db, l.organization_id, event, data).await
}

pub async fn update(
    state: &AppState,
    ctx: &RequestContext,
    id: Uuid,
    change: LeaderChange,
) -> Result<leader::Model> {
    let org = ctx.require(WRITERS)?.organization_id;
    let current = tenancy::find::<leader::Entity, _>(&state.db, org, id)
        .await?
        .ok_or(Error::NotFound("leader"))?;
    let c = validate(state, org, Some(id), change).await?;
    let mut am = current.into_active_model();
    if let Some(n) = c.name {
        am.name = Set(n);
    }
    apply(&mut am.user_name, c.user_name);
    apply(&mut am.employee_number, c.employee_number);
    apply(&mut am.email, c.email);
    apply(&mut am.title, c.title);
    apply(&mut am.department, c.department);
    apply(&mut am.location, c.location);
    apply(&mut am.external_id, c.external_id);
    apply(&mut am.manager_id, c.manager_id);
    apply(&mut am.start_date, c.start_date);
    if am.is_changed() {
        am.updated_at = Set(Utc::now());
        let txn = state.db.begin().await.context("starting a leader update")?;
        let updated = am.update(&txn).await.context("updating a leader")?;
        record_event(&txn, "leader.updated", &updated).await?;
        txn.commit().await.context("committing a leader update")?;
        return Ok(updated);
    }
    tenancy::find::<leader::Entity, _>(&state.db, org, id)
        .await?
        .ok_or(Error::NotFound("leader"))
}

/// Marks a leader inactive (kept for the reviews that reference them); idempotent.
pub async fn set_status(
    state: &AppState,
    ctx: &RequestContext,
    id: Uuid,
    status: LeaderStatus,
) -> Result<leader::Model> {
    let org = ctx.require(WRITERS)?.organization_id;
    let current = tenancy::find::<leader::Entity, _>(&state.db, org, id)
        .await?
        .ok_or(Error::NotFound("leader"))?;
    if current.status == status {
        return Ok(current);
    }
    let mut am = current.into_active_model();
    am.status = Set(status);
    am.updated_at = Set(Utc::now());
    let txn = state.db.begin().await.context("starting a status change")?;
    let changed = am
        .update(&txn)
        .await
        .context("changing a leader's status")?;
    let event = match status {
        LeaderStatus::Inactive => "leader.deactivated",
        LeaderStatus::Active => "leader.updated",
    };
    record_event(&txn, event, &changed).await?;
    txn.commit().await.context("committing a status change")?;
    Ok(changed)
}

/// One leader of the caller's organization.
pub async fn get(
    state: &AppState,
    ctx: &RequestContext,
    id: Uuid,
) -> Result<Option<leader::Model>> {
    let org = ctx.require(READERS)?.organization_id;
    tenancy::find::<leader::Entity, _>(&state.db, org, id).await
}
