//! `importLeaders`: a shuffled 1,000-row hierarchy, the re-import that changes nothing,
//! rows that fail alone with their reasons, deactivation, limits and tenancy.

use rand::SeedableRng;
use rand::seq::{IndexedRandom, SliceRandom};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

const IMPORT: &str = "mutation($i: ImportLeadersInput!) { importLeaders(input: $i) { created updated unchanged deactivated failed rows { index externalId status leader { id name manager { id } } errors { field code message } } userErrors { field code message } } }";

async fn import(app: &TestApp, token: &str, records: &[Value], deactivate_missing: bool) -> Value {
    let data = app
        .ok(
            Some(token),
            IMPORT,
            json!({ "i": { "records": records, "deactivateMissing": deactivate_missing } }),
        )
        .await;
    data["importLeaders"].clone()
}

/// 1 + 4 + 20 + 100 + 875 leaders, each managed by someone one level up.
fn hierarchy() -> Vec<Value> {
    let sizes = [1, 4, 20, 100, 875];
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let mut rows = Vec::new();
    let mut previous: Vec<String> = Vec::new();
    for (level, size) in sizes.iter().enumerate() {
        let mut this = Vec::new();
        for n in 0..*size {
            let id = format!("L{level}-{n}");
            let manager = previous.choose(&mut rng).cloned();
            rows.push(json!({ "externalId": id, "name": format!("Person {id}"), "email": format!("{}@hris.example.com", id.to_lowercase()), "department": format!("D{}", n % 7), "managerExternalId": manager }));
            this.push(id);
        }
        previous = this;
    }
    rows.shuffle(&mut rng);
    rows
}

