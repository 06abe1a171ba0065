//! Compiled reads: a directory-page document, once the general executor accepted it, is
//! answered from its plan, and the answer is the general executor's, byte for byte.
//! Whatever the plan does not cover still gets the general executor's answer.

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

/// POSTs an operation; returns the status and the exact body text.
async fn raw(app: &TestApp, token: Option<&str>, body: &Value, accept: &str) -> (u16, String) {
    let mut req = app
        .client
        .post(app.url("/graphql"))
        .header("accept", accept)
        .json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// A small directory: a hierarchy, teams (none, one, two), empty and set optional
/// fields, and names that need escaping.
async fn directory(app: &TestApp, token: &str) -> (Vec<String>, String, String) {
    let ceo = app
        .leader(
            token,
            json!({ "name": "Zoë \"Chief\" Ōkubo", "email": "ceo@acme.test", "title": "CEO",
                    "department": "Office", "location": "Lisbon", "externalId": "E-1",
                    "startDate": "2019-04-01" }),
        )
        .await;
    let mut ids = vec![ceo.clone()];
    let names = [
        "Ann\\Back",
        "Bo\nNewline",
        "Cy 李",
        "Dee 🎯",
        "Eve",
        "Fay",
        "Gus",
    ];
    for (i, name) in names.iter().enumerate() {
        let mut input = json!({ "name": name, "managerId": ceo });
        if i % 2 == 0 {
            input["department"] = json!("Engineering");
            input["email"] = json!(format!("p{i}@acme.test"));
        }
        ids.push(app.leader(token, input).await);
    }
    // A third level.
    ids.push(
        app.leader(token, json!({ "name": "Hal", "managerId": ids[1] }))
            .await,
    );
    let mut teams = Vec::new();
    // A plain team without a description, and one whose name and description need
    // escaping (PostgreSQL reads teams beside the page as JSON).
    let made = [
        ("Guild", None),
        ("Tigers \"Ü\" \\ 🐯\n東", Some("Roars\tat \"dawn\"\u{1}")),
    ];
    for (name, description) in made {
        let t = app
            .ok(
                Some(token),
                "mutation($n: String!, $d: String) { createTeam(input: { name: $n, description: $d }) { team { id } } }",
                json!({ "n": name, "d": description }),
            )
            .await;
        teams.push(t["createTeam"]["team"]["id"].as_str().unwrap().to_owned());
    }
    let add = "mutation($t: ID!, $l: [ID!]!) { addTeamMembers(input: { teamId: $t, leaderIds: $l }) { userErrors { code } } }";
    app.ok(
        Some(token),
        add,
        json!({ "t": teams[0], "l": [ids[0], ids[1], ids[2]] }),
    )
    .await;
    app.ok(
        Some(token),
        add,
        json!({ "t": teams[1], "l": [ids[1], ids[5]] }),
    )
    .await;
    let deactivate =
        "mutation($l: ID!) { deactivateLeader(input: { leaderId: $l }) { userErrors { code } } }";
    app.ok(Some(token), deactivate, json!({ "l": ids[7] }))
        .await; // Gus
    (ids, teams[0].clone(), teams[1].clone())
}

const EVERYTHING: &str = "query Everything($first: Int = 4, $after: String) { people: leaders(first: $first, after: $after) { __typename totalCount pageInfo { __typename hasPreviousPage hasNextPage startCursor endCursor } edges { __typename cursor node { __typename id name email title department location externalId startDate status createdAt updatedAt boss: manager { __typename id name email title department location externalId startDate status createdAt updatedAt } teams { __typename id name description createdAt } } } nodes { id } } }";

#[tokio::test]
async fn a_compiled_answer_is_the_general_executors_answer() {
    // No budgets, so the two answers' `throttleStatus` cannot differ.
    let app = spawn_app_with(|c| c.hardening.cost_budgets = None).await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    let (ids, guild, tigers) = directory(&app, &s.token).await;
    let (member, _) = app.add_member(&s.token, "mo@acme.test", "MEMBER").await;
    let page = "query Directory($after: String) { leaders(first: 50, after: $after, orderBy: { field: NAME }) { nodes { id name email title department manager { id name } teams { id name } } pageInfo { hasNextPage endCursor } } }";
    let mut cases: Vec<(&str, Value)> = vec![
        (page, json!({})),
        (EVERYTHING, json!({})),
        (EVERYTHING, json!({ "first": 100 })),
        (
            "{ leaders(last: 3) { edges { cursor node { name } } pageInfo { hasPreviousPage hasNextPage startCursor } } }",
            json!({}),
        ),
        (
            "{ leaders(first: 3, orderBy: { field: CREATED_AT, direction: DESC }) { nodes { name createdAt } } }",
            json!({}),
        ),
        (
            "query($o: LeaderOrder) { leaders(orderBy: $o) { nodes { name department } totalCount } }",
            json!({ "o": { "field": "DEPARTMENT", "direction": "DESC" } }),
        ),
        (
            "query($o: LeaderOrder) { leaders(orderBy: $o) { nodes { name department } totalCount } }",
            json!({ "o": { "field": "DEPARTMENT" } }),
        ),
        (
            "query($f: LeaderFilter) { leaders(filter: $f) { totalCount nodes { name status teams { name } } } }",
            json!({ "f": { "department": "Engineering" } }),
        ),
        (
            "query($f: LeaderFilter) { leaders(filter: $f) { totalCount nodes { name status teams { name } } } }",
            json!({ "f": { "search": "LI" } }),
        ),
        (
            "query($f: LeaderFilter) { leaders(filter: $f) { totalCount nodes { name status teams { name } } } }",
            json!({ "f": { "status": "INACTIVE" } }),
        ),
        (
            "query($f: LeaderFilter) { leaders(filter: $f) { totalCount nodes { name status teams { name } } } }",
            json!({ "f": { "managerId": ids[0], "teamId": guild } }),
        ),
        (
            "query($f: LeaderFilter) { leaders(filter: $f) { totalCount nodes { name status teams { name } } } }",
            json!({ "f": null }),
        ),
        (
            "query($t: ID!) { leaders(filter: { teamId: $t, status: ACTIVE }) { totalCount nodes { id manager { name } } } }",
            json!({ "t": tigers }),
        ),
        (
            "{ leaders(filter: { department: \"Nobody\" }) { totalCount edges { cursor } pageInfo { startCursor endCursor hasNextPage hasPreviousPage } } }",
            json!({}),
        ),
    ];
    // A second page, through the cursor of the first.
    let first = app
        .ok(
            Some(&s.token),
            "{ leaders(first: 3) { pageInfo { endCursor } } }",
            json!({}),
        )
        .await;
    let cursor = first["leaders"]["pageInfo"]["endCursor"].clone();
    cases.push((EVERYTHING, json!({ "first": 3, "after": cursor })));
    let mut seen = std::collections::HashSet::new();
    for (i, (query, variables)) in cases.iter().enumerate() {
        // Each query text is new to the server once, so tell the variants apart.
        let query = format!("{query} # case {i}");
        assert!(seen.insert(query.clone()));
        let body = json!({ "query": query, "variables": variables });
        for (token, accept) in [
            (&s.token, "application/graphql-response+json"),
            (&member, "application/json"),
        ] {
            let before = app.state.metrics.compiled_answers();
            let (status, general) = raw(&app, Some(token), &body, accept).await;
            assert_eq!(status, 200, "{general}");
            assert!(!general.contains("\"errors\""), "{general}");
            let middle = app.state.metrics.compiled_answers();
            let (status, compiled) = raw(&app, Some(token), &body, accept).await;
            assert_eq!(status, 200);
            // The same JSON: the general executor may order a waiting field
            // (`totalCount`) by when it finished; the plan keeps the selection's order.
            let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap();
            assert_eq!(parse(&compiled), parse(&general), "case {i}: {query}");
            if !query.contains("totalCount") {
                assert_eq!(compiled, general, "case {i}: {query}");
            }
            let after = app.state.metrics.compiled_answers();
            // The first ask ever of a text runs the general executor; from then on the plan.
            let expected_first = u64::from(token != &s.token);
            assert_eq!(
                (middle - before, after - middle),
                (expected_first, 1),
                "case {i}"
            );
        }
    }
    // The compiled answer keeps the selection's order, `totalCount` included.
    let order =
        json!({ "query": "{ leaders { nodes { name } totalCount pageInfo { hasNextPage } } }" });
    raw(&app, Some(&s.token), &order, "application/json").await;
    let (_, text) = raw(&app, Some(&s.token), &order, "application/json").await;
    let (n, t, p) = (
        text.find("\"nodes\"").unwrap(),
        text.find("\"totalCount\"").unwrap(),
        text.find("\"pageInfo\"").unwrap(),
    );
    assert!(n < t && t < p, "{text}");
    // The page really holds what was made: escaping, relations and teams.
    let (_, text) = raw(
        &app,
        Some(&s.token),
        &json!({ "query": format!("{EVERYTHING} # case 1"), "variables": { "first": 20 } }),
        "application/json",
    )
    .await;
    let v: Value = serde_json::from_str(&text).unwrap();
    let nodes = v["data"]["people"]["edges"].as_array().unwrap();
    assert_eq!(nodes.len(), 9);
    let hal = nodes.iter().find(|e| e["node"]["name"] == "Hal").unwrap();
    assert_eq!(hal["node"]["boss"]["name"], "Ann\\Back");
    let gus = nodes.iter().find(|e| e["node"]["name"] == "Gus").unwrap();
    assert_eq!(gus["node"]["status"], "INACTIVE");
    let ann = nodes
        .iter()
        .find(|e| e["node"]["name"] == "Ann\\Back")
        .unwrap();
    let teams: Vec<&str> = ann["node"]["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    // Sorted by id: Guild was made first.
    assert_eq!(teams, ["Guild", "Tigers \"Ü\" \\ 🐯\n東"]);
    let tigers = ann["node"]["teams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Tigers \"Ü\" \\ 🐯\n東")
        .unwrap();
    assert_eq!(tigers["description"], "Roars\tat \"dawn\"\u{1}");
    assert_eq!(v["data"]["people"]["totalCount"], 9);
}

#[tokio::test]
async fn what_the_plan_does_not_read_gets_the_general_executors_answer() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    let (ids, guild, _) = directory(&app, &s.token).await;
    let q = "query($f: Int, $a: String, $m: ID, $o: LeaderOrder) { leaders(first: $f, after: $a, filter: { managerId: $m }, orderBy: $o) { nodes { name } } }";
    let good = json!({ "query": q, "variables": { "f": 2 } });
    let (status, _) = raw(&app, Some(&s.token), &good, "application/json").await;
    assert_eq!(status, 200);
    let before = app.state.metrics.compiled_answers();
    let (status, text) = raw(&app, Some(&s.token), &good, "application/json").await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(app.state.metrics.compiled_answers(), before + 1);
    // A cursor of another order.
    let other = app
        .ok(
            Some(&s.token),
            "{ leaders(first: 1, orderBy: { field: CREATED_AT }) { pageInfo { endCursor } } }",
            json!({}),
        )
        .await;
    let created_order = other["leaders"]["pageInfo"]["endCursor"].clone();
    for (variables, code) in [
        (json!({ "f": -1 }), "BAD_USER_INPUT"),
        (json!({ "f": "two" }), "BAD_USER_INPUT"),
        (json!({ "f": 2, "a": "garbage" }), "BAD_USER_INPUT"),
        (json!({ "f": 2, "a": created_order }), "BAD_USER_INPUT"),
        (json!({ "m": guild }), "BAD_USER_INPUT"),
        (json!({ "m": 5 }), "BAD_USER_INPUT"),
        (json!({ "o": { "field": "HEIGHT" } }), "BAD_USER_INPUT"),
        (json!({ "o": { "direction": "DESC" } }), "BAD_USER_INPUT"),
        (
            json!({ "o": { "field": "NAME", "direction": null } }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "o": { "field": "NAME", "size": 1 } }),
            "BAD_USER_INPUT",
        ),
    ] {
        let before = app.state.metrics.compiled_answers();
        let body = json!({ "query": q, "variables": variables });
        let (_, text) = raw(&app, Some(&s.token), &body, "application/json").await;
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v["errors"][0]["extensions"]["code"], code,
            "{variables}: {v}"
        );
        assert_eq!(app.state.metrics.compiled_answers(), before, "{variables}");
    }
    // The same document without a token, or with a wrong one: the general answer.
    let (status, text) = raw(&app, None, &good, "application/json").await;
    assert!(text.contains("UNAUTHENTICATED"), "{status} {text}");
    let (status, _) = raw(&app, Some("not-a-token"), &good, "application/json").await;
    assert_eq!(status, 401);
    // Filters the plan reads well still answer from it.
    let before = app.state.metrics.compiled_answers();
    let body = json!({ "query": q, "variables": { "m": ids[0], "o": { "field": "NAME", "direction": "DESC" } } });
    let data = app.ok(Some(&s.token), q, body["variables"].clone()).await;
    assert_eq!(data["leaders"]["nodes"].as_array().unwrap().len(), 7);
    assert_eq!(app.state.metrics.compiled_answers(), before + 1);
}

