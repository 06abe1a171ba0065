//! Listing development plans: which plans a caller may see, filtered and paged.

use entity::enums::{PlanStatus, Role};
use entity::{development_plan, leader, plan_supporter};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, Condition, PaginatorTrait, QueryFilter, Select};
use uuid::Uuid;

use crate::auth::RequestContext;
use crate::domain::pagination::{self, Ordering, Page, PageArgs};
use crate::error::{Context, Error, Result};
use crate::startup::AppState;
use crate::tenancy;

#[derive(Debug, Clone, Default)]
pub struct PlanFilter {
    pub leader_id: Option<Uuid>,
    pub status: Option<PlanStatus>,
}

/// Plans the caller may see: all for HR and ADMIN; otherwise their own, their direct
/// reports', and those they support.
fn visible(ctx: &RequestContext, f: &PlanFilter) -> Result<Select<development_plan::Entity>> {
    let p = ctx.principal()?;
    let org = p.organization_id;
    let mut q = tenancy::select::<development_plan::Entity>(org);
    if !matches!(p.role, Role::Admin | Role::Hr) {
        let Some(me) = p.leader_id.filter(|_| p.role == Role::Member) else {
            return Err(Error::Forbidden);
        };
        let reports = Query::select()
            .column(leader::Column::Id)
            .from(leader::Entity)
            .and_where(leader::Column::OrganizationId.eq(org))
            .and_where(leader::Column::ManagerId.eq(me))
            .to_owned();
        let supported = Query::select()
            .column(plan_supporter::Column::PlanId)
            .from(plan_supporter::Entity)
            .and_where(plan_supporter::Column::OrganizationId.eq(org))
            .and_where(plan_supporter::Column::LeaderId.eq(me))
            .to_owned();
        q = q.filter(
            Condition::any()
                .add(development_plan::Column::LeaderId.eq(me))
                .add(development_plan::Column::LeaderId.in_subquery(reports))
                .add(development_plan::Column::Id.in_subquery(supported)),
        );
    }
    if let Some(l) = f.leader_id {
        q = q.filter(development_plan::Column::LeaderId.eq(l));
    }
    if let Some(s) = f.status {
        q = q.filter(development_plan::Column::Status.eq(s));
    }
    Ok(q)
}

pub async fn list(
    state: &AppState,
    ctx: &RequestContext,
    f: &PlanFilter,
    args: &PageArgs,
) -> Result<Page<development_plan::Model>> {
    pagination::fetch(
        &state.db,
        visible(ctx, f)?,
        development_plan::Column::Id,
        &Ordering::by_id(),
        args,
    )
    .await
}

pub async fn count(state: &AppState, ctx: &RequestContext, f: &PlanFilter) -> Result<u64> {
    visible(ctx, f)?
        .count(&state.db)
        .await
        .context("counting plans")
}
