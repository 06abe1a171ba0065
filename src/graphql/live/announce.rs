//! Publishing on SQLite: the events a mutation field recorded go to the bus once the
//! field succeeded (its transaction committed); a refused or failed mutation announces
//! nothing. On PostgreSQL the events arrive through LISTEN instead and nothing is
//! collected here.

use std::sync::Arc;

use async_graphql::extensions::ExtensionContext;
use async_graphql::{ServerResult, Value};

use crate::domain::outbox;
use crate::startup::AppState;

/// Runs a root mutation field and publishes the events it recorded once it succeeded.
pub async fn announced(
    ctx: &ExtensionContext<'_>,
    field: impl Future<Output = ServerResult<Option<Value>>>,
) -> ServerResult<Option<Value>> {
    let (result, events) = outbox::collecting(field).await;
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
