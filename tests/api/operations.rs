//! What operators rely on: the audit log, `/metrics`, CORS and the request deadline.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{CREATE_LEADER, spawn_app, spawn_app_with};

const AUDIT: &str = "query($f: AuditEventFilter) { auditEvents(filter: $f, first: 50) { totalCount nodes { id actorKind actorId action targetType targetId requestId occurredAt } } }";

#[tokio::test]
async fn mutations_that_change_data_write_the_audit_log_which_only_admins_read() {
    let app = spawn_app().await;
    let s = app.sign_up("Audited", "audited@example.com").await;
    let res = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&s.token)
        .json(&json!({ "query": CREATE_LEADER, "variables": { "i": { "name": "Grace", "email": "grace@audited.example.com" } } }))
        .send()
        .await
        .unwrap();
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body: Value = res.json().await.unwrap();
    let leader_id = body["data"]["createLeader"]["leader"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // An update names its target through the input.
    let upd = "mutation($i: UpdateLeaderInput!) { updateLeader(input: $i) { leader { id } userErrors { code } } }";
    app.ok(
        Some(&s.token),
        upd,
        json!({ "i": { "leaderId": leader_id, "title": "Engineer" } }),
    )
    .await;
    // Refused with user errors: nothing changed, nothing logged.
    let data = app
        .ok(
            Some(&s.token),
            CREATE_LEADER,
            json!({ "i": { "name": "" } }),
        )
        .await;
    assert_ne!(data["createLeader"]["userErrors"], json!([]));
    // A read is not logged either.
    app.ok(Some(&s.token), "{ leaders { totalCount } }", json!({}))
        .await;

    let data = app.ok(Some(&s.token), AUDIT, json!({})).await;
    let events = data["auditEvents"]["nodes"].as_array().unwrap();
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["updateLeader", "createLeader", "signUp"],
        "{data}"
    );
    // Sign-up carried no token: an anonymous actor, and the new membership as target.
    assert_eq!(events[2]["actorKind"], "ANONYMOUS");
    assert_eq!(events[2]["actorId"], Value::Null);
    assert_eq!(events[2]["targetType"], "Membership");
    let created = &events[1];
    assert_eq!(created["actorKind"], "USER");
    assert_eq!(created["actorId"], s.user_id.as_str());
    assert_eq!(created["targetType"], "Leader");
    assert_eq!(created["targetId"], leader_id.as_str());
    assert_eq!(created["requestId"], request_id.as_str());
    assert_eq!(events[0]["targetId"], leader_id.as_str());
    let text = data.to_string();
    assert!(
        !text.contains("grace@audited"),
        "the log keeps ids, not data: {text}"
    );

    // Filters.
    let data = app
        .ok(
            Some(&s.token),
            AUDIT,
            json!({ "f": { "action": "createLeader" } }),
        )
        .await;
    assert_eq!(data["auditEvents"]["totalCount"], 1);
    let data = app
        .ok(
            Some(&s.token),
            AUDIT,
            json!({ "f": { "since": "2999-01-01T00:00:00Z" } }),
        )
        .await;
    assert_eq!(data["auditEvents"]["totalCount"], 0);
    let data = app
        .ok(
            Some(&s.token),
            AUDIT,
            json!({ "f": { "actorId": s.user_id } }),
        )
        .await;
    assert_eq!(data["auditEvents"]["totalCount"], 2);

    // HR may not read it; another organization's admin sees none of it.
    let (hr, _) = app
        .add_member(&s.token, "hr@audited.example.com", "HR")
        .await;
    let (_, body) = app.gql(Some(&hr), AUDIT, json!({})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );
    let other = app.sign_up("Other", "other-admin@example.com").await;
    let data = app.ok(Some(&other.token), AUDIT, json!({})).await;
    let theirs: Vec<&str> = data["auditEvents"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(theirs, ["signUp"], "only their own sign-up: {data}");
    let event_id = created["id"].as_str().unwrap();
    let data = app
        .ok(
            Some(&other.token),
            "query($id: ID!) { node(id: $id) { id } }",
            json!({ "id": event_id }),
        )
        .await;
    assert_eq!(data["node"], Value::Null);
    let data = app
        .ok(
            Some(&s.token),
            "query($id: ID!) { node(id: $id) { ... on AuditEvent { action } } }",
            json!({ "id": event_id }),
        )
        .await;
    assert_eq!(data["node"]["action"], "createLeader");
}

