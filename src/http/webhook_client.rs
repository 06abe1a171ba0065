//! The outbound side of webhooks: the JSON body of a delivery, its signature, and an HTTP
//! client that connects only to addresses the SSRF guard allows (checked on the address
//! resolved for this very connection), follows no redirects and ignores proxies.

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use serde_json::{Value, json};
use sha2::Sha256;
use uuid::Uuid;

use crate::config::WebhookSettings;
use crate::domain::integrations::webhooks::address;
use crate::graphql::ids::{self, Kind};

/// Keys of event data holding ids of objects, sent as the API's global ids.
const ID_KEYS: [(&str, Kind); 7] = [
    ("leaderId", Kind::Leader),
    ("cycleId", Kind::AssessmentCycle),
    ("assessmentId", Kind::Assessment),
    ("reviewId", Kind::Review),
    ("planId", Kind::DevelopmentPlan),
    ("goalId", Kind::Goal),
    ("behaviorId", Kind::Behavior),
];

/// The body of a delivery: `{id, type, organizationId, occurredAt, data}`. `id` is the
/// event's UUID (also in `Colead-Event-Id`); `organizationId` and the ids inside `data`
/// are global ids, as the API returns them.
pub fn body(
    event_id: Uuid,
    event_type: &str,
    organization: Uuid,
    occurred_at: DateTime<Utc>,
    payload: &str,
) -> String {
    let mut data: Value = serde_json::from_str(payload).unwrap_or(Value::Null);
    if let Value::Object(fields) = &mut data {
        for (key, kind) in ID_KEYS {
            if let Some(Value::String(raw)) = fields.get(key)
                && let Ok(uuid) = Uuid::parse_str(raw)
            {
                fields.insert(key.to_owned(), Value::String(ids::encode(kind, uuid).0));
            }
        }
    }
    json!({
        "id": event_id,
        "type": event_type,
        "organizationId": ids::encode(Kind::Organization, organization).0,
        "occurredAt": occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": data,
    })
    .to_string()
}

/// `Colead-Signature`: `t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the secret>`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        // HMAC takes keys of any length; this arm cannot run.
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// Resolves names like the system does, then refuses internal addresses.
struct GuardedResolver {
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs = address::resolve_public(&host, 0, allow_private).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The client the worker delivers with.
pub fn client(settings: &WebhookSettings) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(GuardedResolver {
            allow_private: settings.allow_private,
        }))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(settings.request_timeout)
        .connect_timeout(settings.request_timeout)
        .user_agent(concat!("colead-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// How one POST went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The receiver answered with this status.
    Status(u16),
    /// No answer: refused address, connection error, timeout.
    Failed(String),
}

/// POSTs `body` signed with `secret` to `url`. An IP-literal host is checked here, since
/// no name resolution happens for it.
pub async fn post(
    client: &reqwest::Client,
    settings: &WebhookSettings,
    url: &str,
    secret: &str,
    event_id: Uuid,
    body: String,
) -> Answer {
    let parsed = match url::Url::parse(url) {
        Ok(u) => u,
        Err(e) => return Answer::Failed(format!("invalid URL: {e}")),
    };
    let literal = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        _ => None,
    };
    if let Some(ip) = literal
        && !settings.allow_private
        && !address::is_public(ip)
    {
        return Answer::Failed(format!("{ip} is an internal address"));
    }
    let sig = signature(secret, Utc::now().timestamp(), &body);
    let sent = client
        .post(parsed)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("Colead-Signature", sig)
        .header("Colead-Event-Id", event_id.to_string())
        .body(body)
        .send()
        .await;
    match sent {
        Ok(res) => Answer::Status(res.status().as_u16()),
        Err(e) => Answer::Failed(crate::error::chain(&e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_an_hmac_of_the_timestamp_and_body() {
        // Known answer: HMAC-SHA256("key", "1.{}").
        let sig = signature("key", 1, "{}");
        let mut mac = Hmac::<Sha256>::new_from_slice(b"key").unwrap();
        mac.update(b"1.{}");
        let expected = hex::encode(mac.finalize().into_bytes());
        assert_eq!(sig, format!("t=1,v1={expected}"));
    }

    #[test]
    fn ids_in_the_body_are_global_ids() {
        let leader = Uuid::now_v7();
        let org = Uuid::now_v7();
        let payload = json!({ "leaderId": leader, "externalId": "E1" }).to_string();
        let b: Value = serde_json::from_str(&body(
            Uuid::nil(),
            "leader.created",
            org,
            Utc::now(),
            &payload,
        ))
        .unwrap();
        assert_eq!(b["data"]["leaderId"], ids::encode(Kind::Leader, leader).0);
        assert_eq!(b["data"]["externalId"], "E1");
        assert_eq!(b["organizationId"], ids::encode(Kind::Organization, org).0);
        assert_eq!(b["type"], "leader.created");
    }
}
