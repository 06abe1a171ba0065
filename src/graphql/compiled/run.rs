//! Running a plan: its arguments read exactly as the schema reads them
//! ([`super::arguments`]), the page and its relations fetched together
//! ([`directory::list_related`]: one statement on PostgreSQL), and the answer written
//! ([`super::write`]).

use async_graphql::Variables;

use super::{Plan, arguments, write};
use crate::auth::RequestContext;
use crate::domain::people::READERS;
use crate::domain::people::directory;
use crate::graphql::connection;
use crate::startup::AppState;

/// A compiled answer: the `data` object's JSON, and how many objects it holds (the
/// actual cost, counted as `cost::actual_cost` counts a response).
pub struct Compiled {
    pub data: Vec<u8>,
    pub objects: u64,
}

/// Answers the plan's operation, or `None` when the general executor must: an argument
/// or a caller the plan does not cover, or any error (which the general executor then
/// reports as it always does).
pub async fn run(
    plan: &Plan,
    state: &AppState,
    ctx: &RequestContext,
    variables: &Variables,
) -> Option<Compiled> {
    // A review token reads names only; the general executor filters for it.
    if ctx.review_scope().is_some() {
        return None;
    }
    let org = ctx.require(READERS).ok()?.organization_id;
    let args = arguments::read(plan, variables)?;
    let page_args = connection::args(args.first, args.after, args.last, args.before).ok()?;
    let page = directory::list_related(
        state,
        ctx,
        &args.filter,
        args.field,
        args.descending,
        &page_args,
        plan.related,
    );
    let count = async {
        if plan.wants_count {
            directory::count(&state.db, org, &args.filter)
                .await
                .map(Some)
        } else {
            Ok(None)
        }
    };
    let (page, count) = tokio::join!(page, count);
    let page = page.ok()?;
    let relations = write::Relations {
        managers: page.managers,
        teams: page.teams,
    };
    write::answer(plan, &page.page, &relations, count.ok()?)
}
