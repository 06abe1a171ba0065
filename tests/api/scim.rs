//! SCIM 2.0 at `/scim/v2`: users as leaders, groups as teams, errors in the SCIM schema,
//! bearer auth by role, and another organization's token seeing nothing.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// An organization's admin token and an INTEGRATION token from one of its API keys.
struct Org {
    admin: String,
    hris: String,
}

async fn organization(app: &TestApp, name: &str) -> Org {
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
async fn scim(
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

fn user(user_name: &str, external_id: &str) -> Value {
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

async fn create_user(app: &TestApp, token: &str, user_name: &str, external_id: &str) -> String {
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

async fn leader_status(app: &TestApp, admin: &str) -> String {
    let data = app
        .ok(Some(admin), "{ leaders { nodes { status } } }", json!({}))
        .await;
    data["leaders"]["nodes"][0]["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn patch_op(ops: Value) -> Value {
    json!({ "schemas": [PATCH], "Operations": ops })
}

fn assert_scim_error(status: u16, body: &Value, expected: u16, scim_type: Option<&str>) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["schemas"], json!([ERROR]), "{body}");
    assert_eq!(body["status"], json!(expected.to_string()), "{body}");
    if let Some(t) = scim_type {
        assert_eq!(body["scimType"], t, "{body}");
    }
}

#[tokio::test]
async fn a_user_is_created_read_and_found_by_user_name_external_id_or_email() {
    let app = spawn_app().await;
    let org = organization(&app, "Acme").await;
    let (status, ct, created) = scim(
        &app,
        Some(&org.hris),
        Method::POST,
        "/Users",
        Some(user("Ann@Acme.test", "E-1")),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert!(ct.starts_with("application/scim+json"), "{ct}");
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["userName"], "Ann@Acme.test");
    assert_eq!(created["displayName"], "Person E-1");
    assert_eq!(created["emails"][0]["value"], "ann@acme.test");
    assert_eq!(created["active"], true);
    assert_eq!(created[ENTERPRISE]["employeeNumber"], "N-E-1");
    assert_eq!(created[ENTERPRISE]["department"], "R&D");
    assert_eq!(created["meta"]["resourceType"], "User");
    assert!(
        created["meta"]["location"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/scim/v2/Users/{id}"))
    );

    let (status, _, got) = scim(
        &app,
        Some(&org.hris),
        Method::GET,
        &format!("/Users/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(got, created);
    create_user(&app, &org.hris, "bob@acme.test", "E-2").await;

    for filter in [
        r#"userName eq "ann@acme.TEST""#,
        r#"externalId eq "E-1""#,
        r#"emails.value eq "ANN@acme.test""#,
        r#"emails[value eq "ann@acme.test"]"#,
        r#"userName eq "ann@acme.test" and externalId eq "E-1""#,
        r#"userName eq "nobody@acme.test" or externalId eq "E-1""#,
    ] {
        let q = url::form_urlencoded::byte_serialize(filter.as_bytes()).collect::<String>();
        let (status, _, list) = scim(
            &app,
            Some(&org.hris),
            Method::GET,
            &format!("/Users?filter={q}"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{filter}: {list}");
        assert_eq!(list["totalResults"], 1, "{filter}: {list}");
        assert_eq!(list["Resources"][0]["id"], id, "{filter}");
    }
    // Exact on the HRIS key, so another case finds nothing.
    let (_, _, list) = scim(
        &app,
        Some(&org.hris),
        Method::GET,
        "/Users?filter=externalId%20eq%20%22e-1%22",
        None,
    )
    .await;
    assert_eq!(list["totalResults"], 0);

    let (status, _, body) = scim(
        &app,
        Some(&org.hris),
        Method::POST,
        "/Users",
        Some(user("ANN@acme.test", "E-9")),
    )
    .await;
    assert_scim_error(status, &body, 409, Some("uniqueness"));
    let (status, _, body) = scim(
        &app,
        Some(&org.hris),
        Method::POST,
        "/Users",
        Some(user("other@acme.test", "E-1")),
    )
    .await;
    assert_scim_error(status, &body, 409, Some("uniqueness"));
}

#[tokio::test]
async fn users_are_listed_in_pages_by_start_index_and_count() {
    let app = spawn_app().await;
    let org = organization(&app, "Acme").await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            create_user(
                &app,
                &org.hris,
                &format!("p{i}@acme.test"),
                &format!("E-{i}"),
            )
            .await,
        );
    }
    let (status, _, page) = scim(
        &app,
        Some(&org.hris),
        Method::GET,
        "/Users?startIndex=3&count=2",
        None,
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        page["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"])
    );
    assert_eq!(page["totalResults"], 5);
    assert_eq!(page["itemsPerPage"], 2);
    assert_eq!(page["startIndex"], 3);
    let got: Vec<&str> = page["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, vec![ids[2].as_str(), ids[3].as_str()]);
    let (_, _, page) = scim(
        &app,
        Some(&org.hris),
        Method::GET,
        "/Users?startIndex=5&count=1000",
        None,
    )
    .await;
    assert_eq!(page["itemsPerPage"], 1);
    assert_eq!(page["Resources"][0]["id"], ids[4].as_str());
    let (_, _, page) = scim(&app, Some(&org.hris), Method::GET, "/Users?count=0", None).await;
    assert_eq!(
        (page["totalResults"].clone(), page["itemsPerPage"].clone()),
        (json!(5), json!(0))
    );
    let (_, _, page) = scim(
        &app,
        Some(&org.hris),
        Method::GET,
        "/Users?attributes=userName",
        None,
    )
    .await;
    let first = page["Resources"][0].as_object().unwrap();
    let mut keys: Vec<&String> = first.keys().collect();
    keys.sort();
    assert_eq!(keys, vec!["id", "schemas", "userName"]);
    let search = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": "externalId eq \"E-3\" or externalId eq \"E-4\"",
        "startIndex": 2,
        "count": 5,
        "excludedAttributes": ["emails", "meta"],
    });
    let (status, _, page) = scim(
        &app,
        Some(&org.hris),
        Method::POST,
        "/Users/.search",
        Some(search),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(
        (page["totalResults"].clone(), page["itemsPerPage"].clone()),
        (json!(2), json!(1))
    );
    assert_eq!(page["Resources"][0]["id"], ids[4].as_str());
    assert!(
        page["Resources"][0].get("emails").is_none() && page["Resources"][0].get("meta").is_none()
    );
    assert_eq!(page["Resources"][0]["userName"], "p4@acme.test");
}

#[tokio::test]
async fn put_replaces_a_user_and_clears_what_it_leaves_out() {
    let app = spawn_app().await;
    let org = organization(&app, "Acme").await;
    let id = create_user(&app, &org.hris, "ann@acme.test", "E-1").await;
    let body = json!({
        "schemas": [USER],
        "userName": "ann.new@acme.test",
        "displayName": "Ann New",
        "emails": [{ "value": "ann.new@acme.test", "primary": true }],
    });
    let (status, _, put) = scim(
        &app,
        Some(&org.hris),
        Method::PUT,
        &format!("/Users/{id}"),
        Some(body),
    )
    .await;
    assert_eq!(status, 200, "{put}");
    assert_eq!(put["userName"], "ann.new@acme.test");
    assert_eq!(put["displayName"], "Ann New");
    assert!(put.get("title").is_none(), "{put}");
    assert!(put.get("externalId").is_none(), "{put}");
    assert!(put.get(ENTERPRISE).is_none(), "{put}");
    assert_eq!(put["schemas"], json!([USER]));
    assert_eq!(put["active"], true);
    let data = app
        .ok(
            Some(&org.admin),
            "{ leaders { nodes { name email title externalId department status } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["leaders"]["nodes"],
        json!([{ "name": "Ann New", "email": "ann.new@acme.test", "title": null, "externalId": null, "department": null, "status": "ACTIVE" }])
    );
}

#[tokio::test]
async fn patch_deactivates_reactivates_and_changes_attributes_with_and_without_paths() {
    let app = spawn_app().await;
    let org = organization(&app, "Acme").await;
    let id = create_user(&app, &org.hris, "ann@acme.test", "E-1").await;
    let path = format!("/Users/{id}");
    let (status, _, u) = scim(
        &app,
        Some(&org.hris),
        Method::PATCH,
        &path,
        Some(patch_op(
            json!([{ "op": "replace", "path": "active", "value": false }]),
        )),
    )
    .await;
    assert_eq!(status, 200, "{u}");
    assert_eq!(u["active"], false);
    assert_eq!(leader_status(&app, &org.admin).await, "INACTIVE");
    let (_, _, u) = scim(
        &app,
        Some(&org.hris),
        Method::PATCH,
        &path,
        Some(patch_op(
            json!([{ "op": "replace", "value": { "active": true } }]),
        )),
    )
    .await;
    assert_eq!(u["active"], true);
    assert_eq!(leader_status(&app, &org.admin).await, "ACTIVE");

    let ops = json!([
        { "op": "replace", "path": "name.formatted", "value": "Ann Patched" },
        { "op": "replace", "path": "displayName", "value": "Ann Patched" },
        { "op": "replace", "path": "emails[type eq \"work\"].value", "value": "ann.p@acme.test" },
        { "op": "add", "path": "title", "value": "Director" },
        { "op": "remove", "path": format!("{ENTERPRISE}:department") },
        { "op": "replace", "value": { "externalId": "E-100", ENTERPRISE: { "employeeNumber": "N-100" } } },
    ]);
    let (status, _, u) = scim(
        &app,
        Some(&org.hris),
        Method::PATCH,
        &path,
        Some(patch_op(ops)),
    )
    .await;
    assert_eq!(status, 200, "{u}");
    assert_eq!(u["displayName"], "Ann Patched");
    assert_eq!(u["emails"][0]["value"], "ann.p@acme.test");
    assert_eq!(u["title"], "Director");
    assert_eq!(u["externalId"], "E-100");
    assert_eq!(u[ENTERPRISE], json!({ "employeeNumber": "N-100" }));
    let (_, _, u2) = scim(
        &app,
        Some(&org.hris),
        Method::PATCH,
        &path,
        Some(patch_op(json!([{ "op": "remove", "path": "title" }]))),
    )
    .await;
    assert!(u2.get("title").is_none(), "{u2}");

    let (status, _, body) = scim(&app, Some(&org.hris), Method::DELETE, &path, None).await;
    assert_eq!((status, body), (204, Value::Null));
    assert_eq!(leader_status(&app, &org.admin).await, "INACTIVE");
    let (_, _, u) = scim(&app, Some(&org.hris), Method::GET, &path, None).await;
    assert_eq!(u["active"], false);

    let data = app
        .ok(
            Some(&org.admin),
            "{ auditEvents(first: 50) { nodes { actorKind action targetType } } }",
            json!({}),
        )
        .await;
    let actions: Vec<(String, String)> = data["auditEvents"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actorKind"] == "API_KEY")
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["targetType"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    for expected in [
        "createLeader",
        "updateLeader",
        "deactivateLeader",
        "reactivateLeader",
    ] {
        assert!(
            actions.iter().any(|(a, t)| a == expected && t == "Leader"),
            "{expected} missing from {actions:?}"
        );
    }
}

#[tokio::test]
async fn the_enterprise_manager_is_a_user_of_the_organization_without_reporting_loops() {
    let app = spawn_app().await;
    let org = organization(&app, "Acme").await;
    let boss = create_user(&app, &org.hris, "boss@acme.test", "E-1").await;
    let mut body = user("ann@acme.test", "E-2");
    body[ENTERPRISE]["manager"] = json!({ "value": boss });
    let (status, _, ann) = scim(&app, Some(&org.hris), Method::POST, "/Users", Some(body)).await;
    assert_eq!(status, 201, "{ann}");
    assert_eq!(ann[ENTERPRISE]["manager"]["value"], boss.as_str());
    let ann_id = ann["id"].as_str().unwrap();
    let data = app
        .ok(
            Some(&org.admin),
            "{ leaders(filter: { search: \"ann\" }) { nodes { manager { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["leaders"]["nodes"][0]["manager"]["name"], "Person E-1");

    let mut unknown = user("cy@acme.test", "E-3");
    unknown[ENTERPRISE]["manager"] = json!({ "value": uuid::Uuid::now_v7().to_string() });
    let (status, _, err) = scim(&app, Some(&org.hris), Method::POST, "/Users", Some(unknown)).await;
    assert_scim_error(status, &err, 400, Some("invalidValue"));

    let loop_op = patch_op(
        json!([{ "op": "replace", "path": format!("{ENTERPRISE}:manager"), "value": { "value": ann_id } }]),
    );
    let (status, _, err) = scim(
        &app,
        Some(&org.hris),
        Method::PATCH,
        &format!("/Users/{boss}"),
        Some(loop_op),
    )
    .await;
    assert_scim_error(status, &err, 400, Some("invalidValue"));
    assert!(err["detail"].as_str().unwrap().contains("loop"), "{err}");

    let clear = patch_op(json!([{ "op": "remove", "path": format!("{ENTERPRISE}:manager") }]));
    let (_, _, ann) = scim(
        &app,
        Some(&org.hris),
        Method::PATCH,
        &format!("/Users/{ann_id}"),
        Some(clear),
    )
    .await;
    assert!(ann[ENTERPRISE].get("manager").is_none(), "{ann}");
}

#[tokio::test]
async fn a_group_is_a_team_whose_members_are_added_and_removed() {
    let app = spawn_app().await;
    let org = organization(&app, "Acme").await;
    let a = create_user(&app, &org.hris, "a@acme.test", "E-1").await;
    let b = create_user(&app, &org.hris, "b@acme.test", "E-2").await;
    let c = create_user(&app, &org.hris, "c@acme.test", "E-3").await;
    let body = json!({ "schemas": [GROUP], "displayName": "Guild", "members": [{ "value": a }, { "value": b }] });
    let (status, _, g) = scim(&app, Some(&org.hris), Method::POST, "/Groups", Some(body)).await;
    assert_eq!(status, 201, "{g}");
    let id = g["id"].as_str().unwrap().to_owned();
    let path = format!("/Groups/{id}");
    let members = |g: &Value| {
        let mut m: Vec<String> = g["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["value"].as_str().unwrap().to_owned())
            .collect();
        m.sort();
        m
    };
    let sorted = |mut v: Vec<&String>| {
        v.sort();
        v.into_iter().cloned().collect::<Vec<_>>()
    };
    assert_eq!(members(&g), sorted(vec![&a, &b]));
    let (_, _, list) = scim(
        &app,
        Some(&org.hris),
        Method::GET,
        "/Groups?filter=displayName%20eq%20%22Guild%22",
        None,
    )
    .await;
    assert_eq!(
        (
            list["totalResults"].clone(),
            list["Resources"][0]["id"].clone()
        ),
        (json!(1), json!(id))
    );

    let ops = json!([
        { "op": "add", "path": "members", "value": [{ "value": c }] },
        { "op": "remove", "path": format!("members[value eq \"{a}\"]") },
        { "op": "replace", "path": "displayName", "value": "Guild 2" },
    ]);
    let (status, _, g) = scim(
        &app,
        Some(&org.hris),
        Method::PATCH,
        &path,
        Some(patch_op(ops)),
    )
    .await;
    assert_eq!(status, 200, "{g}");
    assert_eq!(g["displayName"], "Guild 2");
    assert_eq!(members(&g), sorted(vec![&b, &c]));
    let data = app
        .ok(
            Some(&org.admin),
            "{ teams { nodes { name members { totalCount } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["teams"]["nodes"],
        json!([{ "name": "Guild 2", "members": { "totalCount": 2 } }])
    );

    let put = json!({ "schemas": [GROUP], "displayName": "Guild 3", "members": [{ "value": a }] });
    let (_, _, g) = scim(&app, Some(&org.hris), Method::PUT, &path, Some(put)).await;
    assert_eq!(
        (g["displayName"].clone(), members(&g)),
        (json!("Guild 3"), vec![a.clone()])
    );

    let (status, _, _) = scim(&app, Some(&org.hris), Method::DELETE, &path, None).await;
    assert_eq!(status, 204);
    let (status, _, err) = scim(&app, Some(&org.hris), Method::GET, &path, None).await;
    assert_scim_error(status, &err, 404, None);
    // The members stay.
    let (_, _, u) = scim(
        &app,
        Some(&org.hris),
        Method::GET,
        &format!("/Users/{a}"),
        None,
    )
    .await;
    assert_eq!(u["active"], true);
}

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
async fn another_organizations_integration_token_sees_and_changes_nothing() {
    let app = spawn_app().await;
    let acme = organization(&app, "Acme").await;
    let globex = organization(&app, "Globex").await;
    let ann = create_user(&app, &acme.hris, "ann@acme.test", "E-1").await;
    let (_, _, g) = scim(
        &app,
        Some(&acme.hris),
        Method::POST,
        "/Groups",
        Some(json!({ "displayName": "Guild", "members": [{ "value": ann }] })),
    )
    .await;
    let group = g["id"].as_str().unwrap().to_owned();
    let t = Some(globex.hris.as_str());

    let (status, _, err) = scim(&app, t, Method::GET, &format!("/Users/{ann}"), None).await;
    assert_scim_error(status, &err, 404, None);
    for q in [
        "",
        "?filter=userName%20eq%20%22ann%40acme.test%22",
        "?filter=externalId%20eq%20%22E-1%22",
    ] {
        let (_, _, list) = scim(&app, t, Method::GET, &format!("/Users{q}"), None).await;
        assert_eq!(
            (list["totalResults"].clone(), list["Resources"].clone()),
            (json!(0), json!([])),
            "{q}"
        );
    }
    let (_, _, list) = scim(&app, t, Method::GET, "/Groups", None).await;
    assert_eq!(list["totalResults"], 0);
    let deactivate = patch_op(json!([{ "op": "replace", "path": "active", "value": false }]));
    let (status, _, _) = scim(
        &app,
        t,
        Method::PATCH,
        &format!("/Users/{ann}"),
        Some(deactivate),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _, _) = scim(
        &app,
        t,
        Method::PUT,
        &format!("/Users/{ann}"),
        Some(user("evil@globex.test", "X")),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _, _) = scim(&app, t, Method::DELETE, &format!("/Users/{ann}"), None).await;
    assert_eq!(status, 404);
    for method in [Method::GET, Method::DELETE] {
        let (status, _, _) = scim(&app, t, method, &format!("/Groups/{group}"), None).await;
        assert_eq!(status, 404);
    }
    // Their group cannot take our people, nor their user our manager.
    let (status, _, err) = scim(
        &app,
        t,
        Method::POST,
        "/Groups",
        Some(json!({ "displayName": "Raid", "members": [{ "value": ann }] })),
    )
    .await;
    assert_scim_error(status, &err, 400, Some("invalidValue"));
    let mut spy = user("spy@globex.test", "G-1");
    spy[ENTERPRISE]["manager"] = json!({ "value": ann });
    let (status, _, err) = scim(&app, t, Method::POST, "/Users", Some(spy)).await;
    assert_scim_error(status, &err, 400, Some("invalidValue"));
    let (_, _, list) = scim(&app, t, Method::GET, "/Groups", None).await;
    assert_eq!(
        list["totalResults"], 0,
        "a refused group is not kept: {list}"
    );

    let (_, _, u) = scim(
        &app,
        Some(&acme.hris),
        Method::GET,
        &format!("/Users/{ann}"),
        None,
    )
    .await;
    assert_eq!(
        (u["active"].clone(), u["userName"].clone()),
        (json!(true), json!("ann@acme.test"))
    );
    let (_, _, g) = scim(
        &app,
        Some(&acme.hris),
        Method::GET,
        &format!("/Groups/{group}"),
        None,
    )
    .await;
    assert_eq!(g["members"][0]["value"], ann.as_str());
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
