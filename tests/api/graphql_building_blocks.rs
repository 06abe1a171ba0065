//! Global ids and Relay connections, exercised through the organization's members.

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

#[tokio::test]
async fn a_malformed_id_is_bad_user_input_not_a_500() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    for id in ["nope", "", "AQAAAAAAAAAAAAAAAAAAAAAA", &"x".repeat(5000)] {
        let (status, body) = app
            .gql(
                Some(&s.token),
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(status, 200, "{id}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{id}: {body}"
        );
    }
    // An id of the wrong kind in a typed argument is refused the same way.
    let (_, body) = app.gql(Some(&s.token), "mutation($m: ID!) { removeMember(input: { membershipId: $m }) { removedMembershipId } }", json!({ "m": s.org_id })).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

#[tokio::test]
async fn node_resolves_each_kind_in_the_callers_organization() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    let data = app.ok(Some(&s.token), "query($o: ID!, $u: ID!) { o: node(id: $o) { __typename id } u: node(id: $u) { __typename ... on User { email } } }", json!({ "o": s.org_id, "u": s.user_id })).await;
    assert_eq!(
        data["o"],
        json!({ "__typename": "Organization", "id": s.org_id })
    );
    assert_eq!(
        data["u"],
        json!({ "__typename": "User", "email": "ada@acme.test" })
    );
}

async fn invite_many(app: &TestApp, admin: &str, n: usize) {
    for i in 0..n {
        app.ok(Some(admin), "mutation($e: String!) { inviteMember(input: { email: $e, role: MEMBER }) { membership { id } } }", json!({ "e": format!("p{i:02}@acme.test") })).await;
    }
}

const PAGE: &str = "query($f: Int, $a: String, $l: Int, $b: String) { organization { members(first: $f, after: $a, last: $l, before: $b) { totalCount edges { cursor node { id user { email } } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }";

fn emails(conn: &Value) -> Vec<String> {
    conn["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["user"]["email"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_connection_pages_forwards_and_backwards_with_keyset_cursors() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    invite_many(&app, &s.token, 24).await;
    let mut all = vec!["ada@acme.test".to_owned()];
    all.extend((0..24).map(|i| format!("p{i:02}@acme.test")));

    // Forwards, 7 at a time: every member once, in order.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let data = app
            .ok(Some(&s.token), PAGE, json!({ "f": 7, "a": after }))
            .await;
        let conn = &data["organization"]["members"];
        assert_eq!(conn["totalCount"], 25);
        seen.extend(emails(conn));
        if !conn["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            break;
        }
        after = conn["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, all);

    // Backwards from the end, 10 at a time.
    let mut seen = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let data = app
            .ok(Some(&s.token), PAGE, json!({ "l": 10, "b": before }))
            .await;
        let conn = &data["organization"]["members"];
        let mut page = emails(conn);
        page.extend(seen);
        seen = page;
        if !conn["pageInfo"]["hasPreviousPage"].as_bool().unwrap() {
            break;
        }
        before = conn["pageInfo"]["startCursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, all);

    // The default page is 20.
    let data = app.ok(Some(&s.token), PAGE, json!({})).await;
    assert_eq!(emails(&data["organization"]["members"]).len(), 20);
}

#[tokio::test]
async fn page_sizes_above_100_and_bad_cursors_are_refused() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    for vars in [
        json!({ "f": 101 }),
        json!({ "l": 101 }),
        json!({ "f": -1 }),
        json!({ "f": 1, "l": 1 }),
        json!({ "a": "garbage" }),
    ] {
        let (status, body) = app.gql(Some(&s.token), PAGE, vars.clone()).await;
        assert_eq!(status, 200);
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{vars}: {body}"
        );
    }
    assert!(
        app.gql(Some(&s.token), PAGE, json!({ "f": 100 }))
            .await
            .1
            .get("errors")
            .is_none()
    );
}