#[tokio::test]
async fn metrics_count_operations_by_name_and_outcome() {
    let app = spawn_app().await;
    let s = app.sign_up("Metered", "metered@example.com").await;
    for _ in 0..2 {
        app.ok(
            Some(&s.token),
            "query Directory { leaders { totalCount } }",
            json!({}),
        )
        .await;
    }
    app.gql(
        None,
        "query Directory { leaders { totalCount } }",
        json!({}),
    )
    .await;
    app.gql(None, "query Broken { nope }", json!({})).await;
    // A name the document does not define never becomes a label.
    let _ = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": "query Real { __typename }", "operationName": "Invented" }))
        .send()
        .await;
    let res = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = res.text().await.unwrap();
    for line in [
        "colead_graphql_requests_total{operation=\"Directory\",outcome=\"ok\"} 2",
        "colead_graphql_requests_total{operation=\"Directory\",outcome=\"error\"} 1",
        "colead_graphql_requests_total{operation=\"Broken\",outcome=\"rejected\"} 1",
        "colead_graphql_request_duration_seconds_count{operation=\"Directory\"} 3",
        "colead_rate_limited_total 0",
        "colead_db_pool_max_connections",
        "colead_webhook_queue_depth",
        "colead_sql_statements_total",
    ] {
        assert!(text.contains(line), "missing {line} in\n{text}");
    }
    assert!(!text.contains("Invented"), "{text}");
}
#[tokio::test]
async fn metrics_can_require_a_token() {
    let app = spawn_app_with(|c| c.hardening.metrics_token = Some("scrape-me".into())).await;
    let res = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 401);
    let res = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth("scrape-me")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
}

#[tokio::test]
async fn cors_answers_only_the_configured_origins() {
    let app =
        spawn_app_with(|c| c.hardening.cors_origins = vec!["https://app.example.com".into()]).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/graphql"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
    };
    let res = preflight("https://app.example.com").await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let res = preflight("https://evil.example.com").await.unwrap();
    assert!(!res.headers().contains_key("access-control-allow-origin"));
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("origin", "https://app.example.com")
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    assert!(
        res.headers()["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .contains("x-request-id")
    );
}

#[tokio::test]
async fn a_request_past_its_deadline_is_cancelled_with_a_clean_error() {
    let app = spawn_app_with(|c| c.hardening.request_timeout = Duration::from_nanos(1)).await;
    let res = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": "mutation { login(input: { email: \"a@example.com\", password: \"correct horse battery\" }) { userErrors { code } } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 504);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "TIMEOUT", "{body}");
    assert!(body.get("data").is_none());
}

#[tokio::test]
async fn a_query_sent_again_runs_from_its_parsed_document_with_its_own_variables() {
    let app = crate::helpers::spawn_app().await;
    let s = app.sign_up("Docs", "docs@example.com").await;
    let a = app
        .leader(&s.token, serde_json::json!({ "name": "Ann" }))
        .await;
    let b = app
        .leader(&s.token, serde_json::json!({ "name": "Bo" }))
        .await;
    let q = "query One($id: ID!) { node(id: $id) { ... on Leader { name } } } query Two { serverInfo { version } }";
    let before = app.state.documents.len();
    for (id, name) in [(&a, "Ann"), (&b, "Bo"), (&a, "Ann")] {
        let body =
            serde_json::json!({ "query": q, "operationName": "One", "variables": { "id": id } });
        let res: serde_json::Value = app
            .client
            .post(app.url("/graphql"))
            .bearer_auth(&s.token)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(res["data"]["node"]["name"], name, "{res}");
    }
    let two = serde_json::json!({ "query": q, "operationName": "Two" });
    let res: serde_json::Value = app
        .client
        .post(app.url("/graphql"))
        .json(&two)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(res["data"]["serverInfo"]["version"].is_string(), "{res}");
    assert_eq!(app.state.documents.len(), before + 1);
    // A document that does not parse is not kept, and answers its error every time.
    for _ in 0..2 {
        let (status, body) = app
            .gql(Some(&s.token), "{ leaders(first: ", serde_json::json!({}))
            .await;
        assert_eq!(status, 400, "{body}");
    }
    assert_eq!(app.state.documents.len(), before + 1);
}
