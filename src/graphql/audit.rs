//! The audit log in GraphQL: `auditEvents` for admins, and the hook that appends an
//! event after every mutation field that succeeded.

use std::sync::Arc;

use async_graphql::extensions::{ExtensionContext, ResolveInfo};
use async_graphql::futures_util::FutureExt;
use async_graphql::{Context, Enum, ID, InputObject, Object, ServerResult, Value, Variables};
use chrono::{DateTime, Utc};
use entity::audit_event;

use crate::auth::RequestContext;
use crate::domain::audit::{self, Entry};
use crate::graphql::connection::{self, Connection};
use crate::graphql::ids::{self, Kind};
use crate::graphql::parts;
use crate::startup::AppState;

/// The tables the trail names that have global ids, with their kinds.
const TABLE_KINDS: [(&str, Kind); 17] = [
    ("membership", Kind::Membership),
    ("API key", Kind::ApiKey),
    ("leader", Kind::Leader),
    ("team", Kind::Team),
    ("framework", Kind::Framework),
    ("behavior", Kind::Behavior),
    ("indicator", Kind::Indicator),
    ("cycle", Kind::AssessmentCycle),
    ("assessment", Kind::Assessment),
    ("review", Kind::Review),
    ("plan", Kind::DevelopmentPlan),
    ("goal", Kind::Goal),
    ("action", Kind::Action),
    ("supporter", Kind::PlanSupporter),
    ("activity", Kind::CheckIn),
    ("webhook endpoint", Kind::WebhookEndpoint),
    ("webhook delivery", Kind::WebhookDelivery),
];

/// The kind of a global id for a table the trail names.
fn kind_of(table: &str) -> Option<Kind> {
    TABLE_KINDS
        .iter()
        .find(|(t, _)| *t == table)
        .map(|(_, k)| *k)
}

/// The table name of a kind, for targets named by the mutation's input.
fn table_of(kind: Kind) -> Option<&'static str> {
    TABLE_KINDS
        .iter()
        .find(|(_, k)| *k == kind)
        .map(|(t, _)| *t)
}

/// The variables of the running request, for reading a mutation's input.
pub struct RequestVariables(pub Variables);

/// The first global id in the mutation's `input`: `id`, else the first `…Id` field.
fn input_target(
    info: &ResolveInfo<'_>,
    vars: Option<&Variables>,
) -> Option<(&'static str, uuid::Uuid)> {
    use async_graphql_value::Value as Ast;
    let resolve = |v: &Ast| -> Option<Ast> {
        match v {
            Ast::Variable(name) => vars?.get(name).map(|c| c.clone().into_value()),
            other => Some(other.clone()),
        }
    };
    let input = resolve(&info.field.get_argument("input")?.node)?;
    let Ast::Object(fields) = input else {
        return None;
    };
    let candidates = fields.get("id").into_iter().chain(
        fields
            .iter()
            .filter(|(k, _)| k.ends_with("Id"))
            .map(|(_, v)| v),
    );
    candidates.filter_map(resolve).find_map(|v| match v {
        Ast::String(s) => {
            let (kind, id) = ids::decode_any(&s).ok()?;
            Some((table_of(kind)?, id))
        }
        _ => None,
    })
}

/// Runs a root mutation field and appends its audit event when it changed something.
pub(super) struct Audited {
    action: String,
    from_input: Option<(&'static str, uuid::Uuid)>,
}

impl Audited {
    /// What the audit log needs to know of a root mutation field before it runs.
    pub(super) fn before(ctx: &ExtensionContext<'_>, info: &ResolveInfo<'_>) -> Self {
        Self {
            action: info.name.to_owned(),
            from_input: input_target(info, ctx.data_opt::<RequestVariables>().map(|v| &v.0)),
        }
    }

