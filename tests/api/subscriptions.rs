//! GraphQL subscriptions over graphql-transport-ws at `/graphql/ws`: the token in
//! `connection_init`, the same permissions as over HTTP, events after the mutations that
//! raise them, never a rater's identity, and (PostgreSQL) events raised on another
//! instance.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::cycles::{Org, build};
use crate::helpers::{TestApp, another_instance_with, postgres_url, spawn_app};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

const SUBMIT: &str = "mutation($i: ReviewAnswersInput!) { submitReview(input: $i) { review { status } userErrors { field code message } } }";
const REVIEW_SUBMITTED: &str = "subscription($c: ID!) { reviewSubmitted(cycleId: $c) { cycle { id status } assessment { id subject { name } } assessmentReviews { invited submitted declined pending } cycleReviews { invited submitted declined pending } occurredAt } }";
const CYCLE_STATUS: &str = "subscription($c: ID) { cycleStatusChanged(cycleId: $c) { cycle { id status } status occurredAt } }";
const PLAN_ACTIVITY: &str =
    "subscription($p: ID!) { planActivity(planId: $p) { kind body author { name } } }";

async fn connect(app: &TestApp) -> Ws {
    let url = format!("{}/graphql/ws", app.address.replace("http://", "ws://"));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (ws, res) = tokio_tungstenite::connect_async(req).await.unwrap();
    assert_eq!(
        res.headers()["sec-websocket-protocol"],
        "graphql-transport-ws"
    );
    ws
}

async fn send(ws: &mut Ws, message: Value) {
    ws.send(Message::Text(message.to_string().into()))
        .await
        .unwrap();
}

/// The next protocol message, within 10 seconds.
async fn next(ws: &mut Ws) -> Value {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a message in time")
            .expect("the socket is open")
            .expect("a frame");
        match m {
            Message::Text(t) => return serde_json::from_str(&t).unwrap(),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

/// The code the server closed the socket with.
async fn close_code(ws: &mut Ws) -> u16 {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("closed in time")
        {
            Some(Ok(Message::Close(Some(frame)))) => return frame.code.into(),
            Some(Ok(Message::Text(t))) => panic!("unexpected message {t}"),
            Some(Ok(_)) => continue,
            other => panic!("closed without a code: {other:?}"),
        }
    }
}

/// A connection acknowledged for `token`.
async fn open(app: &TestApp, token: &str) -> Ws {
    let mut ws = connect(app).await;
    send(
        &mut ws,
        json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } }),
    )
    .await;
    assert_eq!(next(&mut ws).await, json!({ "type": "connection_ack" }));
    ws
}

