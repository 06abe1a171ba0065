//! Query limits refused before any SQL, query cost in every response, the cost budgets
//! with 429 and recovery, login budgets, persisted queries and introspection.

use std::time::Duration;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{PASSWORD, TestApp, spawn_app, spawn_app_with};

const VIEWER: &str = "{ viewer { kind } }";

/// Posts `body` as JSON and answers status, headers and body.
async fn post(
    app: &TestApp,
    token: Option<&str>,
    body: Value,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.json().await.expect("json"))
}

/// Asserts that `query` is refused over `limit` and that no SQL ran for it.
async fn refused_before_sql(app: &TestApp, token: &str, body: Value, limit: &str) -> Value {
    app.ok(Some(token), VIEWER, json!({})).await; // warms the principal cache
    let before = app.statements();
    let (status, _, body) = post(app, Some(token), body).await;
    assert_eq!(app.statements(), before, "SQL ran for a refused operation");
    assert_eq!(status, 400, "{body}");
    assert!(body.get("data").is_none(), "{body}");
    let err = &body["errors"][0];
    assert_eq!(err["extensions"]["code"], "QUERY_TOO_COMPLEX", "{body}");
    assert_eq!(err["extensions"]["limit"], limit, "{body}");
    body
}

#[tokio::test]
async fn a_40_deep_query_is_refused_before_any_sql() {
    let app = spawn_app().await;
    let s = app.sign_up("Deep", "deep@example.com").await;
    let mut q = String::from("{ leaders { nodes { id ");
    for _ in 0..37 {
        q.push_str("manager { id ");
    }
    q.push_str(&"} ".repeat(37 + 3));
    let body = refused_before_sql(&app, &s.token, json!({ "query": q }), "depth").await;
    let err = &body["errors"][0]["extensions"];
    assert_eq!(err["value"], 40);
    assert_eq!(err["maximum"], 12);
}

#[tokio::test]
async fn two_thousand_aliases_are_refused_before_any_sql() {
    let app = spawn_app().await;
    let s = app.sign_up("Alias", "alias@example.com").await;
    let q: String = (0..2000).map(|i| format!("a{i}: __typename ")).collect();
    let body = refused_before_sql(
        &app,
        &s.token,
        json!({ "query": format!("{{ {q} }}") }),
        "aliases",
    )
    .await;
    assert_eq!(body["errors"][0]["extensions"]["value"], 2000);
}

#[tokio::test]
async fn first_5000_nested_three_times_is_refused_before_any_sql_even_through_variables() {
    let app = spawn_app().await;
    let s = app.sign_up("Wide", "wide@example.com").await;
    let q = "query($n: Int) { leaders(first: $n) { nodes { directReports(first: $n) { nodes { directReports(first: $n) { nodes { id } } } } } } }";
    let body = refused_before_sql(
        &app,
        &s.token,
        json!({ "query": q, "variables": { "n": 5000 } }),
        "requestedQueryCost",
    )
    .await;
    // 5000 × (1 + 1 + 5000 × (1 + 1 + 5000 × 1)) + 1
    let expected: u64 = 1 + 5000 * (1 + 1 + 5000 * (1 + 1 + 5000));
    assert_eq!(body["extensions"]["cost"]["requestedQueryCost"], expected);
}

#[tokio::test]
async fn fragments_count_towards_the_limits_and_cycles_do_not_hang() {
    let app = spawn_app().await;
    let s = app.sign_up("Frag", "frag@example.com").await;
    // Each level spreads the next fragment twice: 2^20 selections if expanded blindly.
    let mut q = String::from("{ viewer { ...F0 } } ");
    for i in 0..20 {
        q.push_str(&format!(
            "fragment F{i} on Viewer {{ ...F{n} ...F{n} }} ",
            n = i + 1
        ));
    }
    q.push_str("fragment F20 on Viewer { kind }");
    let (status, _, body) = post(&app, Some(&s.token), json!({ "query": q })).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX");
    let cyclic = "{ viewer { ...A } } fragment A on Viewer { ...B } fragment B on Viewer { ...A }";
    let (status, _, body) = post(&app, Some(&s.token), json!({ "query": cyclic })).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.get("data").is_none());
}

#[tokio::test]
async fn a_100_operation_batch_is_refused_before_any_sql() {
    let app = spawn_app().await;
    let s = app.sign_up("Batch", "batch@example.com").await;
    app.ok(Some(&s.token), VIEWER, json!({})).await;
    let before = app.statements();
    let batch: Vec<Value> = (0..100).map(|_| json!({ "query": VIEWER })).collect();
    let (status, _, body) = post(&app, Some(&s.token), Value::Array(batch)).await;
    assert_eq!(app.statements(), before);
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX");
}

