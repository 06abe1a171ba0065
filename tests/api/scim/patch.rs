//! Users: PATCH (active, attributes, paths) and the enterprise manager.

use reqwest::Method;
use serde_json::{Value, json};

use super::*;
use crate::helpers::spawn_app;

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
    // name.formatted and displayName are both the name: changing one alone changes it;
    // a path naming the whole extension sets its attributes.
    let ops = json!([
        { "op": "replace", "path": "name.formatted", "value": "Ann Formatted" },
        { "op": "replace", "path": ENTERPRISE, "value": { "department": "Ops" } },
    ]);
    let (_, _, u) = scim(
        &app,
        Some(&org.hris),
        Method::PATCH,
        &path,
        Some(patch_op(ops)),
    )
    .await;
    assert_eq!(
        (u["displayName"].clone(), u["name"]["formatted"].clone()),
        (json!("Ann Formatted"), json!("Ann Formatted"))
    );
    assert_eq!(
        u[ENTERPRISE],
        json!({ "employeeNumber": "N-100", "department": "Ops" })
    );
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
