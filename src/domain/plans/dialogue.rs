//! The dialogue around a plan: supporters, check-ins and the activity stream.

use chrono::Utc;
use entity::enums::{PlanStatus, SupporterRole};
use entity::{development_plan, goal, leader, plan_activity, plan_supporter};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, PaginatorTrait, QueryFilter,
    TransactionTrait,
};
use uuid::Uuid;

use super::{Access, access, owned, record};
use crate::auth::RequestContext;
use crate::domain::input::{self, Checks};
use crate::domain::pagination::{self, Ordering, Page, PageArgs};
use crate::error::{Context, Error, Result, UserError, UserErrorCode};
use crate::startup::AppState;
use crate::tenancy;

/// A check-in, by the leader or a supporter (dialogue: behavior 9).
pub async fn add_check_in(
    state: &AppState,
    ctx: &RequestContext,
    plan_id: Uuid,
    body: &str,
    goal_id: Option<Uuid>,
) -> Result<plan_activity::Model> {
    let (plan, how) = access(&state.db, ctx, plan_id).await?;
    if how == Access::Reader {
        return Err(Error::Forbidden);
    }
    if plan.status == PlanStatus::Archived {
        return Err(Error::invalid(
            &["planId"],
            UserErrorCode::InvalidState,
            "an archived plan takes no check-ins",
        ));
    }
    let mut checks = Checks::default();
    let body = checks.take(input::required_text(&["body"], body, 5000));
    if let Some(g) = goal_id {
        let found = tenancy::find::<goal::Entity, _>(&state.db, plan.organization_id, g).await?;
        if found.is_none_or(|x| x.plan_id != plan.id) {
            checks.push(UserError::new(
                &["goalId"],
                UserErrorCode::NotFound,
                "no such goal in this plan",
            ));
        }
    }
    checks.finish()?;
    record(
        &state.db,
        &plan,
        goal_id,
        "CHECK_IN",
        body.unwrap_or_default(),
        ctx.user_id().ok(),
    )
    .await
}

/// Asks a leader for help with the plan (behavior 5: ask for directions).
pub async fn add_supporter(
    state: &AppState,
    ctx: &RequestContext,
    plan_id: Uuid,
    leader_id: Uuid,
    role: SupporterRole,
) -> Result<plan_supporter::Model> {
    let plan = owned(&state.db, ctx, plan_id).await?;
    let org = plan.organization_id;
    if tenancy::find::<leader::Entity, _>(&state.db, org, leader_id)
        .await?
        .is_none()
    {
        return Err(Error::invalid(
            &["leaderId"],
            UserErrorCode::NotFound,
            "no such leader",
        ));
    }
    if leader_id == plan.leader_id {
        return Err(Error::invalid(
            &["leaderId"],
            UserErrorCode::Invalid,
            "a leader does not support their own plan",
        ));
    }
    let taken = tenancy::select::<plan_supporter::Entity>(org)
        .filter(plan_supporter::Column::PlanId.eq(plan.id))
        .filter(plan_supporter::Column::LeaderId.eq(leader_id))
        .count(&state.db)
        .await
        .context("checking supporters")?;
    if taken > 0 {
        return Err(Error::invalid(
            &["leaderId"],
            UserErrorCode::Taken,
            "this leader already supports the plan",
        ));
    }
    let txn = state.db.begin().await.context("starting a supporter")?;
    let s = tenancy::insert(
        &txn,
        org,
        plan_supporter::ActiveModel {
            id: Set(Uuid::now_v7()),
            plan_id: Set(plan.id),
            leader_id: Set(leader_id),
            role: Set(role),
            created_at: Set(Utc::now()),
            ..Default::default()
        },
    )
    .await?;
    record(
        &txn,
        &plan,
        None,
        "SUPPORTER_ADDED",
        leader_id.to_string(),
        ctx.user_id().ok(),
    )
    .await?;
    txn.commit().await.context("committing a supporter")?;
    Ok(s)
}

pub async fn remove_supporter(
    state: &AppState,
    ctx: &RequestContext,
    plan_id: Uuid,
    leader_id: Uuid,
) -> Result<development_plan::Model> {
    let plan = owned(&state.db, ctx, plan_id).await?;
    let done = tenancy::delete_many::<plan_supporter::Entity>(plan.organization_id)
        .filter(plan_supporter::Column::PlanId.eq(plan.id))
        .filter(plan_supporter::Column::LeaderId.eq(leader_id))
        .exec(&state.db)
        .await
        .context("removing a supporter")?;
    if done.rows_affected == 0 {
        return Err(Error::invalid(
            &["leaderId"],
            UserErrorCode::NotFound,
            "this leader does not support the plan",
        ));
    }
    record(
        &state.db,
        &plan,
        None,
        "SUPPORTER_REMOVED",
        leader_id.to_string(),
        ctx.user_id().ok(),
    )
    .await?;
    Ok(plan)
}

/// The plan's activity in time order (UUIDv7 ids are time-ordered).
pub async fn activity(
    state: &AppState,
    ctx: &RequestContext,
    plan_id: Uuid,
    args: &PageArgs,
) -> Result<Page<plan_activity::Model>> {
    let (plan, _) = access(&state.db, ctx, plan_id).await?;
    let q = tenancy::select::<plan_activity::Entity>(plan.organization_id)
        .filter(plan_activity::Column::PlanId.eq(plan.id));
    pagination::fetch(
        &state.db,
        q,
        plan_activity::Column::Id,
        &Ordering::by_id(),
        args,
    )
    .await
}

pub async fn count_activity(db: &DatabaseConnection, org: Uuid, plan_id: Uuid) -> Result<u64> {
    tenancy::select::<plan_activity::Entity>(org)
        .filter(plan_activity::Column::PlanId.eq(plan_id))
        .count(db)
        .await
        .context("counting activity")
}
