//! Webhooks: endpoints managed by admins with validation, the SSRF guard, and delivery
//! by the worker to a receiver on loopback: signed, retried, in order, redelivered, and
//! never twice at once across two instances (PostgreSQL).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{TestApp, another_instance_with, postgres_url, spawn_app, spawn_app_with};
use crate::webhook_receiver::Receiver;

const CREATE: &str = "mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { webhookEndpoint { id url events description active } secret userErrors { field message code } } }";
const UPDATE: &str = "mutation($i: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $i) { webhookEndpoint { id url events description active } userErrors { field message code } } }";
const DELETE: &str = "mutation($i: DeleteWebhookEndpointInput!) { deleteWebhookEndpoint(input: $i) { deletedWebhookEndpointId userErrors { field code } } }";
const REDELIVER: &str = "mutation($i: RedeliverWebhookInput!) { redeliverWebhook(input: $i) { delivery { id status } userErrors { field code } } }";
const DELIVERIES: &str = "{ webhookEndpoints { nodes { id deliveries { totalCount nodes { id status attempts lastResponseCode lastError nextAttemptAt eventType eventId createdAt deliveredAt } } } } }";

/// A server whose worker polls fast, retries fast and may deliver to loopback.
pub(crate) async fn fast_app() -> TestApp {
    spawn_app_with(fast).await
}

pub(crate) fn fast(c: &mut colead::config::Config) {
    c.webhooks.allow_private = true;
    c.webhooks.poll_interval = Duration::from_millis(50);
    c.webhooks.retry_base = Duration::from_millis(50);
}

/// Creates an endpoint; returns its id and secret.
pub(crate) async fn endpoint(
    app: &TestApp,
    token: &str,
    url: &str,
    events: &[&str],
) -> (String, String) {
    let p = app
        .mutate(
            token,
            CREATE,
            json!({ "i": { "url": url, "events": events } }),
            "createWebhookEndpoint",
        )
        .await;
    (
        p["webhookEndpoint"]["id"].as_str().unwrap().to_owned(),
        p["secret"].as_str().unwrap().to_owned(),
    )
}

/// The deliveries of the first endpoint, newest first.
async fn deliveries(app: &TestApp, token: &str) -> Vec<Value> {
    let data = app.ok(Some(token), DELIVERIES, json!({})).await;
    data["webhookEndpoints"]["nodes"][0]["deliveries"]["nodes"]
        .as_array()
        .unwrap()
        .clone()
}

