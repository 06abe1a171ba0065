//! What an operation is charged: the buckets it draws on, the settling of the estimate
//! against what it returned, `extensions.cost`, and the refusal over a limit.

use serde_json::json;

use super::execute::error;
use crate::auth::RequestContext;
use crate::graphql::cost::Shape;
use crate::ratelimit::{Bucket, ThrottleStatus};
use crate::startup::AppState;

/// The buckets an operation is charged to: the principal's (or the client address's)
/// and the organization's.
pub(super) fn budgets(state: &AppState, ctx: &RequestContext) -> Vec<Bucket> {
    let Some(rates) = state.config.hardening.cost_budgets else {
        return Vec::new();
    };
    match ctx.principal.as_deref() {
        Some(p) => vec![
            Bucket {
                key: format!("cost:principal:{}", p.id),
                rate: rates.principal,
            },
            Bucket {
                key: format!("cost:org:{}", p.organization_id),
                rate: rates.organization,
            },
        ],
        None => vec![Bucket {
            key: format!("cost:ip:{}", crate::ratelimit::address_key(ctx.client_ip)),
            rate: rates.principal,
        }],
    }
}

pub(super) fn cost_json(
    requested: u64,
    actual: u64,
    throttle: Option<ThrottleStatus>,
) -> serde_json::Value {
    json!({
        "requestedQueryCost": requested,
        "actualQueryCost": actual,
        "throttleStatus": throttle.map(|t| json!({
            "maximumAvailable": t.maximum_available.floor() as u64,
            "currentlyAvailable": t.currently_available.max(0.0).floor() as u64,
            "restoreRate": t.restore_rate.floor() as u64,
        })),
    })
}

/// Settles the charge for what the operation returned: lists larger than assumed cost
/// what they returned beyond the estimate, and an unused estimate is given back.
pub(super) async fn settle(
    state: &AppState,
    buckets: &[Bucket],
    estimate: u64,
    actual: u64,
    throttle: Option<ThrottleStatus>,
) -> Option<ThrottleStatus> {
    match throttle {
        Some(mut t) if actual > estimate => {
            let extra = actual - estimate;
            state.limiter.debit(buckets, extra).await;
            t.currently_available -= extra as f64;
            Some(t)
        }
        Some(mut t) if actual < estimate => {
            let unused = estimate - actual;
            state.limiter.refund(buckets, unused).await;
            t.currently_available =
                (t.currently_available + unused as f64).min(t.maximum_available);
            Some(t)
        }
        other => other,
    }
}

/// The refusal of an operation over one of the limits, or `None`.
pub(super) fn too_complex(state: &AppState, shape: &Shape) -> Option<serde_json::Value> {
    let (what, value, max) = shape.exceeded(&state.config.hardening.limits)?;
    state.metrics.too_complex();
    let shown = if value == u64::MAX {
        "too large to count".to_owned()
    } else {
        value.to_string()
    };
    let mut err = error(
        &format!("the operation's {what} is {shown}, above the limit of {max}"),
        "QUERY_TOO_COMPLEX",
    );
    err["extensions"]["limit"] = json!(what);
    err["extensions"]["value"] = json!(value);
    err["extensions"]["maximum"] = json!(max);
    Some(json!({
        "errors": [err],
        "extensions": {
            "cost": cost_json(shape.cost, 0, None),
            "limits": {
                "depth": shape.depth,
                "aliases": shape.aliases,
                "rootFields": shape.root_fields,
                "directives": shape.directives,
            },
        },
    }))
}
