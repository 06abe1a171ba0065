//! Running a plan: its arguments read exactly as the schema reads them
//! ([`super::arguments`]), the page and its relations fetched by the domain functions
//! the resolvers use, and the answer written ([`super::write`]).

use std::collections::HashMap;

use async_graphql::Variables;
use uuid::Uuid;

use super::{Plan, arguments, write};
use crate::auth::RequestContext;
use crate::domain::people::directory;
use crate::domain::people::{READERS, teams};
use crate::graphql::connection;
use crate::startup::AppState;
use crate::tenancy;

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
    let page = directory::list(
        state,
        ctx,
        &args.filter,
        args.field,
        args.descending,
        &page_args,
    )
    .await
    .ok()?;
    let db = &state.db;
    let managers = async {
        if !plan.wants_managers {
            return Ok(HashMap::new());
        }
        let mut ids: Vec<Uuid> = page
            .items
            .iter()
            .filter_map(|(_, l)| l.manager_id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = tenancy::leaders_by_id(db, org, ids).await?;
        Ok::<_, crate::error::Error>(rows.into_iter().map(|l| (l.id, l)).collect())
    };
    let teams = async {
        if !plan.wants_teams {
            return Ok(HashMap::new());
        }
        let ids: Vec<Uuid> = page.items.iter().map(|(_, l)| l.id).collect();
        teams::teams_by_leader(db, org, &ids).await
    };
    let count = async {
        if plan.wants_count {
            directory::count(db, org, &args.filter).await.map(Some)
        } else {
            Ok(None)
        }
    };
    let (managers, teams, count) = tokio::join!(managers, teams, count);
    let relations = write::Relations {
        managers: managers.ok()?,
        teams: teams.ok()?,
    };
    write::answer(plan, &page, &relations, count.ok()?)
}