/// Subscribes and waits until the server listens, so no event raised after it is missed.
async fn subscribe(app: &TestApp, ws: &mut Ws, id: &str, query: &str, variables: Value) {
    let before = app.state.events.subscribers();
    send(
        ws,
        json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } }),
    )
    .await;
    for _ in 0..200 {
        if app.state.events.subscribers() > before {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the subscription {id} did not start");
}

/// The error code of a subscription that was refused, after which it completes.
async fn refused(ws: &mut Ws, id: &str) -> String {
    let m = next(ws).await;
    assert_eq!(
        (m["type"].as_str(), m["id"].as_str()),
        (Some("next"), Some(id)),
        "{m}"
    );
    assert_eq!(m["payload"]["data"], Value::Null, "{m}");
    let code = m["payload"]["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(next(ws).await, json!({ "type": "complete", "id": id }));
    code
}

async fn open_cycle_with_raters(app: &TestApp) -> Org {
    let org = build(app).await;
    app.mutate(&org.admin, "mutation($c: ID!) { autoAssignRaters(input: { cycleId: $c }) { reviews { id } userErrors { code } } }", json!({ "c": org.cycle }), "autoAssignRaters").await;
    app.mutate(&org.admin, "mutation($c: ID!) { openCycle(input: { cycleId: $c }) { cycle { status } userErrors { code } } }", json!({ "c": org.cycle }), "openCycle").await;
    org
}

/// Submits the rater's only review with a score for every indicator; returns its id.
async fn submit_review(app: &TestApp, rater: &str) -> String {
    let data = app.ok(Some(rater), "{ myReviews { nodes { id assessment { cycle { framework { behaviors { indicators { id } } } } } } } }", json!({})).await;
    let r = &data["myReviews"]["nodes"][0];
    let ratings: Vec<Value> = r["assessment"]["cycle"]["framework"]["behaviors"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| b["indicators"].as_array().unwrap().iter())
        .map(|i| json!({ "indicatorId": i["id"], "score": 4 }))
        .collect();
    let id = r["id"].as_str().unwrap().to_owned();
    app.mutate(
        rater,
        SUBMIT,
        json!({ "i": { "reviewId": id, "ratings": ratings, "comments": [{ "body": "kind words" }] } }),
        "submitReview",
    )
    .await;
    id
}

#[tokio::test]
async fn a_connection_needs_a_valid_token_in_connection_init() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    // Subscriptions are not served over HTTP.
    let (status, body) = app
        .gql(
            Some(&s.token),
            "subscription { cycleStatusChanged { status } }",
            json!({}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.get("data").is_none(), "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("/graphql/ws")
    );

    let mut ws = open(&app, &s.token).await;
    // Queries and mutations belong to POST /graphql.
    send(
        &mut ws,
        json!({ "id": "q", "type": "subscribe", "payload": { "query": "{ __typename }" } }),
    )
    .await;
    assert_eq!(refused(&mut ws, "q").await, "BAD_USER_INPUT");
    // Twenty subscriptions at once per connection; a stopped one makes room.
    for i in 0..20 {
        subscribe(&app, &mut ws, &format!("s{i}"), CYCLE_STATUS, json!({})).await;
    }
    let over = json!({ "id": "s20", "type": "subscribe", "payload": { "query": CYCLE_STATUS } });
    send(&mut ws, over.clone()).await;
    assert_eq!(refused(&mut ws, "s20").await, "RATE_LIMITED");
    send(&mut ws, json!({ "id": "s0", "type": "complete" })).await;
    assert_eq!(
        next(&mut ws).await,
        json!({ "type": "complete", "id": "s0" })
    );
    subscribe(&app, &mut ws, "s20", CYCLE_STATUS, json!({})).await;
    // `token` is accepted as well as `authorization`.
    let mut ws = connect(&app).await;
    send(
        &mut ws,
        json!({ "type": "connection_init", "payload": { "token": s.token } }),
    )
    .await;
    assert_eq!(next(&mut ws).await, json!({ "type": "connection_ack" }));

    let forged = format!("{}x", s.token);
    for payload in [
        json!({ "authorization": format!("Bearer {forged}") }),
        json!({}),
        Value::Null,
    ] {
        let mut ws = connect(&app).await;
        send(
            &mut ws,
            json!({ "type": "connection_init", "payload": payload }),
        )
        .await;
        assert_eq!(close_code(&mut ws).await, 4403, "{payload}");
    }
    // Subscribing before connection_init is unauthorized.
    let mut ws = connect(&app).await;
    send(&mut ws, json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { cycleStatusChanged { status } }" } })).await;
    assert_eq!(close_code(&mut ws).await, 4401);
    // A client that never sends connection_init is closed after the timeout.
    let mut ws = connect(&app).await;
    assert_eq!(close_code(&mut ws).await, 4408);
}

#[tokio::test]
async fn hr_sees_review_progress_without_who_submitted() {
    let app = spawn_app().await;
    let org = open_cycle_with_raters(&app).await;
    let (hr, _) = app.add_member(&org.admin, "hr@acme.test", "HR").await;
    let mut ws = open(&app, &hr).await;
    subscribe(
        &app,
        &mut ws,
        "r",
        REVIEW_SUBMITTED,
        json!({ "c": org.cycle }),
    )
    .await;

    let review = submit_review(&app, &org.tokens["P1"]).await;
    let m = next(&mut ws).await;
    assert_eq!(
        (m["type"].as_str(), m["id"].as_str()),
        (Some("next"), Some("r")),
        "{m}"
    );
    let e = &m["payload"]["data"]["reviewSubmitted"];
    assert_eq!(e["cycle"], json!({ "id": org.cycle, "status": "OPEN" }));
    assert_eq!(
        e["assessment"],
        json!({ "id": org.assessment, "subject": { "name": "Subject" } })
    );
    // Self, the manager, two direct reports and three peers were asked.
    let counts = json!({ "invited": 7, "submitted": 1, "declined": 0, "pending": 6 });
    assert_eq!(e["assessmentReviews"], counts);
    assert_eq!(e["cycleReviews"], counts);
    assert!(e["occurredAt"].is_string());
    // Nothing names the rater, the review or the relationship.
    let text = m.to_string();
    for leaked in [
        org.ids["P1"].as_str(),
        review.as_str(),
        "\"P1\"",
        "p1@acme.test",
        "PEER",
        "relationship",
    ] {
        assert!(!text.contains(leaked), "{leaked} leaked in {text}");
    }

    submit_review(&app, &org.tokens["D1"]).await;
    let m = next(&mut ws).await;
    let e = &m["payload"]["data"]["reviewSubmitted"];
    assert_eq!(e["assessmentReviews"]["submitted"], 2);
    assert_eq!(e["cycleReviews"]["pending"], 5);
}

#[tokio::test]
async fn a_subscriber_demoted_to_member_gets_no_more_progress() {
    let app = spawn_app().await;
    let org = open_cycle_with_raters(&app).await;
    let (hr, membership) = app.add_member(&org.admin, "hr@acme.test", "HR").await;
    let mut ws = open(&app, &hr).await;
    subscribe(
        &app,
        &mut ws,
        "r",
        REVIEW_SUBMITTED,
        json!({ "c": org.cycle }),
    )
    .await;
    app.mutate(&org.admin, "mutation($m: ID!) { updateMembership(input: { membershipId: $m, role: MEMBER }) { membership { role } userErrors { code } } }", json!({ "m": membership }), "updateMembership").await;

    submit_review(&app, &org.tokens["P2"]).await;
    assert_eq!(refused(&mut ws, "r").await, "FORBIDDEN");
}

#[tokio::test]
async fn a_member_rater_or_another_organization_cannot_watch_a_cycle() {
    let app = spawn_app().await;
    let org = open_cycle_with_raters(&app).await;
    let mut ws = open(&app, &org.tokens["P1"]).await;
    send(&mut ws, json!({ "id": "m", "type": "subscribe", "payload": { "query": REVIEW_SUBMITTED, "variables": { "c": org.cycle } } })).await;
    assert_eq!(refused(&mut ws, "m").await, "FORBIDDEN");
    // A member may not watch every cycle either.
    send(
        &mut ws,
        json!({ "id": "all", "type": "subscribe", "payload": { "query": CYCLE_STATUS } }),
    )
    .await;
    assert_eq!(refused(&mut ws, "all").await, "FORBIDDEN");

    let other = app.sign_up("Globex", "hank@globex.test").await;
    let mut ws = open(&app, &other.token).await;
    for (id, query) in [("r", REVIEW_SUBMITTED), ("c", CYCLE_STATUS)] {
        send(&mut ws, json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": { "c": org.cycle } } })).await;
        assert_eq!(refused(&mut ws, id).await, "NOT_FOUND");
    }
    // Its own organization-wide stream stays silent about Acme's events.
    subscribe(&app, &mut ws, "all", CYCLE_STATUS, json!({})).await;
    submit_review(&app, &org.tokens["P1"]).await;
    app.mutate(&org.admin, "mutation($c: ID!) { closeCycle(input: { cycleId: $c }) { cycle { status } userErrors { code } } }", json!({ "c": org.cycle }), "closeCycle").await;
    let quiet = tokio::time::timeout(Duration::from_millis(500), ws.next()).await;
    assert!(quiet.is_err(), "another organization heard {quiet:?}");
}

#[tokio::test]
async fn cycle_status_changes_reach_watchers_of_the_cycle_and_of_every_cycle() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let mut ws = open(&app, &org.admin).await;
    subscribe(
        &app,
        &mut ws,
        "one",
        CYCLE_STATUS,
        json!({ "c": org.cycle }),
    )
    .await;
    subscribe(&app, &mut ws, "all", CYCLE_STATUS, json!({})).await;
    let mut member = open(&app, &org.tokens["S"]).await;
    subscribe(
        &app,
        &mut member,
        "one",
        CYCLE_STATUS,
        json!({ "c": org.cycle }),
    )
    .await;

    app.mutate(&org.admin, "mutation($c: ID!) { openCycle(input: { cycleId: $c }) { cycle { status } userErrors { code } } }", json!({ "c": org.cycle }), "openCycle").await;
    let mut seen = Vec::new();
    for _ in 0..2 {
        let m = next(&mut ws).await;
        let e = &m["payload"]["data"]["cycleStatusChanged"];
        assert_eq!(
            e["cycle"],
            json!({ "id": org.cycle, "status": "OPEN" }),
            "{m}"
        );
        assert_eq!(e["status"], "OPEN");
        seen.push(m["id"].as_str().unwrap().to_owned());
    }
    seen.sort();
    assert_eq!(seen, ["all", "one"]);
    let m = next(&mut member).await;
    assert_eq!(m["payload"]["data"]["cycleStatusChanged"]["status"], "OPEN");

    // Cancelling raises no webhook event, and still reaches subscribers.
    app.mutate(&org.admin, "mutation($c: ID!) { cancelCycle(input: { cycleId: $c }) { cycle { status } userErrors { code } } }", json!({ "c": org.cycle }), "cancelCycle").await;
    let m = next(&mut member).await;
    assert_eq!(
        m["payload"]["data"]["cycleStatusChanged"]["status"],
        "CANCELLED"
    );
    // A refused transition announces nothing.
    let data = app
        .ok(
            Some(&org.admin),
            "mutation($c: ID!) { openCycle(input: { cycleId: $c }) { userErrors { code } } }",
            json!({ "c": org.cycle }),
        )
        .await;
    assert_eq!(data["openCycle"]["userErrors"][0]["code"], "INVALID_STATE");
    let m = next(&mut ws).await;
    assert_eq!(
        m["payload"]["data"]["cycleStatusChanged"]["status"],
        "CANCELLED"
    );
    let m = next(&mut ws).await;
    assert_eq!(
        m["payload"]["data"]["cycleStatusChanged"]["status"],
        "CANCELLED"
    );
    let quiet = tokio::time::timeout(Duration::from_millis(500), ws.next()).await;
    assert!(
        quiet.is_err(),
        "a refused transition was announced: {quiet:?}"
    );
}

#[tokio::test]
async fn plan_activity_reaches_those_who_may_see_the_plan() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.tokens["S"];
    let plan = app.mutate(t, "mutation($i: CreateDevelopmentPlanInput!) { createDevelopmentPlan(input: $i) { plan { id } userErrors { field code } } }", json!({ "i": { "leaderId": org.ids["S"], "title": "Grow" } }), "createDevelopmentPlan").await;
    let p = plan["plan"]["id"].as_str().unwrap().to_owned();
    app.mutate(t, "mutation($p: ID!, $l: ID!) { addPlanSupporter(input: { planId: $p, leaderId: $l, role: COACH }) { supporter { id } userErrors { code } } }", json!({ "p": p, "l": org.ids["P2"] }), "addPlanSupporter").await;

    let mut supporter = open(&app, &org.tokens["P2"]).await;
    subscribe(&app, &mut supporter, "p", PLAN_ACTIVITY, json!({ "p": p })).await;
    // A colleague who does not support the plan, and another organization, find nothing.
    let mut stranger = open(&app, &org.tokens["P1"]).await;
    send(&mut stranger, json!({ "id": "p", "type": "subscribe", "payload": { "query": PLAN_ACTIVITY, "variables": { "p": p } } })).await;
    assert_eq!(refused(&mut stranger, "p").await, "NOT_FOUND");
    let other = app.sign_up("Globex", "hank@globex.test").await;
    let mut foreign = open(&app, &other.token).await;
    send(&mut foreign, json!({ "id": "p", "type": "subscribe", "payload": { "query": PLAN_ACTIVITY, "variables": { "p": p } } })).await;
    assert_eq!(refused(&mut foreign, "p").await, "NOT_FOUND");

    app.mutate(t, "mutation($p: ID!, $b: String!) { addCheckIn(input: { planId: $p, body: $b }) { checkIn { id } userErrors { field code } } }", json!({ "p": p, "b": "Started the open hour" }), "addCheckIn").await;
    let m = next(&mut supporter).await;
    assert_eq!(
        m["payload"]["data"]["planActivity"],
        json!({ "kind": "CHECK_IN", "body": "Started the open hour", "author": { "name": "s" } }),
        "{m}"
    );
    // Changes to the plan are activity too.
    app.mutate(t, "mutation($p: ID!) { updateDevelopmentPlan(input: { planId: $p, status: ACTIVE }) { plan { status } userErrors { field code } } }", json!({ "p": p }), "updateDevelopmentPlan").await;
    let m = next(&mut supporter).await;
    assert_eq!(m["payload"]["data"]["planActivity"]["kind"], "PLAN_UPDATED");
}

#[tokio::test]
async fn a_review_submitted_through_another_instance_reaches_the_subscriber() {
    if postgres_url().is_none() {
        return; // PostgreSQL only: instances share events through LISTEN/NOTIFY.
    }
    let app = spawn_app().await;
    let org = open_cycle_with_raters(&app).await;
    let other = another_instance_with(&app, |_| {}).await;
    let mut ws = open(&app, &org.admin).await;
    subscribe(
        &app,
        &mut ws,
        "r",
        REVIEW_SUBMITTED,
        json!({ "c": org.cycle }),
    )
    .await;

    submit_review(&other, &org.tokens["P3"]).await;
    let m = next(&mut ws).await;
    let e = &m["payload"]["data"]["reviewSubmitted"];
    assert_eq!(e["assessmentReviews"]["submitted"], 1, "{m}");
    assert_eq!(e["cycle"]["id"], org.cycle);
}

#[tokio::test]
async fn only_committed_events_are_heard_and_a_large_one_arrives_whole() {
    use colead::domain::outbox;
    use colead::graphql::ids::{Kind, decode};
    use sea_orm::TransactionTrait;
    if postgres_url().is_none() {
        return; // PostgreSQL only: NOTIFY's payload limit and transactional delivery.
    }
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    let org = decode(Kind::Organization, &s.org_id).unwrap();
    let mut heard = Box::pin(app.state.events.stream());
    let body = "x".repeat(20_000);
    let event = json!({ "cycleId": uuid::Uuid::now_v7(), "body": body });

    let txn = app.db.begin().await.unwrap();
    outbox::record(&txn, org, "review.submitted", json!({ "rolled": "back" }))
        .await
        .unwrap();
    txn.rollback().await.unwrap();
    let txn = app.db.begin().await.unwrap();
    outbox::record(&txn, org, "review.submitted", event.clone())
        .await
        .unwrap();
    let early = tokio::time::timeout(Duration::from_millis(300), heard.next()).await;
    assert!(early.is_err(), "heard before the commit: {early:?}");
    txn.commit().await.unwrap();

    let e = tokio::time::timeout(Duration::from_secs(10), heard.next())
        .await
        .expect("heard in time")
        .expect("an event");
    assert_eq!(
        (e.organization_id, e.event_type.as_str()),
        (org, "review.submitted")
    );
    assert_eq!(e.data, event);
    let quiet = tokio::time::timeout(Duration::from_millis(300), heard.next()).await;
    assert!(quiet.is_err(), "heard a rolled-back event: {quiet:?}");
}
