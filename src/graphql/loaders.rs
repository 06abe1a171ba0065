//! Per-request DataLoaders: one `WHERE id IN (…)` per batch, never a query per row.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::user;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::tenancy;

/// Users by id. Users are global; callers only reach ids through scoped rows.
pub struct UserLoader {
    db: DatabaseConnection,
}

impl UserLoader {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

impl Loader<Uuid> for UserLoader {
    type Value = user::Model;
    type Error = Arc<async_graphql::Error>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, user::Model>, Self::Error> {
        let users = tenancy::users(&self.db, keys.iter().copied())
            .await
            .map_err(|e| Arc::new(e.into()))?;
        Ok(users.into_iter().map(|u| (u.id, u)).collect())
    }
}
