//! The directory's keyset pagination in every order, and its constant SQL cost.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

const PAGE: &str = "query($o: LeaderOrder, $f: Int, $a: String, $l: Int, $b: String) { leaders(orderBy: $o, first: $f, after: $a, last: $l, before: $b) { edges { node { id name department createdAt } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }";

async fn walk(app: &TestApp, token: &str, order: &Value, backwards: bool) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let vars = if backwards {
            json!({ "o": order, "l": 20, "b": cursor })
        } else {
            json!({ "o": order, "f": 20, "a": cursor })
        };
        let data = app.ok(Some(token), PAGE, vars).await;
        let conn = &data["leaders"];
        let nodes: Vec<Value> = conn["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"].clone())
            .collect();
        assert!(nodes.len() <= 20);
        if backwards {
            let mut page = nodes;
            page.extend(out);
            out = page;
            if !conn["pageInfo"]["hasPreviousPage"].as_bool().unwrap() {
                break;
            }
            cursor = conn["pageInfo"]["startCursor"].as_str().map(str::to_owned);
        } else {
            out.extend(nodes);
            if !conn["pageInfo"]["hasNextPage"].as_bool().unwrap() {
                break;
            }
            cursor = conn["pageInfo"]["endCursor"].as_str().map(str::to_owned);
        }
    }
    out
}

fn key(node: &Value, field: &str) -> String {
    match field {
        "NAME" => node["name"].as_str().unwrap().to_owned(),
        "DEPARTMENT" => node["department"].as_str().unwrap_or("").to_owned(),
        _ => node["createdAt"].as_str().unwrap().to_owned(),
    }
}

#[tokio::test]
async fn walking_250_leaders_visits_each_once_in_every_order_both_ways() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    // Few distinct names and departments, so ties are common and the id must break them.
    let inputs: Vec<Value> = (0..250)
        .map(|i| {
            let dept = ["Sales", "R&D", "Ops", "HR"].get(i % 5).copied();
            json!({ "name": format!("Person {:02}", i % 37), "department": dept })
        })
        .collect();
    let ids: HashSet<String> = app.leaders(&s.token, &inputs).await.into_iter().collect();
    assert_eq!(ids.len(), 250);
    for field in ["NAME", "CREATED_AT", "DEPARTMENT"] {
        for direction in ["ASC", "DESC"] {
            let order = json!({ "field": field, "direction": direction });
            let forward = walk(&app, &s.token, &order, false).await;
            let backward = walk(&app, &s.token, &order, true).await;
            let f_ids: Vec<&str> = forward.iter().map(|n| n["id"].as_str().unwrap()).collect();
            let b_ids: Vec<&str> = backward.iter().map(|n| n["id"].as_str().unwrap()).collect();
            assert_eq!(f_ids.len(), 250, "{field} {direction}");
            assert_eq!(
                f_ids.iter().copied().collect::<HashSet<_>>().len(),
                250,
                "{field} {direction}: duplicates"
            );
            assert_eq!(
                f_ids, b_ids,
                "{field} {direction}: backwards differs from forwards"
            );
            assert!(f_ids.iter().all(|id| ids.contains(*id)));
            // Keys never go against the direction (within one store's collation, ties by id).
            let keys: Vec<String> = forward.iter().map(|n| key(n, field)).collect();
            if field != "NAME" {
                let mut sorted = keys.clone();
                sorted.sort();
                if direction == "DESC" {
                    sorted.reverse();
                }
                assert_eq!(keys, sorted, "{field} {direction}");
            }
        }
    }
}

