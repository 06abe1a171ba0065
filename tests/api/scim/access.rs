//! Errors, authentication, tenancy and discovery.

use reqwest::Method;
use serde_json::json;

use super::*;
use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn malformed_requests_get_errors_in_the_scim_schema() {
    let app = spawn_app().await;
    let org = organization(&app, "Acme").await;
    let t = Some(org.hris.as_str());
    for filter in [
        "userName%20xx%20%22a%22",
        "title%20eq%20%22x%22",
        "userName%20co%20%22a%22",
        "(userName%20eq%20%22a%22",
    ] {
        let (status, _, err) = scim(
            &app,
            t,
            Method::GET,
            &format!("/Users?filter={filter}"),
            None,
        )
        .await;
        assert_scim_error(status, &err, 400, Some("invalidFilter"));
    }
    let (status, _, err) = scim(
        &app,
        t,
        Method::POST,
        "/Users",
        Some(json!({ "schemas": [USER], "displayName": "No Name" })),
    )
    .await;
    assert_scim_error(status, &err, 400, Some("invalidValue"));
    let res = app
        .client
        .post(app.url("/scim/v2/Users"))
        .bearer_auth(&org.hris)
        .header("content-type", "application/scim+json")
        .body("{\"userName\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "application/scim+json");
    let status = res.status().as_u16();
    assert_scim_error(
        status,
        &res.json().await.unwrap(),
        400,
        Some("invalidSyntax"),
    );
    // Plain JSON is accepted too; other media types are not.
    let res = app
        .client
        .post(app.url("/scim/v2/Users"))
        .bearer_auth(&org.hris)
        .json(&user("j@acme.test", "E-7"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let res = app
        .client
        .post(app.url("/scim/v2/Users"))
        .bearer_auth(&org.hris)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 415);
    let (status, _, err) = scim(
        &app,
        t,
        Method::POST,
        "/Users",
        Some(json!({ "userName": "x".repeat(300 * 1024) })),
    )
    .await;
    assert_eq!(status, 413, "{err}");
    let id = create_user(&app, &org.hris, "ann@acme.test", "E-1").await;
    let (status, _, err) = scim(
        &app,
        t,
        Method::PATCH,
        &format!("/Users/{id}"),
        Some(json!({ "Operations": [] })),
    )
    .await;
    assert_scim_error(status, &err, 400, Some("invalidSyntax"));
    let (status, _, err) = scim(
        &app,
        t,
        Method::PATCH,
        &format!("/Users/{id}"),
        Some(patch_op(json!([{ "op": "remove" }]))),
    )
    .await;
    assert_scim_error(status, &err, 400, Some("noTarget"));
    let (status, _, err) = scim(&app, t, Method::GET, "/Users/not-a-uuid", None).await;
    assert_scim_error(status, &err, 404, None);
}

#[tokio::test]
async fn scim_needs_an_integration_or_admin_bearer_token() {
    let app = spawn_app().await;
    let org = organization(&app, "Acme").await;
    let res = app
        .client
        .get(app.url("/scim/v2/Users"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    assert_scim_error(401, &res.json().await.unwrap(), 401, None);
    let (status, _, err) = scim(&app, Some("not.a.jwt"), Method::GET, "/Users", None).await;
    assert_scim_error(status, &err, 401, None);
    let (member, _) = app.add_member(&org.admin, "mo@acme.test", "MEMBER").await;
    let (hr, _) = app.add_member(&org.admin, "hr@acme.test", "HR").await;
    for token in [&member, &hr] {
        let (status, _, err) = scim(&app, Some(token), Method::GET, "/Users", None).await;
        assert_scim_error(status, &err, 403, None);
        let (status, _, err) = scim(
            &app,
            Some(token),
            Method::POST,
            "/Users",
            Some(user("x@acme.test", "E-1")),
        )
        .await;
        assert_scim_error(status, &err, 403, None);
    }
    for token in [&org.admin, &org.hris] {
        let (status, _, _) = scim(&app, Some(token), Method::GET, "/Users", None).await;
        assert_eq!(status, 200);
    }
}

#[tokio::test]
async fn discovery_endpoints_describe_what_is_supported() {
    let app = spawn_app().await;
    let org = organization(&app, "Acme").await;
    let t = Some(org.hris.as_str());
    let (status, ct, spc) = scim(&app, t, Method::GET, "/ServiceProviderConfig", None).await;
    assert_eq!(status, 200);
    assert!(ct.starts_with("application/scim+json"));
    assert_eq!(spc["patch"]["supported"], true);
    assert_eq!(spc["bulk"]["supported"], false);
    assert_eq!(
        spc["filter"],
        json!({ "supported": true, "maxResults": 200 })
    );
    assert_eq!(spc["authenticationSchemes"][0]["type"], "oauthbearertoken");
    let (_, _, types) = scim(&app, t, Method::GET, "/ResourceTypes", None).await;
    let names: Vec<&str> = types["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["endpoint"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["/Users", "/Groups"]);
    let (_, _, schemas) = scim(&app, t, Method::GET, "/Schemas", None).await;
    assert_eq!(schemas["totalResults"], 3);
    let (status, _, s) = scim(
        &app,
        t,
        Method::GET,
        &format!("/Schemas/{ENTERPRISE}"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let attrs: Vec<&str> = s["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(attrs, vec!["employeeNumber", "department", "manager"]);
}

#[tokio::test]
async fn scim_requests_spend_the_callers_request_budget() {
    let app = spawn_app_with(|c| {
        let budgets = c.hardening.cost_budgets.as_mut().unwrap();
        budgets.principal.maximum = 25.0;
        budgets.principal.restore_rate = 0.01;
    })
    .await;
    let org = organization(&app, "Acme").await;
    for _ in 0..2 {
        let (status, _, body) = scim(&app, Some(&org.hris), Method::GET, "/Users", None).await;
        assert_eq!(status, 200, "{body}");
    }
    let res = app
        .client
        .get(app.url("/scim/v2/Users"))
        .bearer_auth(&org.hris)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 429);
    assert!(
        res.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_scim_error(429, &res.json().await.unwrap(), 429, None);
}