/// Waits until the first endpoint's deliveries satisfy `done` (20 s at most).
async fn deliveries_until(
    app: &TestApp,
    token: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let start = Instant::now();
    loop {
        let d = deliveries(app, token).await;
        if done(&d) || start.elapsed() > Duration::from_secs(20) {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn admins_create_list_update_and_delete_webhook_endpoints_with_validation() {
    let app = spawn_app_with(|c| c.webhooks.allow_private = true).await;
    let s = app.sign_up("Acme", "ada@acme.test").await;

    let refused = app
        .ok(
            Some(&s.token),
            CREATE,
            json!({ "i": { "url": "ftp://hooks.acme.test/x", "events": ["leader.created", "leader.exploded"], "description": "x".repeat(501) } }),
        )
        .await;
    let p = &refused["createWebhookEndpoint"];
    assert_eq!(p["webhookEndpoint"], Value::Null);
    assert_eq!(p["secret"], Value::Null);
    let errors: Vec<(Value, Value)> = p["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].clone(), e["code"].clone()))
        .collect();
    assert_eq!(
        errors,
        vec![
            (json!(["input", "url"]), json!("INVALID_FORMAT")),
            (json!(["input", "events", "1"]), json!("INVALID_FORMAT")),
            (json!(["input", "description"]), json!("TOO_LONG")),
        ]
    );
    let empty = app
        .ok(
            Some(&s.token),
            CREATE,
            json!({ "i": { "url": "https://hooks.acme.test/x", "events": [] } }),
        )
        .await;
    assert_eq!(
        empty["createWebhookEndpoint"]["userErrors"][0]["field"],
        json!(["input", "events"])
    );

    let p = app
        .mutate(
            &s.token,
            CREATE,
            json!({ "i": { "url": "http://127.0.0.1:9/hook", "events": ["plan.created", "leader.created", "plan.created"], "description": "HRIS" } }),
            "createWebhookEndpoint",
        )
        .await;
    let id = p["webhookEndpoint"]["id"].as_str().unwrap().to_owned();
    assert!(p["secret"].as_str().unwrap().starts_with("whsec_"));
    assert_eq!(
        p["webhookEndpoint"]["events"],
        json!(["plan.created", "leader.created"])
    );
    assert_eq!(p["webhookEndpoint"]["active"], true);

    // The secret is shown once: no field of the endpoint carries it.
    let (status, _) = app
        .gql(
            Some(&s.token),
            "{ webhookEndpoints { nodes { secret } } }",
            json!({}),
        )
        .await;
    assert_eq!(status, 400);
    let list = app
        .ok(
            Some(&s.token),
            "{ webhookEndpoints { totalCount nodes { id url description } } }",
            json!({}),
        )
        .await;
    assert_eq!(list["webhookEndpoints"]["totalCount"], 1);
    assert_eq!(list["webhookEndpoints"]["nodes"][0]["id"], id.as_str());
    let node = app
        .ok(
            Some(&s.token),
            "query($id: ID!) { node(id: $id) { ... on WebhookEndpoint { url } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(node["node"]["url"], "http://127.0.0.1:9/hook");

    let bad = app
        .ok(Some(&s.token), UPDATE, json!({ "i": { "webhookEndpointId": id, "events": ["nope"], "url": "javascript:alert(1)" } }))
        .await;
    let errors = &bad["updateWebhookEndpoint"]["userErrors"];
    assert_eq!(errors[0]["field"], json!(["input", "url"]));
    assert_eq!(errors[1]["field"], json!(["input", "events", "0"]));
    let p = app
        .mutate(
            &s.token,
            UPDATE,
            json!({ "i": { "webhookEndpointId": id, "events": ["goal.achieved"], "description": "", "active": false } }),
            "updateWebhookEndpoint",
        )
        .await;
    assert_eq!(p["webhookEndpoint"]["events"], json!(["goal.achieved"]));
    assert_eq!(p["webhookEndpoint"]["description"], Value::Null);
    assert_eq!(p["webhookEndpoint"]["active"], false);
    assert_eq!(p["webhookEndpoint"]["url"], "http://127.0.0.1:9/hook");

    let p = app
        .mutate(
            &s.token,
            DELETE,
            json!({ "i": { "webhookEndpointId": id } }),
            "deleteWebhookEndpoint",
        )
        .await;
    assert_eq!(p["deletedWebhookEndpointId"], id.as_str());
    let (_, body) = app
        .gql(
            Some(&s.token),
            DELETE,
            json!({ "i": { "webhookEndpointId": id } }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
    let list = app
        .ok(
            Some(&s.token),
            "{ webhookEndpoints { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(list["webhookEndpoints"]["totalCount"], 0);
}

#[tokio::test]
async fn only_admins_may_manage_webhooks() {
    let app = spawn_app_with(|c| c.webhooks.allow_private = true).await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    let (id, _) = endpoint(
        &app,
        &s.token,
        "http://127.0.0.1:9/hook",
        &["leader.created"],
    )
    .await;
    for role in ["HR", "MEMBER"] {
        let (token, _) = app
            .add_member(
                &s.token,
                &format!("{}@acme.test", role.to_lowercase()),
                role,
            )
            .await;
        let (_, body) = app
            .gql(
                Some(&token),
                CREATE,
                json!({ "i": { "url": "http://127.0.0.1:9/x", "events": ["leader.created"] } }),
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{role}"
        );
        let (_, body) = app
            .gql(
                Some(&token),
                "{ webhookEndpoints { totalCount } }",
                json!({}),
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{role}"
        );
        let (_, body) = app
            .gql(
                Some(&token),
                DELETE,
                json!({ "i": { "webhookEndpointId": id } }),
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{role}"
        );
        let node = app
            .ok(
                Some(&token),
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(node["node"], Value::Null, "{role}");
    }
}

#[tokio::test]
async fn loopback_and_private_urls_are_refused_by_default() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    for url in [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.0.0.8/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://100.64.0.1/hook",
    ] {
        let data = app
            .ok(
                Some(&s.token),
                CREATE,
                json!({ "i": { "url": url, "events": ["leader.created"] } }),
            )
            .await;
        let p = &data["createWebhookEndpoint"];
        assert_eq!(p["webhookEndpoint"], Value::Null, "{url}");
        assert_eq!(
            p["userErrors"][0]["field"],
            json!(["input", "url"]),
            "{url}"
        );
        assert_eq!(p["userErrors"][0]["code"], "INVALID", "{url}");
    }
}

#[tokio::test]
async fn delivery_time_checks_refuse_an_endpoint_that_now_points_inside() {
    // Saved where private addresses were allowed; delivered by an instance where they
    // are not (as when a name starts resolving to an internal address).
    let app = spawn_app_with(|c| {
        fast(c);
        c.webhooks.worker = false;
    })
    .await;
    let strict = another_instance_with(&app, |c| {
        c.webhooks.allow_private = false;
        c.webhooks.worker = true;
    })
    .await;
    let receiver = Receiver::start(&[], Duration::ZERO).await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    endpoint(&app, &s.token, &receiver.url, &["leader.created"]).await;
    app.leader(&s.token, json!({ "name": "Grace" })).await;
    let d = deliveries_until(&strict, &s.token, |d| {
        d.first().is_some_and(|d| d["attempts"].as_i64() >= Some(1))
    })
    .await;
    assert_eq!(d[0]["status"], "PENDING", "{d:?}");
    assert_eq!(d[0]["lastResponseCode"], Value::Null);
    assert!(
        d[0]["lastError"]
            .as_str()
            .unwrap()
            .contains("internal address"),
        "{d:?}"
    );
    assert!(d[0]["nextAttemptAt"].is_string());
    assert!(receiver.received().is_empty());
}

#[tokio::test]
async fn events_are_delivered_signed_to_subscribed_endpoints() {
    let app = fast_app().await;
    let receiver = Receiver::start(&[], Duration::ZERO).await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    let (_, secret) = endpoint(
        &app,
        &s.token,
        &format!("{}/hooks", receiver.url),
        &["leader.created"],
    )
    .await;
    let grace = app
        .leader(&s.token, json!({ "name": "Grace", "externalId": "E-1" }))
        .await;
    // Not subscribed: an update is recorded but not delivered here.
    app.mutate(
        &s.token,
        "mutation($i: UpdateLeaderInput!) { updateLeader(input: $i) { userErrors { code } } }",
        json!({ "i": { "leaderId": grace, "title": "CTO" } }),
        "updateLeader",
    )
    .await;
    let alan = app.leader(&s.token, json!({ "name": "Alan" })).await;

    let got = receiver.wait_for(2).await;
    assert_eq!(got.len(), 2);
    for (r, leader) in got.iter().zip([&grace, &alan]) {
        assert_eq!(r.path, "/hooks");
        assert_eq!(r.headers["content-type"], "application/json");
        assert!(r.signed_with(&secret), "bad signature: {:?}", r.headers);
        assert!(!r.signed_with("whsec_another"));
        let body = r.json();
        assert_eq!(body["type"], "leader.created");
        assert_eq!(body["id"], r.event_id().as_str());
        assert_eq!(body["organizationId"], s.org_id.as_str());
        assert_eq!(body["data"]["leaderId"], leader.as_str());
        assert!(body["occurredAt"].is_string());
    }
    assert_eq!(got[0].json()["data"]["externalId"], "E-1");

    let d = deliveries_until(&app, &s.token, |d| {
        d.iter().all(|d| d["status"] == "SUCCEEDED")
    })
    .await;
    assert_eq!(d.len(), 2);
    // Newest first.
    assert_eq!(d[0]["eventId"], got[1].event_id().as_str());
    for d in &d {
        assert_eq!(d["status"], "SUCCEEDED");
        assert_eq!(d["attempts"], 1);
        assert_eq!(d["lastResponseCode"], 200);
        assert_eq!(d["eventType"], "leader.created");
        assert_eq!(d["nextAttemptAt"], Value::Null);
        assert!(d["deliveredAt"].is_string());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(receiver.received().len(), 2, "delivered more than once");
}

#[tokio::test]
async fn a_delivery_answered_500_is_retried_until_it_succeeds() {
    let app = fast_app().await;
    let receiver = Receiver::start(&[500], Duration::ZERO).await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    endpoint(&app, &s.token, &receiver.url, &["leader.created"]).await;
    app.leader(&s.token, json!({ "name": "Grace" })).await;
    let got = receiver.wait_for(2).await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].event_id(), got[1].event_id());
    let d = deliveries_until(&app, &s.token, |d| {
        d.first().is_some_and(|d| d["status"] == "SUCCEEDED")
    })
    .await;
    assert_eq!(d[0]["status"], "SUCCEEDED");
    assert_eq!(d[0]["attempts"], 2);
    assert_eq!(d[0]["lastResponseCode"], 200);

    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("colead_webhook_attempts_total{outcome=\"retrying\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("colead_webhook_attempts_total{outcome=\"succeeded\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_delivery_is_given_up_when_its_retry_window_is_spent() {
    let app = spawn_app_with(|c| {
        fast(c);
        c.webhooks.give_up_after = Duration::from_secs(1);
    })
    .await;
    let receiver = Receiver::start(&[503; 1000], Duration::ZERO).await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    endpoint(&app, &s.token, &receiver.url, &["leader.created"]).await;
    app.leader(&s.token, json!({ "name": "Grace" })).await;
    let d = deliveries_until(&app, &s.token, |d| {
        d.first().is_some_and(|d| d["status"] == "FAILED")
    })
    .await;
    assert_eq!(d[0]["status"], "FAILED");
    assert_eq!(d[0]["lastResponseCode"], 503);
    assert_eq!(d[0]["nextAttemptAt"], Value::Null);
    let attempts = d[0]["attempts"].as_i64().unwrap();
    assert!(attempts >= 2, "{attempts}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        receiver.received().len() as i64,
        attempts,
        "retried after giving up"
    );
}

#[tokio::test]
async fn an_endpoint_gets_its_events_in_order_even_when_one_must_be_retried() {
    let app = fast_app().await;
    let receiver = Receiver::start(&[500, 500], Duration::ZERO).await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    endpoint(&app, &s.token, &receiver.url, &["leader.created"]).await;
    let names: Vec<Value> = (0..6)
        .map(|i| json!({ "name": format!("Leader {i}") }))
        .collect();
    let leaders = app.leaders(&s.token, &names).await;
    let got = receiver.wait_for(8).await;
    let seen: Vec<String> = got
        .iter()
        .map(|r| r.json()["data"]["leaderId"].as_str().unwrap().to_owned())
        .collect();
    let mut expected = vec![leaders[0].clone(), leaders[0].clone()];
    expected.extend(leaders.iter().cloned());
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn redeliver_webhook_sends_a_delivery_again() {
    let app = fast_app().await;
    let receiver = Receiver::start(&[], Duration::ZERO).await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    let (endpoint_id, _) = endpoint(&app, &s.token, &receiver.url, &["leader.created"]).await;
    app.leader(&s.token, json!({ "name": "Grace" })).await;
    let d = deliveries_until(&app, &s.token, |d| {
        d.first().is_some_and(|d| d["status"] == "SUCCEEDED")
    })
    .await;
    let delivery = d[0]["id"].as_str().unwrap().to_owned();

    let p = app
        .mutate(
            &s.token,
            REDELIVER,
            json!({ "i": { "deliveryId": delivery } }),
            "redeliverWebhook",
        )
        .await;
    assert_eq!(p["delivery"]["id"], delivery.as_str());
    assert_eq!(p["delivery"]["status"], "PENDING");
    let got = receiver.wait_for(2).await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].event_id(), got[1].event_id());
    let d = deliveries_until(&app, &s.token, |d| {
        d[0]["attempts"] == 2 && d[0]["status"] == "SUCCEEDED"
    })
    .await;
    assert_eq!(
        (d[0]["attempts"].clone(), d[0]["status"].clone()),
        (json!(2), json!("SUCCEEDED"))
    );

    // An inactive endpoint's delivery is not queued again.
    app.mutate(
        &s.token,
        UPDATE,
        json!({ "i": { "webhookEndpointId": endpoint_id, "active": false } }),
        "updateWebhookEndpoint",
    )
    .await;
    let data = app
        .ok(
            Some(&s.token),
            REDELIVER,
            json!({ "i": { "deliveryId": delivery } }),
        )
        .await;
    assert_eq!(
        data["redeliverWebhook"]["userErrors"][0]["code"],
        "INVALID_STATE"
    );
}

#[tokio::test]
async fn two_instances_never_deliver_the_same_event_at_once() {
    if postgres_url().is_none() {
        return; // several processes on one SQLite file is not a supported deployment
    }
    let app = fast_app().await;
    let other = another_instance_with(&app, |_| {}).await;
    let receiver = Receiver::start(&[], Duration::from_millis(15)).await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    for path in ["a", "b", "c"] {
        endpoint(
            &app,
            &s.token,
            &format!("{}/{path}", receiver.url),
            &["leader.created"],
        )
        .await;
    }
    let names: Vec<Value> = (0..40)
        .map(|i| json!({ "name": format!("Leader {i}") }))
        .collect();
    let leaders = app.leaders(&s.token, &names).await;
    let got = receiver.wait_for(120).await;
    assert_eq!(got.len(), 120);
    assert_eq!(
        receiver.overlaps(),
        0,
        "a delivery was in flight twice at once"
    );
    for path in ["/a", "/b", "/c"] {
        let seen: Vec<String> = got
            .iter()
            .filter(|r| r.path == path)
            .map(|r| r.json()["data"]["leaderId"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(seen, leaders, "{path}: every event once, in order");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        receiver.received().len(),
        120,
        "an event was delivered twice"
    );
    let mut total = 0;
    for instance in [&app, &other] {
        let text = instance
            .client
            .get(instance.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let line = text
            .lines()
            .find(|l| l.starts_with("colead_webhook_attempts_total{outcome=\"succeeded\"}"))
            .unwrap();
        total += line.rsplit(' ').next().unwrap().parse::<u64>().unwrap();
    }
    assert_eq!(total, 120);
}

#[tokio::test]
async fn events_wait_for_a_worker_and_a_new_instance_does_not_send_them_again() {
    let app = spawn_app_with(|c| {
        fast(c);
        c.webhooks.worker = false;
    })
    .await;
    let receiver = Receiver::start(&[], Duration::ZERO).await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    endpoint(&app, &s.token, &receiver.url, &["leader.created"]).await;
    let names: Vec<Value> = (0..3)
        .map(|i| json!({ "name": format!("Leader {i}") }))
        .collect();
    app.leaders(&s.token, &names).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        deliveries(&app, &s.token).await.is_empty(),
        "no worker ran yet"
    );

    let _first = another_instance_with(&app, |c| c.webhooks.worker = true).await;
    assert_eq!(receiver.wait_for(3).await.len(), 3);
    deliveries_until(&app, &s.token, |d| {
        d.len() == 3 && d.iter().all(|d| d["status"] == "SUCCEEDED")
    })
    .await;

    // Another worker starts from the stored cursor: only the new event goes out.
    let _second = another_instance_with(&app, |c| c.webhooks.worker = true).await;
    app.leader(&s.token, json!({ "name": "Late" })).await;
    let got = receiver.wait_for(4).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let ids: Vec<String> = receiver.received().iter().map(|r| r.event_id()).collect();
    assert_eq!(ids.len(), 4, "{got:?}");
    let distinct: std::collections::HashSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), 4, "an event went out twice: {ids:?}");
}

#[tokio::test]
async fn a_slow_endpoint_does_not_hold_up_another() {
    let app = fast_app().await;
    let slow = Receiver::start(&[], Duration::from_millis(1500)).await;
    let fast_one = Receiver::start(&[], Duration::ZERO).await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    endpoint(&app, &s.token, &slow.url, &["leader.created"]).await;
    endpoint(&app, &s.token, &fast_one.url, &["leader.created"]).await;
    let names: Vec<Value> = (0..3)
        .map(|i| json!({ "name": format!("Leader {i}") }))
        .collect();
    app.leaders(&s.token, &names).await;
    assert_eq!(fast_one.wait_for(3).await.len(), 3);
    // The slow endpoint is still on its first event (in order, one at a time).
    assert_eq!(slow.received().len(), 1);
}
