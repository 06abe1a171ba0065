//! Users: create, get, filters, paging and PUT.

use reqwest::Method;
use serde_json::json;

use super::*;
use crate::helpers::spawn_app;

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
    // A leader made through GraphQL is known by its email until it gets a userName.
    app.leader(&org.admin, json!({ "name": "Cy", "email": "cy@acme.test" }))
        .await;
    let (_, _, list) = scim(
        &app,
        Some(&org.hris),
        Method::GET,
        "/Users?filter=userName%20eq%20%22cy%40acme.test%22",
        None,
    )
    .await;
    assert_eq!(list["Resources"][0]["userName"], "cy@acme.test", "{list}");
    let (status, _, body) = scim(
        &app,
        Some(&org.hris),
        Method::POST,
        "/Users",
        Some(user("CY@acme.test", "E-3")),
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