    /// Runs the field and appends its audit event when it changed something.
    pub(super) async fn run(
        self,
        ctx: &ExtensionContext<'_>,
        field: impl Future<Output = ServerResult<Option<Value>>>,
    ) -> ServerResult<Option<Value>> {
        audited(ctx, self, field).await
    }
}

async fn audited(
    ctx: &ExtensionContext<'_>,
    pending: Audited,
    field: impl Future<Output = ServerResult<Option<Value>>>,
) -> ServerResult<Option<Value>> {
    let Audited { action, from_input } = pending;
    let (result, trail) = audit::traced(field).await;
    let (Some(rctx), Some(state)) = (
        ctx.data_opt::<RequestContext>(),
        ctx.data_opt::<Arc<AppState>>(),
    ) else {
        return result;
    };
    // Refused with user errors (through `payload()` or built by hand): nothing changed.
    let refused = trail.refused
        || matches!(&result, Ok(Some(Value::Object(o)))
            if o.get("userErrors").is_some_and(|e| !matches!(e, Value::List(l) if l.is_empty())));
    // An error below the payload (a field of the changed object) nulls the mutation
    // field after its write committed; only the resolver's own error means no change.
    let changed = match &result {
        Ok(_) => true,
        Err(e) => e.path.len() > 1,
    };
    if changed && !refused {
        let target = trail
            .inserted
            .iter()
            .find(|(t, _, _)| kind_of(t).is_some())
            .map(|(t, id, _)| (*t, *id))
            .or(from_input);
        let wrote_to = trail.inserted.first().map(|(_, _, org)| *org);
        let entry = Entry {
            action: &action,
            target,
        };
        if let Err(e) = audit::record(&state.db, rctx, wrote_to, entry).await {
            tracing::error!(error = %e.report(), action, "the audit event was not written");
        }
    }
    result
}

/// Who made a change.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum AuditActorKind {
    User,
    ApiKey,
    /// An external rater's review token.
    Review,
    /// A request without a token: sign-up, accepting an invitation, signing in.
    Anonymous,
    /// A command run on the server with its database credentials (`colead import`).
    Operator,
}

/// One change, as the audit log keeps it.
pub struct AuditEvent(pub audit_event::Model);

#[Object]
impl AuditEvent {
    pub async fn id(&self) -> ID {
        ids::encode(Kind::AuditEvent, self.0.id)
    }
    async fn actor_kind(&self) -> AuditActorKind {
        match self.0.actor_kind.as_str() {
            "API_KEY" => AuditActorKind::ApiKey,
            "REVIEW" => AuditActorKind::Review,
            "ANONYMOUS" => AuditActorKind::Anonymous,
            "OPERATOR" => AuditActorKind::Operator,
            _ => AuditActorKind::User,
        }
    }
    /// The global id of the user or API key that made the change.
    async fn actor_id(&self) -> Option<ID> {
        let kind = match self.0.actor_kind.as_str() {
            "USER" => Kind::User,
            "API_KEY" => Kind::ApiKey,
            "REVIEW" => Kind::Review,
            _ => return None,
        };
        self.0.actor_id.map(|id| ids::encode(kind, id))
    }
    /// The mutation, e.g. `createLeader`.
    async fn action(&self) -> &str {
        &self.0.action
    }
    /// The global id of the object changed or created, when there is one.
    async fn target_id(&self) -> Option<ID> {
        let kind = kind_of(self.0.target_type.as_deref()?)?;
        self.0.target_id.map(|id| ids::encode(kind, id))
    }
    /// The GraphQL type of the target, e.g. `Leader`.
    async fn target_type(&self) -> Option<&'static str> {
        Some(kind_of(self.0.target_type.as_deref()?)?.type_name())
    }
    /// The request that made the change (the `x-request-id` its response carried).
    async fn request_id(&self) -> &str {
        &self.0.request_id
    }
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.0.occurred_at
    }
}

#[derive(InputObject, Default)]
pub struct AuditEventFilter {
    /// The global id of a user or API key.
    actor_id: Option<ID>,
    /// A mutation name, e.g. `createLeader`.
    action: Option<String>,
    /// Events at or after this time.
    since: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// The organization's audit log, newest first. ADMIN only.
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditEventFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Connection<AuditEvent>> {
        let (rctx, state) = parts(ctx);
        let f = filter.unwrap_or_default();
        let actor_id = match f.actor_id {
            None => None,
            Some(id) => Some(ids::decode_any(&id)?.1),
        };
        let filter = audit::Filter {
            actor_id,
            action: f.action,
            since: f.since,
        };
        let args = connection::args(first, after, last, before)?;
        let page = audit::list(state, rctx, &filter, &args).await?;
        let (state, rctx) = (state.clone(), rctx.clone());
        Ok(connection::from_page(page, AuditEvent, move || {
            let (state, rctx, filter) = (state.clone(), rctx.clone(), filter.clone());
            async move { audit::count(&state, &rctx, &filter).await }.boxed()
        }))
    }
}
