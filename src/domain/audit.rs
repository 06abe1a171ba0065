//! The audit log: every mutation that changes data appends who did it, what, to which
//! object and in which request. Never passwords, tokens or ratings: only names and ids.
//!
//! While a mutation runs, a task-local trail notes the rows it inserts and whether it
//! was refused with user errors; the GraphQL layer writes the event when it succeeded.

use std::cell::RefCell;

use chrono::{DateTime, Utc};
use entity::audit_event;
use entity::enums::Role;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, PaginatorTrait, QueryFilter, Select,
};
use uuid::Uuid;

use crate::auth::RequestContext;
use crate::auth::jwt::PrincipalType;
use crate::domain::pagination::{self, CursorKey, Ordering, Page, PageArgs};
use crate::error::{Context, Result};
use crate::startup::AppState;
use crate::tenancy;

/// What one mutation did, as far as the audit log cares.
#[derive(Debug, Default)]
pub struct Trail {
    /// Rows inserted: table name, id and organization, in order.
    pub inserted: Vec<(&'static str, Uuid, Uuid)>,
    /// True when the mutation answered with user errors (nothing changed).
    pub refused: bool,
}

tokio::task_local! {
    static TRAIL: RefCell<Trail>;
}

/// Runs `work` with a fresh trail and returns both.
pub async fn traced<F: std::future::Future>(work: F) -> (F::Output, Trail) {
    TRAIL
        .scope(RefCell::new(Trail::default()), async {
            let out = work.await;
            (out, TRAIL.with(|t| t.take()))
        })
        .await
}

/// Notes an inserted row (called by `tenancy::insert`).
pub fn note_insert(table: &'static str, id: Uuid, org: Uuid) {
    let _ = TRAIL.try_with(|t| t.borrow_mut().inserted.push((table, id, org)));
}

/// Notes that the running mutation was refused with user errors.
pub fn note_refused() {
    let _ = TRAIL.try_with(|t| t.borrow_mut().refused = true);
}

/// One entry to append.
pub struct Entry<'a> {
    pub action: &'a str,
    pub target: Option<(&'static str, Uuid)>,
}

/// Appends `entry` for the request's principal. A mutation made without a token
/// (`signUp`, `acceptInvitation`, `login`) is logged in the organization it wrote to,
/// with an `ANONYMOUS` actor; one that wrote nothing there is not logged.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    ctx: &RequestContext,
    wrote_to: Option<Uuid>,
    entry: Entry<'_>,
) -> Result<()> {
    let (kind, actor, org) = match ctx.principal.as_deref() {
        Some(p) => {
            let kind = match p.kind {
                PrincipalType::User => "USER",
                PrincipalType::ApiKey => "API_KEY",
                PrincipalType::Review => "REVIEW",
            };
            // The organization written to wins: accepting another organization's
            // invitation with a token of this one belongs in the other's log.
            (kind, Some(p.id), wrote_to.unwrap_or(p.organization_id))
        }
        None => match wrote_to {
            Some(org) => ("ANONYMOUS", None, org),
            None => return Ok(()),
        },
    };
    append(db, org, (kind, actor), entry, &ctx.request_id.0).await
}

/// Appends one event to `org`'s log.
async fn append<C: ConnectionTrait>(
    db: &C,
    org: Uuid,
    (kind, actor): (&str, Option<Uuid>),
    entry: Entry<'_>,
    request_id: &str,
) -> Result<()> {
    tenancy::insert(
        db,
        org,
        audit_event::ActiveModel {
            id: Set(Uuid::now_v7()),
            actor_kind: Set(kind.to_owned()),
            actor_id: Set(actor),
            action: Set(entry.action.chars().take(80).collect()),
            target_type: Set(entry.target.map(|(t, _)| t.to_owned())),
            target_id: Set(entry.target.map(|(_, id)| id)),
            request_id: Set(request_id.chars().take(80).collect()),
            occurred_at: Set(Utc::now()),
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}

/// Which events to list.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    pub actor_id: Option<Uuid>,
    pub action: Option<String>,
    pub since: Option<DateTime<Utc>>,
}

fn by_time(m: &audit_event::Model) -> CursorKey {
    CursorKey::Time(m.occurred_at)
}

/// The organization's audit events, newest first; for admins only.
pub async fn list(
    state: &AppState,
    ctx: &RequestContext,
    filter: &Filter,
    args: &PageArgs,
) -> Result<Page<audit_event::Model>> {
    let select = filtered(ctx, filter)?;
    let ordering = Ordering {
        key: Some((
            sea_orm::sea_query::Expr::col(audit_event::Column::OccurredAt),
            by_time,
        )),
        descending: true,
        tag: "time-desc",
    };
    pagination::fetch(&state.db, select, audit_event::Column::Id, &ordering, args).await
}

fn filtered(ctx: &RequestContext, filter: &Filter) -> Result<Select<audit_event::Entity>> {
    let org = ctx.require(&[Role::Admin])?.organization_id;
    let mut select = tenancy::select::<audit_event::Entity>(org);
    if let Some(actor) = filter.actor_id {
        select = select.filter(audit_event::Column::ActorId.eq(actor));
    }
    if let Some(action) = &filter.action {
        select = select.filter(audit_event::Column::Action.eq(action.as_str()));
    }
    if let Some(since) = filter.since {
        select = select.filter(audit_event::Column::OccurredAt.gte(since));
    }
    Ok(select)
}

/// The number of events `list` walks through.
pub async fn count(state: &AppState, ctx: &RequestContext, filter: &Filter) -> Result<u64> {
    filtered(ctx, filter)?
        .count(&state.db)
        .await
        .context("counting audit events")
}

/// Records a change made by an operator command (run with the server's database
/// credentials, so without a principal) in organization `org`.
pub async fn record_operator<C: ConnectionTrait>(db: &C, org: Uuid, action: &str) -> Result<()> {
    let entry = Entry {
        action,
        target: None,
    };
    let request_id = format!("cli-{}", Uuid::now_v7());
    append(db, org, ("OPERATOR", None), entry, &request_id).await
}
