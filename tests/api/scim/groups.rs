//! Groups: teams and their members.

use reqwest::Method;
use serde_json::{Value, json};

use super::*;
use crate::helpers::spawn_app;

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