#[tokio::test]
async fn a_compiled_page_shows_only_the_callers_organization() {
    let app = spawn_app().await;
    let a = app.sign_up("Acme", "ada@acme.test").await;
    let b = app.sign_up("Globex", "gil@globex.test").await;
    directory(&app, &a.token).await;
    app.leader(&b.token, json!({ "name": "Only Globex" })).await;
    let q =
        "{ leaders(first: 50) { totalCount nodes { id name manager { name } teams { name } } } }";
    // Org A's request has the document accepted and compiled.
    let first = app.ok(Some(&a.token), q, json!({})).await;
    assert_eq!(first["leaders"]["totalCount"], 9);
    let before = app.state.metrics.compiled_answers();
    let seen = app.ok(Some(&b.token), q, json!({})).await;
    assert_eq!(app.state.metrics.compiled_answers(), before + 1);
    assert_eq!(
        seen["leaders"],
        json!({ "totalCount": 1, "nodes": [{ "id": seen["leaders"]["nodes"][0]["id"], "name": "Only Globex", "manager": null, "teams": [] }] })
    );
    // And org A's ids mean nothing to org B's compiled page.
    let a_ceo = first["leaders"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["manager"].is_null())
        .unwrap()["id"]
        .clone();
    let q = "query($m: ID) { leaders(filter: { managerId: $m }) { totalCount nodes { name } } }";
    app.ok(Some(&a.token), q, json!({ "m": a_ceo })).await;
    let before = app.state.metrics.compiled_answers();
    let seen = app.ok(Some(&b.token), q, json!({ "m": a_ceo })).await;
    assert_eq!(app.state.metrics.compiled_answers(), before + 1);
    assert_eq!(seen["leaders"], json!({ "totalCount": 0, "nodes": [] }));
}