#[tokio::test]
async fn the_directory_page_costs_the_same_statements_whatever_its_size() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    let boss = app.leader(&s.token, json!({ "name": "Boss" })).await;
    let inputs: Vec<Value> = (0..60)
        .map(|i| json!({ "name": format!("L{i:02}"), "managerId": boss, "department": "Ops" }))
        .collect();
    let ids = app.leaders(&s.token, &inputs).await;
    for t in 0..3 {
        let team = app
            .ok(
                Some(&s.token),
                "mutation($n: String!) { createTeam(input: { name: $n }) { team { id } } }",
                json!({ "n": format!("T{t}") }),
            )
            .await;
        let team_id = team["createTeam"]["team"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let members: Vec<&String> = ids.iter().skip(t).step_by(2).collect();
        app.ok(Some(&s.token), "mutation($t: ID!, $l: [ID!]!) { addTeamMembers(input: { teamId: $t, leaderIds: $l }) { team { id } } }", json!({ "t": team_id, "l": members })).await;
    }
    let q = "query($n: Int) { leaders(first: $n) { totalCount nodes { name email manager { name } teams { name } } } }";
    let mut costs = Vec::new();
    for n in [5, 20, 50] {
        app.ok(Some(&s.token), q, json!({ "n": n })).await; // warm the principal cache
        let before = app.statements();
        let data = app.ok(Some(&s.token), q, json!({ "n": n })).await;
        costs.push(app.statements() - before);
        assert_eq!(data["leaders"]["nodes"].as_array().unwrap().len(), n);
    }
    assert_eq!(costs[0], costs[1], "{costs:?}");
    assert_eq!(costs[1], costs[2], "{costs:?}");
    // page, count, managers, team links, teams
    assert!(costs[2] <= 5, "{costs:?}");
}

#[tokio::test]
async fn a_cursor_is_refused_in_another_order() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    let inputs: Vec<Value> = (0..5).map(|i| json!({ "name": format!("P{i}") })).collect();
    app.leaders(&s.token, &inputs).await;
    let data = app
        .ok(
            Some(&s.token),
            PAGE,
            json!({ "o": { "field": "NAME" }, "f": 2 }),
        )
        .await;
    let cursor = data["leaders"]["pageInfo"]["endCursor"].clone();
    for order in [
        json!({ "field": "CREATED_AT" }),
        json!({ "field": "NAME", "direction": "DESC" }),
        Value::Null,
    ] {
        let (status, body) = app
            .gql(
                Some(&s.token),
                PAGE,
                json!({ "o": order, "f": 2, "a": cursor }),
            )
            .await;
        assert_eq!(status, 200);
        if order.is_null() {
            // No orderBy means NAME ascending: the same order, so the cursor works.
            assert!(body.get("errors").is_none(), "{body}");
        } else {
            assert_eq!(
                body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
                "{order}"
            );
        }
    }
}

#[tokio::test]
async fn leaders_decoded_by_position_equal_the_derived_decoding() {
    let app = spawn_app().await;
    let s = app.sign_up("Rows", "rows@example.com").await;
    let boss = app.leader(&s.token, json!({ "name": "Boss" })).await;
    let full = app
        .leader(
            &s.token,
            json!({ "name": "Full", "email": "full@example.com", "title": "Lead", "department": "Ops",
                    "externalId": "F-1", "managerId": boss, "startDate": "2024-02-29" }),
        )
        .await;
    app.mutate(
        &s.token,
        "mutation($i: LeaderIdInput!) { deactivateLeader(input: $i) { userErrors { message } } }",
        json!({ "i": { "leaderId": boss } }),
        "deactivateLeader",
    )
    .await;
    let org = colead::graphql::ids::decode_any(&s.org_id).unwrap().1;
    let ids = [boss, full].map(|g| colead::graphql::ids::decode_any(&g).unwrap().1);
    let mut fast = colead::tenancy::leaders_by_id(&app.db, org, ids)
        .await
        .unwrap();
    let mut derived = colead::tenancy::find_many::<entity::leader::Entity, _>(&app.db, org, ids)
        .await
        .unwrap();
    fast.sort_by_key(|l| l.id);
    derived.sort_by_key(|l| l.id);
    assert_eq!(fast.len(), 2);
    assert_eq!(fast, derived);
}
