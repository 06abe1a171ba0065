//! Development plans: owned by their leader, read by supporters, the leader's manager and
//! HR; born empty or with goals suggested from a released assessment.

mod dialogue;
pub mod goals;
mod listing;

pub use listing::*;

use chrono::Utc;
use entity::enums::{CycleStatus, GoalStatus, PlanStatus, Role};
use entity::{
    assessment, assessment_cycle, development_plan, goal, leader, plan_activity, plan_supporter,
};
use sea_orm::ActiveEnum;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    IntoActiveModel, PaginatorTrait, QueryFilter, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::auth::RequestContext;
use crate::domain::input;
use crate::domain::outbox;
use crate::domain::results;
use crate::error::{Context, Error, Result, UserError, UserErrorCode};
use crate::startup::AppState;
use crate::tenancy;

/// How the caller relates to a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The plan's leader: edits everything.
    Owner,
    /// A supporter: reads and adds check-ins.
    Supporter,
    /// The leader's manager, HR or ADMIN: reads.
    Reader,
}

/// The plan and the caller's access to it; plans the caller may not see are not found.
pub async fn access(
    db: &DatabaseConnection,
    ctx: &RequestContext,
    id: Uuid,
) -> Result<(development_plan::Model, Access)> {
    let p = ctx.principal()?;
    let org = p.organization_id;
    let plan = tenancy::find::<development_plan::Entity, _>(db, org, id)
        .await?
        .ok_or(Error::NotFound("plan"))?;
    let me = p.leader_id.filter(|_| p.role != Role::Integration);
    if me == Some(plan.leader_id) {
        return Ok((plan, Access::Owner));
    }
    if matches!(p.role, Role::Admin | Role::Hr) {
        return Ok((plan, Access::Reader));
    }
    let Some(me) = me else {
        return Err(Error::NotFound("plan"));
    };
    let supports = tenancy::select::<plan_supporter::Entity>(org)
        .filter(plan_supporter::Column::PlanId.eq(plan.id))
        .filter(plan_supporter::Column::LeaderId.eq(me))
        .count(db)
        .await
        .context("checking a supporter")?;
    if supports > 0 {
        return Ok((plan, Access::Supporter));
    }
    let subject = tenancy::find::<leader::Entity, _>(db, org, plan.leader_id).await?;
    if subject.is_some_and(|l| l.manager_id == Some(me)) {
        return Ok((plan, Access::Reader));
    }
    Err(Error::NotFound("plan"))
}

/// The plan if the caller owns it; readers get FORBIDDEN, strangers NOT_FOUND.
pub async fn owned(
    db: &DatabaseConnection,
    ctx: &RequestContext,
    id: Uuid,
) -> Result<development_plan::Model> {
    match access(db, ctx, id).await? {
        (plan, Access::Owner) => Ok(plan),
        _ => Err(Error::Forbidden),
    }
}

/// Whether the caller may see the scores behind a plan (its leader's results): the
/// leader, HR and ADMIN, and the manager where the organization allows.
pub async fn may_see_scores(
    state: &AppState,
    ctx: &RequestContext,
    plan: &development_plan::Model,
) -> Result<bool> {
    let p = ctx.principal()?;
    if matches!(p.role, Role::Admin | Role::Hr) || p.leader_id == Some(plan.leader_id) {
        return Ok(true);
    }
    let org = tenancy::organization(&state.db, p.organization_id)
        .await?
        .ok_or(Error::NotFound("organization"))?;
    let subject =
        tenancy::find::<leader::Entity, _>(&state.db, p.organization_id, plan.leader_id).await?;
    Ok(org.manager_can_view_results
        && p.leader_id.is_some()
        && subject.is_some_and(|l| l.manager_id == p.leader_id))
}

pub(crate) async fn record<C: ConnectionTrait>(
    db: &C,
    plan: &development_plan::Model,
    goal: Option<Uuid>,
    kind: &str,
    body: String,
    author: Option<Uuid>,
) -> Result<plan_activity::Model> {
    let activity = tenancy::insert(
        db,
        plan.organization_id,
        plan_activity::ActiveModel {
            id: Set(Uuid::now_v7()),
            plan_id: Set(plan.id),
            goal_id: Set(goal),
            kind: Set(kind.to_owned()),
            body: Set(body),
            author_user_id: Set(author),
            created_at: Set(Utc::now()),
            ..Default::default()
        },
    )
    .await?;
    // Live subscribers only (`planActivity`): not a webhook event.
    outbox::announce(
        db,
        plan.organization_id,
        "internal.plan.activity",
        json!({ "planId": plan.id, "activityId": activity.id }),
    )
    .await?;
    Ok(activity)
}

/// Up to three goals from a released assessment: development areas and blind spots,
/// lowest others-score first, then largest positive gap.
fn suggestions(r: &results::Results) -> Vec<(&results::BehaviorResult, &'static str)> {
    let mut picked: Vec<usize> = Vec::new();
    for i in r.development_areas.iter().chain(r.blind_spots.iter()) {
        if !picked.contains(i) && r.behaviors[*i].others.is_some() {
            picked.push(*i);
        }
    }
    picked.sort_by(|a, b| {
        let (x, y) = (&r.behaviors[*a], &r.behaviors[*b]);
        x.others
            .unwrap_or(f64::MAX)
            .total_cmp(&y.others.unwrap_or(f64::MAX))
            .then(
                y.gap
                    .unwrap_or(f64::MIN)
                    .total_cmp(&x.gap.unwrap_or(f64::MIN)),
            )
            .then(x.behavior.position.cmp(&y.behavior.position))
    });
    picked
        .into_iter()
        .take(3)
        .map(|i| {
            let area = r.development_areas.contains(&i);
            let blind = r.blind_spots.contains(&i);
            let reason = match (area, blind) {
                (true, true) => "DEVELOPMENT_AREA_AND_BLIND_SPOT",
                (true, false) => "DEVELOPMENT_AREA",
                _ => "BLIND_SPOT",
            };
            (&r.behaviors[i], reason)
        })
        .collect()
}

