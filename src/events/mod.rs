//! The event bus of one server instance: committed domain events, fanned out to the
//! GraphQL subscriptions of its websocket clients.
//!
//! How events reach the bus depends on the store. On PostgreSQL `outbox::record` sends
//! a `NOTIFY` inside the domain transaction (so only committed events are announced) and
//! every instance's [`listen`] task forwards what it hears: an event raised on one
//! instance reaches subscribers on all of them. On SQLite (one process) the GraphQL layer
//! publishes the events a mutation recorded once that mutation has succeeded.

mod listen;

pub use listen::spawn_listener;

use std::sync::Arc;

use futures_util::Stream;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::{self, error::RecvError};
use uuid::Uuid;

/// The PostgreSQL channel events are announced on.
pub const CHANNEL: &str = "colead_events";

/// How many events a slow subscriber may fall behind before it skips some.
const CAPACITY: usize = 1024;

/// One committed event, as subscriptions see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: Uuid,
    #[serde(rename = "type")]
    pub event_type: String,
    #[serde(rename = "org")]
    pub organization_id: Uuid,
    pub data: serde_json::Value,
}

impl Event {
    /// The id under `key` in the event's data.
    pub fn id_at(&self, key: &str) -> Option<Uuid> {
        self.data.get(key)?.as_str()?.parse().ok()
    }
}

/// The instance's broadcast of committed events.
#[derive(Clone)]
pub struct Bus {
    sender: broadcast::Sender<Arc<Event>>,
}

impl Default for Bus {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(CAPACITY).0,
        }
    }
}

impl Bus {
    /// Hands `event` to every current subscriber (none listening is fine).
    pub fn publish(&self, event: Event) {
        let _ = self.sender.send(Arc::new(event));
    }

    /// How many subscriptions are listening (for metrics and tests).
    pub fn subscribers(&self) -> usize {
        self.sender.receiver_count()
    }

    /// Every event published from now on. A subscriber that falls more than
    /// [`CAPACITY`] events behind skips the oldest (and a warning is logged).
    pub fn stream(&self) -> impl Stream<Item = Arc<Event>> + Send + use<> {
        futures_util::stream::unfold(self.sender.subscribe(), |mut receiver| async move {
            loop {
                match receiver.recv().await {
                    Ok(event) => return Some((event, receiver)),
                    Err(RecvError::Lagged(skipped)) => {
                        tracing::warn!(skipped, "a subscription fell behind the event bus");
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        })
    }
}
