//! Writing an import: new leaders managers-first in multi-row inserts, changed ones in
//! multi-row updates, missing ones deactivated, and their outbox events in one statement.

use chrono::Utc;
use entity::enums::LeaderStatus;
use entity::leader;
use sea_orm::{ActiveValue::Set, ConnectionTrait};
use uuid::Uuid;

use super::plan::Plan;
use crate::db::Batch;
use crate::error::Result;
use crate::tenancy;

pub(super) async fn write<C: ConnectionTrait>(
    db: &C,
    org: Uuid,
    plan: &Plan,
    missing: &[&leader::Model],
) -> Result<()> {
    let mut inserts = Batch::<leader::ActiveModel>::new(13);
    let mut events: Vec<(&'static str, Uuid, Option<String>)> = Vec::new();
    for &i in &plan.created {
        let Some(m) = plan.models[i].clone() else {
            continue;
        };
        events.push(("leader.created", m.id, m.external_id.clone()));
        inserts
            .push(
                db,
                leader::ActiveModel {
                    id: Set(m.id),
                    organization_id: Set(org),
                    name: Set(m.name),
                    email: Set(m.email),
                    title: Set(m.title),
                    department: Set(m.department),
                    location: Set(m.location),
                    external_id: Set(m.external_id),
                    manager_id: Set(m.manager_id),
                    start_date: Set(m.start_date),
                    status: Set(m.status),
                    user_name: Set(m.user_name),
                    employee_number: Set(m.employee_number),
                    created_at: Set(m.created_at),
                    updated_at: Set(m.updated_at),
                },
            )
            .await?;
    }
    inserts.flush(db).await?;
    let updates: Vec<&leader::Model> = plan
        .changed
        .iter()
        .filter_map(|&i| plan.models[i].as_ref())
        .collect();
    for m in &updates {
        let kind = if m.status == LeaderStatus::Inactive {
            "leader.deactivated"
        } else {
            "leader.updated"
        };
        events.push((kind, m.id, m.external_id.clone()));
    }
    tenancy::update_leaders(db, org, &updates).await?;
    if !missing.is_empty() {
        let gone: Vec<Uuid> = missing.iter().map(|l| l.id).collect();
        for l in missing {
            events.push(("leader.deactivated", l.id, l.external_id.clone()));
        }
        tenancy::deactivate_leaders(db, org, &gone).await?;
    }
    let mut outbox = Batch::<entity::outbox_event::ActiveModel>::new(5);
    let now = Utc::now();
    for (kind, id, external_id) in events {
        outbox
            .push(
                db,
                entity::outbox_event::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    organization_id: Set(org),
                    event_type: Set(kind.to_owned()),
                    payload: Set(
                        serde_json::json!({ "leaderId": id, "externalId": external_id })
                            .to_string(),
                    ),
                    occurred_at: Set(now),
                },
            )
            .await?;
    }
    outbox.flush(db).await
}
