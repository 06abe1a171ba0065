//! Publishing on SQLite: the events a mutation field recorded go to the bus once the
//! field succeeded (its transaction committed); a refused or failed mutation announces
//! nothing. On PostgreSQL the events arrive through LISTEN instead and nothing is
//! collected here.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::{ServerResult, Value};

use crate::domain::outbox;
use crate::startup::AppState;

struct AnnounceCommitted;

impl ExtensionFactory for AnnounceCommitted {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(AnnounceCommitted)
    }
}

/// The extension that publishes a mutation's events after it succeeded.
pub fn announce_committed() -> impl ExtensionFactory {
    AnnounceCommitted
}

#[async_trait::async_trait]
impl Extension for AnnounceCommitted {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.parent_type != "Mutation" || info.path_node.parent.is_some() {
            return next.run(ctx, info).await;
        }
        let (result, events) = outbox::collecting(next.run(ctx, info)).await;
        if events.is_empty() || !committed(&result) {
            return result;
        }
        if let Some(state) = ctx.data_opt::<Arc<AppState>>() {
            for event in events {
                state.events.publish(event);
            }
        }
        result
    }
}

/// Whether the mutation's change stands: not refused with user errors, and not failed
/// in its resolver (an error below the payload came after the commit).
fn committed(result: &ServerResult<Option<Value>>) -> bool {
    match result {
        Ok(Some(Value::Object(o))) => o
            .get("userErrors")
            .is_none_or(|e| matches!(e, Value::List(l) if l.is_empty())),
        Ok(_) => true,
        Err(e) => e.path.len() > 1,
    }
}
