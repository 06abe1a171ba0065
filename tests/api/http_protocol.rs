//! GraphQL over HTTP as the spec says, and the service's plain HTTP routes.

use serde_json::{Value, json};

use crate::helpers::spawn_app;

const GRJ: &str = "application/graphql-response+json";

async fn post_raw(
    app: &crate::helpers::TestApp,
    accept: Option<&str>,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    let mut req = app.client.post(app.url("/graphql")).body(body);
    if let Some(a) = accept {
        req = req.header("accept", a);
    }
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    req.send().await.expect("request")
}

fn content_type(res: &reqwest::Response) -> String {
    res.headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

#[tokio::test]
async fn a_client_accepting_graphql_response_json_gets_it() {
    let app = spawn_app().await;
    let res = post_raw(
        &app,
        Some(GRJ),
        Some("application/json"),
        r#"{"query":"{ serverInfo { version } }"}"#,
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        content_type(&res),
        "application/graphql-response+json; charset=utf-8"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["data"]["serverInfo"]["version"],
        env!("CARGO_PKG_VERSION")
    );
}

#[tokio::test]
async fn a_client_accepting_only_application_json_gets_application_json() {
    let app = spawn_app().await;
    for accept in [Some("application/json"), None, Some("*/*")] {
        let res = post_raw(
            &app,
            accept,
            Some("application/json"),
            r#"{"query":"{ __typename }"}"#,
        )
        .await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            content_type(&res),
            "application/json; charset=utf-8",
            "{accept:?}"
        );
    }
}

#[tokio::test]
async fn quality_values_decide_between_the_two_types() {
    let app = spawn_app().await;
    let res = post_raw(
        &app,
        Some("application/graphql-response+json;q=0.5, application/json"),
        Some("application/json"),
        r#"{"query":"{ __typename }"}"#,
    )
    .await;
    assert_eq!(content_type(&res), "application/json; charset=utf-8");
}

#[tokio::test]
async fn an_unacceptable_accept_header_is_refused_with_406() {
    let app = spawn_app().await;
    let res = post_raw(
        &app,
        Some("text/xml"),
        Some("application/json"),
        r#"{"query":"{ __typename }"}"#,
    )
    .await;
    assert_eq!(res.status(), 406);
}

#[tokio::test]
async fn an_unparseable_document_is_a_400_without_data() {
    let app = spawn_app().await;
    let res = post_raw(
        &app,
        Some(GRJ),
        Some("application/json"),
        r#"{"query":"{"}"#,
    )
    .await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert!(body.get("data").is_none(), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

#[tokio::test]
async fn an_invalid_document_is_a_400_without_data() {
    let app = spawn_app().await;
    let res = post_raw(
        &app,
        Some(GRJ),
        Some("application/json"),
        r#"{"query":"{ noSuchField }"}"#,
    )
    .await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert!(body.get("data").is_none(), "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("noSuchField")
    );
}

#[tokio::test]
async fn a_variable_coercion_failure_is_a_400_without_data() {
    let app = spawn_app().await;
    let body = json!({"query": "query Q($id: ID!) { __typename }", "variables": {"id": null}});
    let res = post_raw(&app, Some(GRJ), Some("application/json"), body.to_string()).await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert!(body.get("data").is_none(), "{body}");
}

#[tokio::test]
async fn legacy_json_clients_get_request_errors_with_status_200() {
    let app = spawn_app().await;
    let res = post_raw(
        &app,
        Some("application/json"),
        Some("application/json"),
        r#"{"query":"{ noSuchField }"}"#,
    )
    .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert!(body.get("data").is_none());
    assert!(body["errors"].is_array());
}

#[tokio::test]
async fn malformed_json_and_bad_parameters_are_400() {
    let app = spawn_app().await;
    for body in [
        r#"{ "not a JSON"#,
        r#"{"qeury":"{ __typename }"}"#,
        r#"{"query": 0}"#,
        r#"{"query": ["a"]}"#,
        r#"{"query":"{ __typename }", "variables": "x"}"#,
        "",
    ] {
        for accept in [GRJ, "application/json"] {
            let res = post_raw(&app, Some(accept), Some("application/json"), body).await;
            assert_eq!(res.status(), 400, "{body} / {accept}");
            let json: Value = res.json().await.unwrap();
            assert!(json["errors"].is_array());
        }
    }
}

#[tokio::test]
async fn a_post_without_json_content_type_is_415() {
    let app = spawn_app().await;
    let res = post_raw(&app, Some(GRJ), None, r#"{"query":"{ __typename }"}"#).await;
    assert_eq!(res.status(), 415);
    let res = post_raw(
        &app,
        Some(GRJ),
        Some("text/plain"),
        r#"{"query":"{ __typename }"}"#,
    )
    .await;
    assert_eq!(res.status(), 415);
}

#[tokio::test]
async fn queries_work_over_get_with_variables() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/graphql"))
        .query(&[
            (
                "query",
                "query Q($skip: Boolean!) { serverInfo @skip(if: $skip) { version } }",
            ),
            ("variables", r#"{"skip": false}"#),
            ("operationName", "Q"),
        ])
        .header("accept", GRJ)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["data"]["serverInfo"]["version"],
        env!("CARGO_PKG_VERSION")
    );
}

#[tokio::test]
async fn a_mutation_over_get_is_refused_with_405() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/graphql"))
        .query(&[("query", "mutation { __typename }")])
        .header("accept", GRJ)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers()["allow"], "POST");
}

#[tokio::test]
async fn a_body_over_one_mebibyte_is_413() {
    let app = spawn_app().await;
    let padding = "#".repeat(1024 * 1024 + 10);
    let body = json!({ "query": format!("{{ __typename }}\n{padding}") }).to_string();
    let res = post_raw(&app, Some(GRJ), Some("application/json"), body).await;
    assert_eq!(res.status(), 413);
}

#[tokio::test]
async fn batches_run_each_operation_and_are_limited_to_ten() {
    let app = spawn_app().await;
    let one = json!({"query": "{ __typename }"});
    let res = post_raw(
        &app,
        Some(GRJ),
        Some("application/json"),
        json!([one, one]).to_string(),
    )
    .await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body.as_array().map(Vec::len), Some(2));
    let eleven: Vec<Value> = (0..11).map(|_| one.clone()).collect();
    let res = post_raw(
        &app,
        Some(GRJ),
        Some("application/json"),
        Value::Array(eleven).to_string(),
    )
    .await;
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn request_ids_are_echoed_or_made() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "abc-123");
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    let made = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&made).is_ok(), "{made}");
}

#[tokio::test]
async fn healthz_answers_and_readyz_follows_the_database() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    app.state
        .db
        .clone()
        .close_by_ref()
        .await
        .expect("close the pool");
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 503);
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn graphiql_is_served_in_development_and_not_when_disabled() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/graphiql")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("graphiql"));
    let res = app
        .client
        .get(app.url("/graphql"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let off = crate::helpers::spawn_app_with(|c| c.graphiql = false).await;
    let res = off.client.get(off.url("/graphiql")).send().await.unwrap();
    assert_eq!(res.status(), 404);
}
