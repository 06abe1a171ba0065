//! The built-in framework, custom frameworks and their lifecycle.

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

const BUILT_IN_KEYS: [&str; 12] = [
    "FLATTEN_THINGS",
    "ALLOW_LEADERSHIP_TO_EMERGE",
    "KNOW_THE_BUSINESS",
    "LIVE_IN_CURIOSITY",
    "ASK_FOR_DIRECTIONS",
    "CARE_ABOUT_PEOPLE",
    "KNOW_WHO_THEY_ARE",
    "SHARE_INFORMATION_AND_LEARNING",
    "DEMAND_DIALOGUE",
    "EXPECT_CREATIVE_SOLUTIONS",
    "SEEK_OUT_DIVERSITY",
    "OPEN_BOUNDARIES",
];

const FRAMEWORKS: &str = "query($s: FrameworkStatus) { frameworks(filter: { status: $s }) { nodes { id name version status isBuiltIn source behaviors { key position title summary indicators { id text } } } } }";

async fn built_in(app: &TestApp, token: &str) -> Value {
    let data = app.ok(Some(token), FRAMEWORKS, json!({})).await;
    data["frameworks"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["isBuiltIn"] == true)
        .cloned()
        .expect("the built-in framework")
}

#[tokio::test]
async fn the_built_in_framework_has_the_twelve_behaviors_in_order() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    let fw = built_in(&app, &s.token).await;
    assert_eq!(
        (
            fw["name"].as_str(),
            fw["version"].as_i64(),
            fw["status"].as_str()
        ),
        (Some("Collaborative Leadership"), Some(1), Some("PUBLISHED"))
    );
    assert!(fw["source"].as_str().unwrap().contains("Jesse Lyn Stoner"));
    let behaviors = fw["behaviors"].as_array().unwrap();
    let keys: Vec<&str> = behaviors
        .iter()
        .map(|b| b["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, BUILT_IN_KEYS);
    for (i, b) in behaviors.iter().enumerate() {
        assert_eq!(b["position"], i + 1);
        assert!(
            !b["title"].as_str().unwrap().is_empty() && !b["summary"].as_str().unwrap().is_empty()
        );
        let n = b["indicators"].as_array().unwrap().len();
        assert!((2..=3).contains(&n), "{}: {n} indicators", b["key"]);
    }
    // The same ids on every installation and for every organization.
    let other = app.sign_up("Other", "o@other.test").await;
    assert_eq!(built_in(&app, &other.token).await["id"], fw["id"]);
}

async fn create(app: &TestApp, token: &str, input: Value) -> Value {
    app.ok(Some(token), "mutation($i: CreateFrameworkInput!) { createFramework(input: $i) { framework { id name version status basedOn { id } behaviors { id key indicators { id } } } userErrors { field code } } }", json!({ "i": input })).await["createFramework"].clone()
}

async fn add_behavior(app: &TestApp, token: &str, fw: &str, key: &str) -> Value {
    app.ok(Some(token), "mutation($i: AddBehaviorInput!) { addBehavior(input: $i) { behavior { id key position } userErrors { field code } } }", json!({ "i": { "frameworkId": fw, "key": key, "title": "Listens", "summary": "Listens well." } })).await["addBehavior"].clone()
}

async fn add_indicator(app: &TestApp, token: &str, behavior: &str) -> Value {
    app.ok(Some(token), "mutation($b: ID!) { addIndicator(input: { behaviorId: $b, text: \"Lets others finish.\" }) { indicator { id position } userErrors { field code } } }", json!({ "b": behavior })).await["addIndicator"].clone()
}

async fn publish(app: &TestApp, token: &str, fw: &str) -> Value {
    app.ok(Some(token), "mutation($f: ID!) { publishFramework(input: { frameworkId: $f }) { framework { status } userErrors { field code message } } }", json!({ "f": fw })).await["publishFramework"].clone()
}

#[tokio::test]
async fn a_custom_framework_is_drafted_validated_published_and_then_frozen() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    let t = &s.token;
    let bad = create(&app, t, json!({ "name": " " })).await;
    assert_eq!(
        bad["userErrors"],
        json!([{ "field": ["input", "name"], "code": "REQUIRED" }])
    );
    let fw = create(&app, t, json!({ "name": "Ours" })).await;
    assert_eq!(
        (
            fw["framework"]["status"].as_str(),
            fw["framework"]["version"].as_i64()
        ),
        (Some("DRAFT"), Some(1))
    );
    let id = fw["framework"]["id"].as_str().unwrap().to_owned();

    let empty = publish(&app, t, &id).await;
    assert_eq!(empty["userErrors"][0]["code"], "INVALID");
    assert_eq!(
        add_behavior(&app, t, &id, "bad key!").await["userErrors"],
        json!([{ "field": ["input", "key"], "code": "INVALID_FORMAT" }])
    );
    let b = add_behavior(&app, t, &id, "LISTENS").await;
    assert_eq!(b["behavior"]["position"], 1);
    assert_eq!(
        add_behavior(&app, t, &id, "listens").await["userErrors"],
        json!([{ "field": ["input", "key"], "code": "TAKEN" }])
    );
    let bid = b["behavior"]["id"].as_str().unwrap().to_owned();
    let without_indicators = publish(&app, t, &id).await;
    assert_eq!(without_indicators["userErrors"][0]["code"], "INVALID");
    assert!(
        without_indicators["userErrors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("LISTENS")
    );
    let ind = add_indicator(&app, t, &bid).await;
    assert_eq!(ind["userErrors"], json!([]));
    let spare = add_behavior(&app, t, &id, "SPARE").await["behavior"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let removed = app.ok(Some(t), "mutation($b: ID!) { removeBehavior(input: { behaviorId: $b }) { framework { behaviors { key } } } }", json!({ "b": spare })).await;
    assert_eq!(
        removed["removeBehavior"]["framework"]["behaviors"],
        json!([{ "key": "LISTENS" }])
    );
    assert_eq!(
        publish(&app, t, &id).await,
        json!({ "framework": { "status": "PUBLISHED" }, "userErrors": [] })
    );

    // Published: every edit is INVALID_STATE.
    let iid = ind["indicator"]["id"].as_str().unwrap().to_owned();
    let edits = app.ok(Some(t), "mutation($f: ID!, $b: ID!, $i: ID!) {
        a: updateFramework(input: { frameworkId: $f, name: \"X\" }) { userErrors { code } }
        b: addBehavior(input: { frameworkId: $f, key: \"NEW\", title: \"t\", summary: \"s\" }) { userErrors { code } }
        c: updateBehavior(input: { behaviorId: $b, title: \"X\" }) { userErrors { code } }
        d: addIndicator(input: { behaviorId: $b, text: \"X\" }) { userErrors { code } }
        e: updateIndicator(input: { indicatorId: $i, text: \"X\" }) { userErrors { code } }
        f: removeIndicator(input: { indicatorId: $i }) { userErrors { code } }
        g: removeBehavior(input: { behaviorId: $b }) { userErrors { code } }
        h: publishFramework(input: { frameworkId: $f }) { userErrors { code } } }", json!({ "f": id, "b": bid, "i": iid })).await;
    for k in ["a", "b", "c", "d", "e", "f", "g", "h"] {
        assert_eq!(
            edits[k]["userErrors"],
            json!([{ "code": "INVALID_STATE" }]),
            "{k}"
        );
    }

    // The next version is a copy, editable again.
    let v2 = create(&app, t, json!({ "basedOnId": id })).await;
    assert_eq!(v2["framework"]["name"], "Ours");
    assert_eq!(v2["framework"]["version"], 2);
    assert_eq!(v2["framework"]["basedOn"]["id"], id.as_str());
    assert_eq!(v2["framework"]["behaviors"][0]["key"], "LISTENS");
    assert_eq!(
        v2["framework"]["behaviors"][0]["indicators"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_ne!(v2["framework"]["behaviors"][0]["id"], bid.as_str());

    let retired = app.ok(Some(t), "mutation($f: ID!, $v: ID!) { a: retireFramework(input: { frameworkId: $f }) { framework { status } } b: retireFramework(input: { frameworkId: $v }) { userErrors { code } } }", json!({ "f": id, "v": v2["framework"]["id"] })).await;
    assert_eq!(retired["a"]["framework"]["status"], "RETIRED");
    assert_eq!(
        retired["b"]["userErrors"],
        json!([{ "code": "INVALID_STATE" }])
    );
    let published = app
        .ok(Some(t), FRAMEWORKS, json!({ "s": "PUBLISHED" }))
        .await;
    assert_eq!(
        published["frameworks"]["nodes"].as_array().unwrap().len(),
        1,
        "only the built-in one is still published"
    );
}

#[tokio::test]
async fn the_built_in_framework_is_read_only_and_copies_as_version_two() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    let fw = built_in(&app, &s.token).await;
    let b = fw["behaviors"][0]["indicators"][0]["id"].clone();
    let edits = app.ok(Some(&s.token), "mutation($f: ID!, $i: ID!) { a: updateFramework(input: { frameworkId: $f, name: \"Mine\" }) { userErrors { code } } b: retireFramework(input: { frameworkId: $f }) { userErrors { code } } c: updateIndicator(input: { indicatorId: $i, text: \"x\" }) { userErrors { code } } }", json!({ "f": fw["id"], "i": b })).await;
    for k in ["a", "b", "c"] {
        assert_eq!(
            edits[k]["userErrors"],
            json!([{ "code": "INVALID_STATE" }]),
            "{k}"
        );
    }
    let copy = create(&app, &s.token, json!({ "basedOnId": fw["id"] })).await;
    assert_eq!(copy["framework"]["version"], 2);
    assert_eq!(copy["framework"]["behaviors"].as_array().unwrap().len(), 12);
    let (member, _) = app.add_member(&s.token, "m@acme.test", "MEMBER").await;
    let (_, body) = app
        .gql(
            Some(&member),
            "mutation { createFramework(input: { name: \"x\" }) { framework { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
}