#[tokio::test]
async fn compiled_answers_charge_and_report_the_same_cost() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    directory(&app, &s.token).await;
    let q = "{ leaders(first: 50) { nodes { id manager { id } teams { id } } pageInfo { hasNextPage } } }";
    let (_, general) = app.gql(Some(&s.token), q, json!({})).await;
    let before = app.state.metrics.compiled_answers();
    let (_, compiled) = app.gql(Some(&s.token), q, json!({})).await;
    assert_eq!(app.state.metrics.compiled_answers(), before + 1);
    assert_eq!(compiled["data"], general["data"]);
    let cost = |v: &Value| {
        (
            v["extensions"]["cost"]["requestedQueryCost"].clone(),
            v["extensions"]["cost"]["actualQueryCost"].clone(),
        )
    };
    assert_eq!(cost(&compiled), cost(&general));
    // 1 connection + 9 leaders + 8 managers + 5 team memberships + pageInfo.
    assert_eq!(general["extensions"]["cost"]["actualQueryCost"], 24);
    assert!(compiled["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"].is_u64());
}

#[tokio::test]
async fn compiled_reads_switched_off_answer_from_the_general_executor() {
    let app = spawn_app_with(|c| c.hardening.compiled_reads = false).await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    directory(&app, &s.token).await;
    let q = "{ leaders(first: 5) { nodes { name } } }";
    for _ in 0..3 {
        app.ok(Some(&s.token), q, json!({})).await;
    }
    assert_eq!(app.state.metrics.compiled_answers(), 0);
}
