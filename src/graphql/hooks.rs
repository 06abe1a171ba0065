//! The schema's one extension: it marks that execution began (so the HTTP layer can tell
//! request errors apart), opens a tracing span per root field, has the audit log follow
//! every root mutation field, and publishes a mutation's events once it succeeded.
//!
//! One extension, not three: async-graphql runs every field of a response through each
//! extension's `resolve`, so each extra layer costs a boxed future per field.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextResolve, ResolveInfo,
};
use async_graphql::{ServerResult, Value};
use tracing::Instrument;

use crate::http::graphql::Executed;

struct RequestHooks;

impl ExtensionFactory for RequestHooks {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RequestHooks)
    }
}

#[async_trait::async_trait]
impl Extension for RequestHooks {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> async_graphql::Response {
        if let Some(flag) = ctx.data_opt::<Executed>() {
            flag.0.store(true, Ordering::Release);
        }
        next.run(ctx, operation_name).await
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.path_node.parent.is_some() {
            return next.run(ctx, info).await;
        }
        // Boxed apart: this future is copied into a box for every field of a response,
        // so it must stay as small as the nested fields' path needs.
        Box::pin(root_field(ctx, info, next)).await
    }
}

async fn root_field(
    ctx: &ExtensionContext<'_>,
    info: ResolveInfo<'_>,
    next: NextResolve<'_>,
) -> ServerResult<Option<Value>> {
    let span = tracing::info_span!(
        "graphql.field",
        parent = info.parent_type,
        field = info.name,
    );
    if info.parent_type == "Mutation" {
        let audited = super::audit::Audited::before(ctx, &info);
        let field = super::live::announced(ctx, next.run(ctx, info));
        audited.run(ctx, field).instrument(span).await
    } else {
        next.run(ctx, info).instrument(span).await
    }
}

/// The extension every schema carries.
pub fn request_hooks() -> impl ExtensionFactory {
    RequestHooks
}
