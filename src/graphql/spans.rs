//! A tracing span per root field (one resolver group), inside the request's span, so a
//! slow operation shows which of its fields took the time.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::{ServerResult, Value};
use tracing::Instrument;

struct RootFieldSpans;

impl ExtensionFactory for RootFieldSpans {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RootFieldSpans)
    }
}

#[async_trait::async_trait]
impl Extension for RootFieldSpans {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.path_node.parent.is_some() {
            return next.run(ctx, info).await;
        }
        let span = tracing::info_span!(
            "graphql.field",
            parent = info.parent_type,
            field = info.name,
        );
        next.run(ctx, info).instrument(span).await
    }
}

/// The extension that opens one span per root field.
pub fn root_field_spans() -> impl ExtensionFactory {
    RootFieldSpans
}