/// Creates a plan for a leader (the leader themselves, or HR and ADMIN), with suggested
/// goals when it comes from the leader's released assessment.
pub async fn create(
    state: &AppState,
    ctx: &RequestContext,
    leader_id: Uuid,
    title: Option<&str>,
    from: Option<Uuid>,
) -> Result<development_plan::Model> {
    let p = ctx.principal()?;
    let org = p.organization_id;
    if p.leader_id != Some(leader_id) && !matches!(p.role, Role::Admin | Role::Hr) {
        return Err(Error::Forbidden);
    }
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
    let title =
        input::optional_text(&["title"], title, 200).map_err(|e| Error::Invalid(vec![e]))?;
    let source = match from {
        None => None,
        Some(id) => {
            let a = tenancy::find::<assessment::Entity, _>(&state.db, org, id)
                .await?
                .filter(|a| a.subject_id == leader_id);
            let Some(a) = a else {
                return Err(Error::invalid(
                    &["fromAssessmentId"],
                    UserErrorCode::NotFound,
                    "no such assessment of this leader",
                ));
            };
            let cycle = tenancy::find::<assessment_cycle::Entity, _>(&state.db, org, a.cycle_id)
                .await?
                .ok_or(Error::NotFound("cycle"))?;
            if cycle.status != CycleStatus::Released {
                return Err(Error::invalid(
                    &["fromAssessmentId"],
                    UserErrorCode::InvalidState,
                    "suggestions come from released results",
                ));
            }
            let r = results::compute(&state.db, &a, &cycle).await?;
            Some((a, cycle, r))
        }
    };
    let now = Utc::now();
    let default_title = match &source {
        Some((_, c, _)) => format!("Development plan from {}", c.name),
        None => "Development plan".to_owned(),
    };
    let txn = state.db.begin().await.context("starting a plan")?;
    let plan = tenancy::insert(
        &txn,
        org,
        development_plan::ActiveModel {
            id: Set(Uuid::now_v7()),
            leader_id: Set(leader_id),
            source_assessment_id: Set(source.as_ref().map(|s| s.0.id)),
            title: Set(title.unwrap_or(default_title)),
            status: Set(PlanStatus::Draft),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        },
    )
    .await?;
    if let Some((_, _, r)) = &source {
        for (b, reason) in suggestions(r) {
            let evidence = json!({ "reason": reason, "others": b.others, "self": b.self_score, "gap": b.gap, "othersRaterCount": b.others_rater_count });
            tenancy::insert(
                &txn,
                org,
                goal::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    plan_id: Set(plan.id),
                    behavior_id: Set(b.behavior.id),
                    title: Set(b.behavior.title.clone()),
                    success_measure: Set(None),
                    target_date: Set(None),
                    status: Set(GoalStatus::NotStarted),
                    progress: Set(0),
                    suggestion: Set(Some(evidence.to_string())),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                },
            )
            .await?;
        }
    }
    record(
        &txn,
        &plan,
        None,
        "PLAN_CREATED",
        plan.title.clone(),
        ctx.user_id().ok(),
    )
    .await?;
    outbox::record(
        &txn,
        org,
        "plan.created",
        json!({ "planId": plan.id, "leaderId": leader_id }),
    )
    .await?;
    txn.commit().await.context("committing a plan")?;
    Ok(plan)
}

/// Renames a plan or moves it DRAFT → ACTIVE → COMPLETED, or any → ARCHIVED.
pub async fn update(
    state: &AppState,
    ctx: &RequestContext,
    id: Uuid,
    title: Option<&str>,
    status: Option<PlanStatus>,
) -> Result<development_plan::Model> {
    let plan = owned(&state.db, ctx, id).await?;
    let mut checks = input::Checks::default();
    let title = title.and_then(|t| checks.take(input::required_text(&["title"], t, 200)));
    if let Some(to) = status {
        let legal = matches!(
            (plan.status, to),
            (PlanStatus::Draft, PlanStatus::Active) | (PlanStatus::Active, PlanStatus::Completed)
        ) || (to == PlanStatus::Archived && plan.status != PlanStatus::Archived);
        if !legal && to != plan.status {
            checks.push(UserError::new(
                &["status"],
                UserErrorCode::InvalidState,
                format!(
                    "a {} plan cannot become {}",
                    plan.status.to_value(),
                    to.to_value()
                ),
            ));
        }
    }
    checks.finish()?;
    let txn = state.db.begin().await.context("starting a plan update")?;
    let mut am = plan.clone().into_active_model();
    if let Some(t) = title {
        am.title = Set(t);
    }
    if let Some(s) = status {
        am.status = Set(s);
    }
    am.updated_at = Set(Utc::now());
    let updated = am.update(&txn).await.context("updating a plan")?;
    record(
        &txn,
        &updated,
        None,
        "PLAN_UPDATED",
        format!("{} ({})", updated.title, updated.status.to_value()),
        ctx.user_id().ok(),
    )
    .await?;
    outbox::record(
        &txn,
        updated.organization_id,
        "plan.updated",
        json!({ "planId": updated.id, "status": updated.status.to_value() }),
    )
    .await?;
    txn.commit().await.context("committing a plan update")?;
    Ok(updated)
}