#[tokio::test]
async fn a_shuffled_thousand_row_hierarchy_imports_in_a_few_statements_and_reimports_as_unchanged()
{
    let app = spawn_app().await;
    let s = app.sign_up("Hris", "hris@example.com").await;
    let rows = hierarchy();
    let before = app.statements();
    let out = import(&app, &s.token, &rows, false).await;
    let statements = app.statements() - before;
    assert_eq!(
        (out["created"].as_i64(), out["failed"].as_i64()),
        (Some(1000), Some(0)),
        "{}",
        out["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["status"] == "FAILED")
            .cloned()
            .unwrap_or_default()
    );
    assert!(statements <= 12, "{statements} statements for 1,000 rows");
    // A leader at the bottom reports through four levels to the top.
    let bottom = out["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["externalId"].as_str().unwrap().starts_with("L4-"))
        .unwrap();
    let q = "query($id: ID!) { node(id: $id) { ... on Leader { reportingLine { externalId } } } }";
    let data = app
        .ok(Some(&s.token), q, json!({ "id": bottom["leader"]["id"] }))
        .await;
    let line: Vec<&str> = data["node"]["reportingLine"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["externalId"].as_str().unwrap())
        .collect();
    assert_eq!(line.len(), 4, "{line:?}");
    assert!(line[0].starts_with("L3-") && line[3] == "L0-0", "{line:?}");

    let before = app.statements();
    let again = import(&app, &s.token, &rows, false).await;
    assert_eq!(again["unchanged"], 1000, "{}", again["rows"][0]);
    assert_eq!(
        (again["created"].as_i64(), again["updated"].as_i64()),
        (Some(0), Some(0))
    );
    // The re-import opens a transaction, reads the directory, commits and writes its audit
    // entry: no leader or event row (the first import took one statement for each).
    assert!(
        app.statements() - before <= 8,
        "{}",
        app.statements() - before
    );
}

#[tokio::test]
async fn bad_rows_fail_alone_with_reasons_and_the_rest_apply() {
    let app = spawn_app().await;
    let s = app.sign_up("Rows", "rows@example.com").await;
    let records = vec![
        json!({ "externalId": "ok-1", "name": "Fine", "managerExternalId": "ok-2" }),
        json!({ "externalId": "bad-email", "name": "Mail", "email": "not an email" }),
        json!({ "externalId": "no-name", "name": "  " }),
        json!({ "externalId": "orphan", "name": "Orphan", "managerExternalId": "nobody" }),
        json!({ "externalId": "loop-a", "name": "A", "managerExternalId": "loop-b" }),
        json!({ "externalId": "loop-b", "name": "B", "managerExternalId": "loop-a" }),
        json!({ "externalId": "ok-2", "name": "Boss" }),
        json!({ "externalId": "ok-1", "name": "Twice" }),
        json!({ "externalId": "under-orphan", "name": "Below", "managerExternalId": "orphan" }),
    ];
    let out = import(&app, &s.token, &records, false).await;
    assert_eq!(out["created"], 2, "{out}");
    assert_eq!(out["failed"], 7, "{out}");
    let row = |i: usize| &out["rows"][i];
    assert_eq!(row(0)["status"], "CREATED");
    assert_eq!(row(6)["status"], "CREATED");
    assert_eq!(row(0)["leader"]["manager"]["id"], row(6)["leader"]["id"]);
    let reason = |i: usize| {
        (
            row(i)["errors"][0]["field"].clone(),
            row(i)["errors"][0]["code"].clone(),
        )
    };
    assert_eq!(
        reason(1),
        (
            json!(["input", "records", "1", "email"]),
            json!("INVALID_FORMAT")
        )
    );
    assert_eq!(reason(2).0, json!(["input", "records", "2", "name"]));
    assert_eq!(
        reason(3),
        (
            json!(["input", "records", "3", "managerExternalId"]),
            json!("NOT_FOUND")
        )
    );
    assert_eq!(reason(4).1, "INVALID");
    assert_eq!(reason(5).1, "INVALID");
    assert_eq!(
        reason(7),
        (
            json!(["input", "records", "7", "externalId"]),
            json!("TAKEN")
        )
    );
    assert_eq!(
        reason(8).1,
        "INVALID",
        "a record under a failed new manager fails too"
    );
    assert!(row(1)["leader"].is_null());
    let data = app
        .ok(Some(&s.token), "{ leaders { totalCount } }", json!({}))
        .await;
    assert_eq!(data["leaders"]["totalCount"], 2);
}

#[tokio::test]
async fn updates_and_deactivation_including_leaders_missing_from_the_feed() {
    let app = spawn_app().await;
    let s = app.sign_up("Feed", "feed@example.com").await;
    let first: Vec<Value> = (0..5)
        .map(|i| json!({ "externalId": format!("E{i}"), "name": format!("P{i}") }))
        .collect();
    import(&app, &s.token, &first, false).await;
    let hand_made = app
        .leader(&s.token, json!({ "name": "Not from the HRIS" }))
        .await;
    let second = vec![
        json!({ "externalId": "E0", "name": "P0 renamed" }),
        json!({ "externalId": "E1", "name": "P1", "active": false }),
        json!({ "externalId": "E2", "name": "P2" }),
    ];
    let out = import(&app, &s.token, &second, true).await;
    assert_eq!(out["updated"], 1, "{out}");
    assert_eq!(out["unchanged"], 1, "{out}");
    // E1 by its record; E3 and E4 because the feed no longer has them.
    assert_eq!(out["deactivated"], 3, "{out}");
    assert_eq!(out["rows"][1]["status"], "DEACTIVATED");
    let data = app
        .ok(
            Some(&s.token),
            "{ leaders(first: 50, filter: { status: ACTIVE }) { nodes { id externalId } } }",
            json!({}),
        )
        .await;
    let mut active: Vec<String> = data["leaders"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["externalId"].as_str().unwrap_or("-").to_owned())
        .collect();
    active.sort();
    assert_eq!(
        active,
        ["-", "E0", "E2"],
        "leaders without an external id are never touched"
    );
    assert!(data.to_string().contains(&hand_made));
}

#[tokio::test]
async fn imports_are_limited_permitted_and_scoped_to_the_organization() {
    let app = spawn_app().await;
    let s = app.sign_up("Limits", "limits-import@example.com").await;
    let too_many: Vec<Value> = (0..5001)
        .map(|i| json!({ "externalId": format!("X{i}"), "name": "x" }))
        .collect();
    let out = import(&app, &s.token, &too_many, false).await;
    assert_eq!(
        out["userErrors"][0]["code"], "LIMIT_EXCEEDED",
        "{}",
        out["userErrors"]
    );
    assert_eq!(out["userErrors"][0]["field"], json!(["input", "records"]));
    let (member, _) = app
        .add_member(&s.token, "member@limits.example.com", "MEMBER")
        .await;
    let (_, body) = app
        .gql(
            Some(&member),
            IMPORT,
            json!({ "i": { "records": [{ "externalId": "M", "name": "M" }] } }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );
    // Another organization's external ids are not managers here, and theirs stay theirs.
    import(
        &app,
        &s.token,
        &[json!({ "externalId": "BOSS", "name": "Their boss" })],
        false,
    )
    .await;
    let other = app
        .sign_up("Other import", "other-import@example.com")
        .await;
    let out = import(
        &app,
        &other.token,
        &[json!({ "externalId": "ME", "name": "Me", "managerExternalId": "BOSS" })],
        false,
    )
    .await;
    assert_eq!(out["rows"][0]["errors"][0]["code"], "NOT_FOUND", "{out}");
    let out = import(
        &app,
        &other.token,
        &[json!({ "externalId": "BOSS", "name": "Our boss" })],
        true,
    )
    .await;
    assert_eq!(out["created"], 1, "{out}");
    let data = app
        .ok(
            Some(&s.token),
            "{ leaders { nodes { name status } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["leaders"]["nodes"],
        json!([{ "name": "Their boss", "status": "ACTIVE" }])
    );
}

#[tokio::test]
async fn a_leader_whose_record_fails_its_checks_is_not_deactivated_as_missing() {
    let app = spawn_app().await;
    let s = app.sign_up("Feed", "feed@example.com").await;
    let first: Vec<Value> = (0..3)
        .map(|i| json!({ "externalId": format!("E{i}"), "name": format!("P{i}") }))
        .collect();
    import(&app, &s.token, &first, false).await;
    let second = vec![
        json!({ "externalId": "E0", "name": "P0" }),
        json!({ "externalId": "E1", "name": "P1", "email": "not an email" }),
    ];
    let out = import(&app, &s.token, &second, true).await;
    assert_eq!(out["failed"], 1, "{out}");
    // Only E2 is missing from the feed; E1 is in it, with a record that failed.
    assert_eq!(out["deactivated"], 1, "{out}");
    let data = app
        .ok(
            Some(&s.token),
            "{ leaders(first: 50, filter: { status: ACTIVE }) { nodes { externalId } } }",
            json!({}),
        )
        .await;
    let mut active: Vec<&str> = data["leaders"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["externalId"].as_str().unwrap())
        .collect();
    active.sort();
    assert_eq!(active, ["E0", "E1"]);
}
