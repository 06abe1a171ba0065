//! GraphQL subscriptions (served over `/graphql/ws`): `reviewSubmitted`,
//! `cycleStatusChanged` and `planActivity`, read from the instance's event bus.
//!
//! The permissions are checked when a client subscribes and again for every event, so a
//! stream ends with an error as soon as its subscriber may no longer see what it
//! watches.

mod announce;
mod types;

pub use announce::announced;
pub use types::*;

use std::future::ready;
use std::sync::Arc;

use async_graphql::{Context, ID};
use futures_util::{Stream, StreamExt};
use uuid::Uuid;

use crate::domain::live;
use crate::events::Event;
use crate::graphql::cycles::AssessmentCycle;
use crate::graphql::ids::{self, Kind};
use crate::graphql::parts;
use crate::graphql::plans::PlanActivity;
use crate::startup::AppState;

/// The complexity (fields, nested) one subscription may select.
pub const MAX_COMPLEXITY: usize = 500;

const REVIEW_EVENTS: &[&str] = &["review.submitted"];
const CYCLE_EVENTS: &[&str] = &[
    "cycle.opened",
    "cycle.closed",
    "cycle.released",
    "internal.cycle.status_changed",
];
const PLAN_EVENTS: &[&str] = &["internal.plan.activity"];

#[derive(Default)]
pub struct Subscription;

#[async_graphql::Subscription]
impl Subscription {
    /// Review progress of a cycle, for HR dashboards (HR and ADMIN): an event per
    /// submitted review with its assessment and the counts, never who submitted it,
    /// which review it was, nor the rater's relationship to the subject.
    async fn review_submitted(
        &self,
        ctx: &Context<'_>,
        cycle_id: ID,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<ReviewSubmitted>>> {
        let (rctx, state) = parts(ctx);
        let cycle_id = ids::decode(Kind::AssessmentCycle, &cycle_id)?;
        let org = live::watch_reviews(state, rctx, cycle_id)
            .await?
            .organization_id;
        let (state, rctx) = (state.clone(), rctx.clone());
        let events = of(&state, org, REVIEW_EVENTS)
            .filter(move |e| ready(e.id_at("cycleId") == Some(cycle_id)))
            .filter_map(move |e| {
                let (state, rctx) = (state.clone(), rctx.clone());
                async move {
                    let assessment = e.id_at("assessmentId")?;
                    live::review_progress(&state, &rctx, cycle_id, assessment)
                        .await
                        .transpose()
                        .map(|r| r.map(|p| ReviewSubmitted::new(p, e.id)))
                }
            });
        Ok(until_refused(events))
    }

    /// Cycle transitions: of one cycle (anyone who may see it), or of every cycle of the
    /// organization (HR and ADMIN).
    async fn cycle_status_changed(
        &self,
        ctx: &Context<'_>,
        cycle_id: Option<ID>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<CycleStatusChanged>>> {
        let (rctx, state) = parts(ctx);
        let only = cycle_id
            .map(|id| ids::decode(Kind::AssessmentCycle, &id))
            .transpose()?;
        let org = live::watch_cycles(state, rctx, only).await?;
        let (state, rctx) = (state.clone(), rctx.clone());
        let events = of(&state, org, CYCLE_EVENTS)
            .filter(move |e| ready(only.is_none_or(|c| e.id_at("cycleId") == Some(c))))
            .filter_map(move |e| {
                let (state, rctx) = (state.clone(), rctx.clone());
                async move {
                    let id = e.id_at("cycleId")?;
                    let status = types::cycle_status(&e)?;
                    live::changed_cycle(&state, &rctx, id, only.is_none())
                        .await
                        .transpose()
                        .map(|r| {
                            r.map(|c| CycleStatusChanged {
                                cycle: AssessmentCycle(c),
                                status,
                                occurred_at: types::occurred_at(e.id),
                            })
                        })
                }
            });
        Ok(until_refused(events))
    }

    /// A plan's activity as it happens: check-ins and changes to the plan, its goals,
    /// actions and supporters; for whoever may see the plan.
    async fn plan_activity(
        &self,
        ctx: &Context<'_>,
        plan_id: ID,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<PlanActivity>>> {
        let (rctx, state) = parts(ctx);
        let plan_id = ids::decode(Kind::DevelopmentPlan, &plan_id)?;
        let org = live::watch_plan(state, rctx, plan_id)
            .await?
            .organization_id;
        let (state, rctx) = (state.clone(), rctx.clone());
        let events = of(&state, org, PLAN_EVENTS)
            .filter(move |e| ready(e.id_at("planId") == Some(plan_id)))
            .filter_map(move |e| {
                let (state, rctx) = (state.clone(), rctx.clone());
                async move {
                    let activity = e.id_at("activityId")?;
                    live::activity(&state, &rctx, plan_id, activity)
                        .await
                        .transpose()
                        .map(|r| r.map(PlanActivity))
                }
            });
        Ok(until_refused(events))
    }
}

/// The bus's events of `types` in organization `org`.
fn of(
    state: &AppState,
    org: Uuid,
    types: &'static [&'static str],
) -> impl Stream<Item = Arc<Event>> + Send + use<> {
    state
        .events
        .stream()
        .filter(move |e| ready(e.organization_id == org && types.contains(&e.event_type.as_str())))
}

/// Passes events on until the first error (the subscriber may no longer watch), which
/// it delivers before ending the stream.
fn until_refused<T: Send + 'static>(
    events: impl Stream<Item = crate::error::Result<T>> + Send + 'static,
) -> impl Stream<Item = async_graphql::Result<T>> + Send + 'static {
    through_first_error(events.map(|item| item.map_err(Into::into)))
}

/// The items of `items` up to and including the first error; then the stream ends at
/// once (without waiting for another item).
pub fn through_first_error<T, E>(
    items: impl Stream<Item = Result<T, E>> + Send + 'static,
) -> impl Stream<Item = Result<T, E>> + Send + 'static
where
    T: Send + 'static,
    E: Send + 'static,
{
    futures_util::stream::unfold((items.boxed(), false), |(mut items, ended)| async move {
        if ended {
            return None;
        }
        let item = items.next().await?;
        let ended = item.is_err();
        Some((item, (items, ended)))
    })
}