#[tokio::test]
async fn every_response_carries_its_requested_and_actual_cost() {
    let app = spawn_app().await;
    let s = app.sign_up("Cost", "cost@example.com").await;
    let inputs: Vec<Value> = (0..7).map(|i| json!({ "name": format!("L{i}") })).collect();
    app.leaders(&s.token, &inputs).await;
    let q = "{ leaders(first: 5) { nodes { id name manager { id } } pageInfo { hasNextPage } } }";
    let (status, _, body) = post(&app, Some(&s.token), json!({ "query": q })).await;
    assert_eq!(status, 200, "{body}");
    let cost = &body["extensions"]["cost"];
    // leaders 1 + nodes 5 × (1 + manager 1) + pageInfo 1
    assert_eq!(cost["requestedQueryCost"], 12, "{body}");
    // the connection, five leaders without managers, pageInfo
    assert_eq!(cost["actualQueryCost"], 7, "{body}");
    let t = &cost["throttleStatus"];
    assert_eq!(t["maximumAvailable"], 20_000);
    assert_eq!(t["restoreRate"], 1_000);
    // A mutation costs 10 more than its selection, requested and actual alike.
    let (_, _, body) = post(
        &app,
        Some(&s.token),
        json!({ "query": "mutation { createTeam(input: { name: \"T\" }) { team { id } userErrors { code } } }" }),
    )
    .await;
    let cost = &body["extensions"]["cost"];
    // createTeam 1 + team 1 + a list assumed to hold 5, then the fee of 10
    assert_eq!(cost["requestedQueryCost"], 17, "{body}");
    // createTeam, team, no user errors, the fee
    assert_eq!(cost["actualQueryCost"], 12, "{body}");
}

fn small_budget(c: &mut colead::config::Config) {
    let budgets = c.hardening.cost_budgets.as_mut().unwrap();
    budgets.principal.maximum = 30.0;
    budgets.principal.restore_rate = 2.0;
    c.hardening.limits.cost = 30;
}

/// Costs 6 and returns 6 objects: nothing is refunded.
const PAGE: &str = "{ a: viewer { organization { id } } b: viewer { organization { id } } c: viewer { organization { id } } }";

#[tokio::test]
async fn an_empty_budget_answers_429_with_retry_after_and_recovers() {
    let app = spawn_app_with(small_budget).await;
    let s = app.sign_up("Budget", "budget@example.com").await;
    let mut refused = None;
    for _ in 0..30 {
        let (status, headers, body) = post(&app, Some(&s.token), json!({ "query": PAGE })).await;
        if status == 429 {
            refused = Some((headers, body));
            break;
        }
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["extensions"]["cost"]["actualQueryCost"], 6, "{body}");
    }
    let (headers, body) = refused.expect("the budget never ran out");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "RATE_LIMITED",
        "{body}"
    );
    let wait: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=4).contains(&wait), "retry after {wait} s");
    assert_eq!(body["errors"][0]["extensions"]["retryAfter"], wait);
    let t = &body["extensions"]["cost"]["throttleStatus"];
    assert!(t["currentlyAvailable"].as_u64().unwrap() < 6, "{body}");
    tokio::time::sleep(Duration::from_secs(wait)).await;
    let (status, _, body) = post(&app, Some(&s.token), json!({ "query": PAGE })).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn the_organization_budget_is_shared_by_its_principals_and_no_one_elses() {
    let app = spawn_app_with(|c| {
        let budgets = c.hardening.cost_budgets.as_mut().unwrap();
        budgets.organization.maximum = 40.0;
        budgets.organization.restore_rate = 0.1;
        c.hardening.limits.cost = 40;
    })
    .await;
    let a = app.sign_up("Shared", "shared@example.com").await;
    let (hr, _) = app
        .add_member(&a.token, "hr@shared.example.com", "HR")
        .await;
    let other = app.sign_up("Elsewhere", "else@example.com").await;
    let mut spent = false;
    for _ in 0..30 {
        let (status, _, _) = post(&app, Some(&a.token), json!({ "query": PAGE })).await;
        if status == 429 {
            spent = true;
            break;
        }
    }
    assert!(spent, "the organization budget never ran out");
    let (status, _, body) = post(&app, Some(&hr), json!({ "query": PAGE })).await;
    assert_eq!(status, 429, "another principal of the organization: {body}");
    let (status, _, body) = post(&app, Some(&other.token), json!({ "query": PAGE })).await;
    assert_eq!(status, 200, "another organization: {body}");
}

