//! SCIM 2.0 at `/scim/v2`: users as leaders, groups as teams, errors in the SCIM schema,
//! bearer auth by role, and another organization's token seeing nothing.

use reqwest::Method;
use serde_json::{Value, json};

mod access;
mod groups;
mod patch;
mod users;

use crate::helpers::TestApp;

pub(crate) const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub(crate) const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub(crate) const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub(crate) const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub(crate) const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// An organization's admin token and an INTEGRATION token from one of its API keys.
pub(crate) struct Org {
    pub(crate) admin: String,
    pub(crate) hris: String,
}

pub(crate) async fn organization(app: &TestApp, name: &str) -> Org {
    let s = app
        .sign_up(name, &format!("admin@{}.test", name.to_lowercase()))
        .await;
    let key = app
        .ok(
            Some(&s.token),
            "mutation { createApiKey(input: { name: \"idp\" }) { clientId clientSecret } }",
            json!({}),
        )
        .await;
    let res = app
        .client
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            (
                "client_id",
                key["createApiKey"]["clientId"].as_str().unwrap(),
            ),
            (
                "client_secret",
                key["createApiKey"]["clientSecret"].as_str().unwrap(),
            ),
        ])
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    Org {
        admin: s.token,
        hris: body["access_token"].as_str().unwrap().to_owned(),
    }
}

/// Sends a SCIM request; returns status, content type and the JSON body (null when empty).
pub(crate) async fn scim(
    app: &TestApp,
    token: Option<&str>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, String, Value) {
    let mut req = app
        .client
        .request(method, app.url(&format!("/scim/v2{path}")));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/scim+json")
            .body(b.to_string());
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = res.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
    };
    (status, ct, body)
}

pub(crate) fn user(user_name: &str, external_id: &str) -> Value {
    json!({
        "schemas": [USER, ENTERPRISE],
        "userName": user_name,
        "externalId": external_id,
        "name": { "formatted": format!("Person {external_id}") },
        "emails": [{ "value": user_name, "type": "work", "primary": true }],
        "title": "Engineer",
        "active": true,
        ENTERPRISE: { "employeeNumber": format!("N-{external_id}"), "department": "R&D" },
    })
}

pub(crate) async fn create_user(
    app: &TestApp,
    token: &str,
    user_name: &str,
    external_id: &str,
) -> String {
    let (status, _, body) = scim(
        app,
        Some(token),
        Method::POST,
        "/Users",
        Some(user(user_name, external_id)),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

pub(crate) async fn leader_status(app: &TestApp, admin: &str) -> String {
    let data = app
        .ok(Some(admin), "{ leaders { nodes { status } } }", json!({}))
        .await;
    data["leaders"]["nodes"][0]["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub(crate) fn patch_op(ops: Value) -> Value {
    json!({ "schemas": [PATCH], "Operations": ops })
}

pub(crate) fn assert_scim_error(status: u16, body: &Value, expected: u16, scim_type: Option<&str>) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["schemas"], json!([ERROR]), "{body}");
    assert_eq!(body["status"], json!(expected.to_string()), "{body}");
    if let Some(t) = scim_type {
        assert_eq!(body["scimType"], t, "{body}");
    }
}
