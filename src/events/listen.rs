//! The PostgreSQL LISTEN task of one instance: every notification on [`CHANNEL`]
//! becomes an event on the instance's bus; after an error it reconnects, backing off.

use std::time::Duration;

use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{DatabaseConnection, DbBackend};
use tokio::task::JoinHandle;

use super::{Bus, CHANNEL, Event};
use crate::domain::outbox::{self, Notice};
use crate::error::{Context, Result};

const FIRST_RETRY: Duration = Duration::from_millis(250);
const LAST_RETRY: Duration = Duration::from_secs(30);

/// Starts listening when `db` is PostgreSQL (on its own connection to `url`, outside
/// the request pool); SQLite needs no listener.
pub fn spawn_listener(url: &str, db: &DatabaseConnection, bus: &Bus) -> Option<JoinHandle<()>> {
    if db.get_database_backend() != DbBackend::Postgres {
        return None;
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        tracing::error!("no runtime to listen for events on: subscriptions stay silent");
        return None;
    };
    Some(runtime.spawn(run(url.to_owned(), db.clone(), bus.clone())))
}

async fn run(url: String, db: DatabaseConnection, bus: Bus) {
    let mut retry = FIRST_RETRY;
    loop {
        match PgListener::connect(&url).await {
            Ok(mut listener) => match listener.listen(CHANNEL).await {
                Ok(()) => {
                    retry = FIRST_RETRY;
                    let e = forward(&mut listener, &db, &bus).await;
                    tracing::warn!(error = %e.report(), "listening for events failed; reconnecting");
                }
                Err(e) => tracing::warn!(error = %e, "could not LISTEN for events"),
            },
            Err(e) => tracing::warn!(error = %e, "could not connect to LISTEN for events"),
        }
        tokio::time::sleep(retry).await;
        retry = (retry * 2).min(LAST_RETRY);
    }
}

/// Forwards notifications until the connection fails (sqlx reconnects by itself once;
/// an error here means that failed too).
async fn forward(
    listener: &mut PgListener,
    db: &DatabaseConnection,
    bus: &Bus,
) -> crate::error::Error {
    loop {
        let notification = match listener.recv().await.context("receiving an event") {
            Ok(n) => n,
            Err(e) => return e,
        };
        match event_of(db, notification.payload()).await {
            Ok(Some(event)) => bus.publish(event),
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e.report(), "an event notice could not be read"),
        }
    }
}

/// The event a notice announces, loading its data from the outbox when it was trimmed.
async fn event_of(db: &DatabaseConnection, payload: &str) -> Result<Option<Event>> {
    let notice: Notice = serde_json::from_str(payload).context("decoding an event notice")?;
    if !notice.trimmed {
        return Ok(Some(notice.event));
    }
    outbox::load(db, notice.event.organization_id, notice.event.id).await
}