const LOGIN: &str =
    "mutation($i: LoginInput!) { login(input: $i) { token { accessToken } userErrors { code } } }";

#[tokio::test]
async fn password_guessing_is_limited_per_account_and_the_owner_of_another_is_not_hurt() {
    let app = spawn_app_with(|c| {
        c.hardening.login_per_account.maximum = 3.0;
        c.hardening.login_per_account.restore_rate = 3.0 / 900.0;
    })
    .await;
    app.sign_up("Guess", "victim@example.com").await;
    app.sign_up("Bystander", "bystander@example.com").await;
    for _ in 0..3 {
        let (status, _, body) = post(
            &app,
            None,
            json!({ "query": LOGIN, "variables": { "i": { "email": "victim@example.com", "password": "wrong password!" } } }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["data"]["login"]["userErrors"][0]["code"],
            "INVALID_CREDENTIALS"
        );
    }
    let (status, headers, body) = post(
        &app,
        None,
        json!({ "query": LOGIN, "variables": { "i": { "email": "VICTIM@example.com", "password": PASSWORD } } }),
    )
    .await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    let wait: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(wait > 60, "{wait}");
    let (status, _, body) = post(
        &app,
        None,
        json!({ "query": LOGIN, "variables": { "i": { "email": "bystander@example.com", "password": PASSWORD } } }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["data"]["login"]["token"]["accessToken"].is_string());
}

#[tokio::test]
async fn password_guessing_is_limited_per_client_address() {
    let app = spawn_app_with(|c| {
        c.hardening.login_per_ip.maximum = 4.0;
        c.hardening.login_per_ip.restore_rate = 4.0 / 900.0;
    })
    .await;
    let mut last = 0;
    for i in 0..5 {
        let (status, _, _) = post(
            &app,
            None,
            json!({ "query": LOGIN, "variables": { "i": { "email": format!("nobody{i}@example.com"), "password": "guess guess guess" } } }),
        )
        .await;
        last = status;
    }
    assert_eq!(last, 429);
    let res = app
        .client
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "x"),
            ("client_secret", "y"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 429);
    assert!(res.headers().contains_key("retry-after"));
}

fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[tokio::test]
async fn automatic_persisted_queries_round_trip() {
    let app = spawn_app().await;
    let s = app.sign_up("Apq", "apq@example.com").await;
    let q = "query Who { viewer { kind } }";
    let ext = json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256(q) } });
    let (status, _, body) = post(&app, Some(&s.token), json!({ "extensions": ext })).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_FOUND"
    );
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");
    let (status, _, body) = post(
        &app,
        Some(&s.token),
        json!({ "query": q, "extensions": ext }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["viewer"]["kind"], "USER");
    let (status, _, body) = post(&app, Some(&s.token), json!({ "extensions": ext })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["viewer"]["kind"], "USER");
    // Over GET, as CDN-friendly clients send it.
    let res = app
        .client
        .get(app.url("/graphql"))
        .query(&[("extensions", ext.to_string())])
        .bearer_auth(&s.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"]["viewer"]["kind"], "USER");
    // A hash that does not match its query is refused and not remembered.
    let wrong = json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256("{ x }") } });
    let (_, _, body) = post(
        &app,
        Some(&s.token),
        json!({ "query": q, "extensions": wrong }),
    )
    .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
    let (_, _, body) = post(&app, Some(&s.token), json!({ "extensions": wrong })).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_FOUND"
    );
    // Only queries that ran are remembered: an invalid one is not.
    let invalid = "{ nothingHere }";
    let ext = json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256(invalid) } });
    let (status, _, _) = post(
        &app,
        Some(&s.token),
        json!({ "query": invalid, "extensions": ext }),
    )
    .await;
    assert_eq!(status, 400);
    let (_, _, body) = post(&app, Some(&s.token), json!({ "extensions": ext })).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_FOUND"
    );
}

#[tokio::test]
async fn a_named_mutation_over_get_is_refused_not_run() {
    let app = spawn_app().await;
    let s = app.sign_up("Get", "get@example.com").await;
    let res = app
        .client
        .get(app.url("/graphql"))
        .query(&[(
            "query",
            "mutation Sneaky { createTeam(input: { name: \"Via GET\" }) { team { id } } }",
        )])
        .bearer_auth(&s.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 405);
    let data = app
        .ok(Some(&s.token), "{ teams { totalCount } }", json!({}))
        .await;
    assert_eq!(data["teams"]["totalCount"], 0);
}

