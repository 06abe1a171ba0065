//! Frameworks, behaviors and indicators: the built-in one and an organization's own.

mod types;

pub use types::*;

use async_graphql::futures_util::FutureExt;
use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use entity::{behavior, framework};

use crate::domain::frameworks::{self as domain, BehaviorChange};
use crate::error::UserError;
use crate::graphql::connection::{self, Connection};
use crate::graphql::ids::{self, Kind};
use crate::graphql::{parts, payload};

#[derive(InputObject, Default)]
pub struct FrameworkFilter {
    status: Option<FrameworkStatus>,
}

#[derive(Default)]
pub struct FrameworksQuery;

#[Object]
impl FrameworksQuery {
    /// The built-in framework and the organization's own, oldest first.
    async fn frameworks(
        &self,
        ctx: &Context<'_>,
        filter: Option<FrameworkFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Connection<Framework>> {
        let (rctx, state) = parts(ctx);
        let status = filter.and_then(|f| f.status).map(Into::into);
        let page = domain::list(
            state,
            rctx,
            status,
            &connection::args(first, after, last, before)?,
        )
        .await?;
        let (db, org) = (state.db.clone(), rctx.organization_id()?);
        Ok(connection::from_page(page, Framework, move || {
            let db = db.clone();
            async move { domain::count(&db, org, status).await }.boxed()
        }))
    }
}

#[derive(InputObject)]
pub struct CreateFrameworkInput {
    /// Required unless copying (`basedOnId`), whose name is the default.
    name: Option<String>,
    description: Option<String>,
    source: Option<String>,
    /// Copy behaviors and indicators from this framework; the copy is its next version.
    based_on_id: Option<ID>,
}

#[derive(InputObject)]
pub struct UpdateFrameworkInput {
    framework_id: ID,
    name: Option<String>,
    description: Option<String>,
    source: Option<String>,
}

#[derive(InputObject)]
pub struct FrameworkIdInput {
    framework_id: ID,
}

#[derive(SimpleObject)]
pub struct FrameworkPayload {
    framework: Option<Framework>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct AddBehaviorInput {
    framework_id: ID,
    key: String,
    title: String,
    summary: String,
    position: Option<i32>,
}

#[derive(InputObject)]
pub struct UpdateBehaviorInput {
    behavior_id: ID,
    key: Option<String>,
    title: Option<String>,
    summary: Option<String>,
    position: Option<i32>,
}

#[derive(InputObject)]
pub struct BehaviorIdInput {
    behavior_id: ID,
}

#[derive(SimpleObject)]
pub struct BehaviorPayload {
    behavior: Option<Behavior>,
    user_errors: Vec<UserError>,
}

#[derive(InputObject)]
pub struct AddIndicatorInput {
    behavior_id: ID,
    text: String,
    position: Option<i32>,
}

#[derive(InputObject)]
pub struct UpdateIndicatorInput {
    indicator_id: ID,
    text: Option<String>,
    position: Option<i32>,
}

#[derive(InputObject)]
pub struct IndicatorIdInput {
    indicator_id: ID,
}

#[derive(SimpleObject)]
pub struct IndicatorPayload {
    indicator: Option<Indicator>,
    user_errors: Vec<UserError>,
}

fn fw(r: crate::error::Result<framework::Model>) -> async_graphql::Result<FrameworkPayload> {
    let (f, user_errors) = payload(r)?;
    Ok(FrameworkPayload {
        framework: f.map(Framework),
        user_errors,
    })
}

fn bh(r: crate::error::Result<behavior::Model>) -> async_graphql::Result<BehaviorPayload> {
    let (b, user_errors) = payload(r)?;
    Ok(BehaviorPayload {
        behavior: b.map(Behavior),
        user_errors,
    })
}

#[derive(Default)]
pub struct FrameworksMutation;

#[Object]
impl FrameworksMutation {
    /// A new draft framework, empty or copied from an existing one.
    async fn create_framework(
        &self,
        ctx: &Context<'_>,
        input: CreateFrameworkInput,
    ) -> async_graphql::Result<FrameworkPayload> {
        let (rctx, state) = parts(ctx);
        let based = input
            .based_on_id
            .map(|i| ids::decode(Kind::Framework, &i))
            .transpose()?;
        fw(domain::create(
            state,
            rctx,
            input.name.as_deref(),
            input.description.as_deref(),
            input.source.as_deref(),
            based,
        )
        .await)
    }
    async fn update_framework(
        &self,
        ctx: &Context<'_>,
        input: UpdateFrameworkInput,
    ) -> async_graphql::Result<FrameworkPayload> {
        let (rctx, state) = parts(ctx);
        let id = ids::decode(Kind::Framework, &input.framework_id)?;
        fw(domain::update(
            state,
            rctx,
            id,
            input.name.as_deref(),
            input.description.as_deref(),
            input.source.as_deref(),
        )
        .await)
    }
    /// Publishes a draft with at least one behavior, each with an indicator; then it never changes.
    async fn publish_framework(
        &self,
        ctx: &Context<'_>,
        input: FrameworkIdInput,
    ) -> async_graphql::Result<FrameworkPayload> {
        let (rctx, state) = parts(ctx);
        fw(domain::publish(
            state,
            rctx,
            ids::decode(Kind::Framework, &input.framework_id)?,
        )
        .await)
    }
    async fn retire_framework(
        &self,
        ctx: &Context<'_>,
        input: FrameworkIdInput,
    ) -> async_graphql::Result<FrameworkPayload> {
        let (rctx, state) = parts(ctx);
        fw(domain::retire(
            state,
            rctx,
            ids::decode(Kind::Framework, &input.framework_id)?,
        )
        .await)
    }
    async fn add_behavior(
        &self,
        ctx: &Context<'_>,
        input: AddBehaviorInput,
    ) -> async_graphql::Result<BehaviorPayload> {
        let (rctx, state) = parts(ctx);
        let id = ids::decode(Kind::Framework, &input.framework_id)?;
        let change = BehaviorChange {
            key: Some(input.key),
            title: Some(input.title),
            summary: Some(input.summary),
            position: input.position,
        };
        bh(domain::add_behavior(state, rctx, id, change).await)
    }
    async fn update_behavior(
        &self,
        ctx: &Context<'_>,
        input: UpdateBehaviorInput,
    ) -> async_graphql::Result<BehaviorPayload> {
        let (rctx, state) = parts(ctx);
        let id = ids::decode(Kind::Behavior, &input.behavior_id)?;
        let change = BehaviorChange {
            key: input.key,
            title: input.title,
            summary: input.summary,
            position: input.position,
        };
        bh(domain::update_behavior(state, rctx, id, change).await)
    }
    /// Removes a behavior and its indicators from a draft; returns the framework.
    async fn remove_behavior(
        &self,
        ctx: &Context<'_>,
        input: BehaviorIdInput,
    ) -> async_graphql::Result<FrameworkPayload> {
        let (rctx, state) = parts(ctx);
        fw(domain::remove_behavior(
            state,
            rctx,
            ids::decode(Kind::Behavior, &input.behavior_id)?,
        )
        .await)
    }
    async fn add_indicator(
        &self,
        ctx: &Context<'_>,
        input: AddIndicatorInput,
    ) -> async_graphql::Result<IndicatorPayload> {
        let (rctx, state) = parts(ctx);
        let id = ids::decode(Kind::Behavior, &input.behavior_id)?;
        let (i, user_errors) =
            payload(domain::add_indicator(state, rctx, id, &input.text, input.position).await)?;
        Ok(IndicatorPayload {
            indicator: i.map(Indicator),
            user_errors,
        })
    }
    async fn update_indicator(
        &self,
        ctx: &Context<'_>,
        input: UpdateIndicatorInput,
    ) -> async_graphql::Result<IndicatorPayload> {
        let (rctx, state) = parts(ctx);
        let id = ids::decode(Kind::Indicator, &input.indicator_id)?;
        let (i, user_errors) = payload(
            domain::update_indicator(state, rctx, id, input.text.as_deref(), input.position).await,
        )?;
        Ok(IndicatorPayload {
            indicator: i.map(Indicator),
            user_errors,
        })
    }
    /// Removes an indicator from a draft; returns its behavior.
    async fn remove_indicator(
        &self,
        ctx: &Context<'_>,
        input: IndicatorIdInput,
    ) -> async_graphql::Result<BehaviorPayload> {
        let (rctx, state) = parts(ctx);
        bh(domain::remove_indicator(
            state,
            rctx,
            ids::decode(Kind::Indicator, &input.indicator_id)?,
        )
        .await)
    }
}