#[test]
fn ipv6_clients_share_a_bucket_per_64_network() {
    use colead::ratelimit::address_key;
    let a = address_key(Some("2001:db8:1:2:aaaa::1".parse().unwrap()));
    let b = address_key(Some("2001:db8:1:2:bbbb::9".parse().unwrap()));
    let c = address_key(Some("2001:db8:1:3::1".parse().unwrap()));
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(address_key(Some("10.0.0.7".parse().unwrap())), "10.0.0.7");
}

#[tokio::test]
async fn in_allow_list_mode_only_registered_queries_run() {
    let dir = tempfile::tempdir().unwrap();
    let registered = "query Ping { __typename }";
    let manifest = dir.path().join("queries.json");
    std::fs::write(
        &manifest,
        json!({ "format": "apollo-persisted-query-manifest", "version": 1, "operations": [
            { "id": sha256(registered), "name": "Ping", "type": "query", "body": registered }
        ] })
        .to_string(),
    )
    .unwrap();
    let path = manifest.clone();
    let app = spawn_app_with(move |c| {
        c.hardening.persisted_queries = colead::config::PersistedQueries::AllowList(path);
    })
    .await;
    let ext = json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256(registered) } });
    let (status, _, body) = post(&app, None, json!({ "extensions": ext })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["__typename"], "Query", "{body}");
    let (status, _, body) = post(&app, None, json!({ "query": registered })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["__typename"], "Query", "{body}");
    let (status, _, body) = post(&app, None, json!({ "query": "{ viewer { kind roles } }" })).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_ALLOWED"
    );
}

#[tokio::test]
async fn introspection_and_suggestions_are_off_in_production() {
    let app = spawn_app_with(|c| c.hardening.introspection = false).await;
    for q in [
        "{ __schema { types { name } } }",
        "{ __type(name: \"Leader\") { fields { name } } }",
    ] {
        let (status, _, body) = post(&app, None, json!({ "query": q })).await;
        assert_eq!(status, 400, "{body}");
        assert!(body.get("data").is_none(), "{body}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{body}"
        );
    }
    // __typename is not introspection of the schema.
    let (status, _, body) = post(&app, None, json!({ "query": "{ __typename }" })).await;
    assert_eq!(status, 200, "{body}");
    let (_, _, body) = post(&app, None, json!({ "query": "{ viewr { kind } }" })).await;
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(!message.contains("Did you mean"), "{message}");
    let open = spawn_app().await;
    let (_, _, body) = post(
        &open,
        None,
        json!({ "query": "{ __schema { queryType { name } } }" }),
    )
    .await;
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");
}

/// Redis for the shared-budget tests: TEST_REDIS_URL, else the local default.
fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

#[tokio::test]
async fn with_redis_two_instances_share_one_budget() {
    let url = redis_url();
    let app = spawn_app_with(move |c| c.hardening.redis_url = Some(url)).await;
    let s = app.sign_up("Shared budget", "redis@example.com").await;
    // Two more instances with a small budget; the user's key is new to Redis.
    let small = |c: &mut colead::config::Config| {
        small_budget(c);
        c.hardening
            .cost_budgets
            .as_mut()
            .unwrap()
            .principal
            .restore_rate = 0.1;
    };
    let first = crate::helpers::another_instance_with(&app, small).await;
    let second = crate::helpers::another_instance_with(&app, small).await;
    let mut spent = false;
    for _ in 0..30 {
        let (status, _, body) = post(&first, Some(&s.token), json!({ "query": PAGE })).await;
        if status == 429 {
            spent = true;
            break;
        }
        assert_eq!(status, 200, "{body}");
    }
    assert!(spent, "the budget never ran out");
    let (status, _, body) = post(&second, Some(&s.token), json!({ "query": PAGE })).await;
    assert_eq!(
        status, 429,
        "the second instance did not see the spent budget: {body}"
    );
}

#[tokio::test]
async fn when_redis_is_unreachable_budgets_fall_back_to_the_process() {
    let app =
        spawn_app_with(|c| c.hardening.redis_url = Some("redis://127.0.0.1:1".to_owned())).await;
    let s = app.sign_up("No redis", "noredis@example.com").await;
    let (status, _, body) = post(&app, Some(&s.token), json!({ "query": PAGE })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["extensions"]["cost"]["throttleStatus"]["maximumAvailable"],
        20_000
    );
}
