//! Nobody reads individual ratings or learns who wrote what; reviews stay with raters;
//! external tokens open one review only; illegal transitions and writes are refused.

use serde_json::{Value, json};

use crate::cycles::build;
use crate::helpers::spawn_app;

const SUBMIT: &str = "mutation($i: ReviewAnswersInput!) { submitReview(input: $i) { review { status } userErrors { field code message } } }";
const SAVE: &str = "mutation($i: ReviewAnswersInput!) { saveReview(input: $i) { review { status } userErrors { field code message } } }";

async fn open_cycle_with_raters(app: &crate::helpers::TestApp) -> crate::cycles::Org {
    let org = build(app).await;
    app.mutate(&org.admin, "mutation($c: ID!) { autoAssignRaters(input: { cycleId: $c }) { reviews { id } userErrors { code } } }", json!({ "c": org.cycle }), "autoAssignRaters").await;
    app.mutate(&org.admin, "mutation($c: ID!) { openCycle(input: { cycleId: $c }) { cycle { status } userErrors { code } } }", json!({ "c": org.cycle }), "openCycle").await;
    org
}

async fn review_and_indicators(
    app: &crate::helpers::TestApp,
    token: &str,
) -> (String, Vec<String>) {
    let data = app.ok(Some(token), "{ myReviews { nodes { id assessment { cycle { framework { behaviors { indicators { id } } } } } } } }", json!({})).await;
    let r = &data["myReviews"]["nodes"][0];
    let inds = r["assessment"]["cycle"]["framework"]["behaviors"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| {
            b["indicators"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_owned())
        })
        .collect();
    (r["id"].as_str().unwrap().to_owned(), inds)
}

#[tokio::test]
async fn the_subject_and_hr_cannot_reach_individual_ratings_or_raters() {
    let app = spawn_app().await;
    let org = open_cycle_with_raters(&app).await;
    let (peer_review, inds) = review_and_indicators(&app, &org.tokens["P1"]).await;
    let ratings: Vec<Value> = inds
        .iter()
        .map(|i| json!({ "indicatorId": i, "score": 2 }))
        .collect();
    app.mutate(&org.tokens["P1"], SUBMIT, json!({ "i": { "reviewId": peer_review, "ratings": ratings, "comments": [{ "body": "blunt words" }] } }), "submitReview").await;

    // The subject: no reviews list, no node for the peer's review.
    let (_, body) = app
        .gql(
            Some(&org.tokens["S"]),
            "query($a: ID!) { node(id: $a) { ... on Assessment { reviews { id } } } }",
            json!({ "a": org.assessment }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let data = app
        .ok(
            Some(&org.tokens["S"]),
            "query($r: ID!) { node(id: $r) { id } }",
            json!({ "r": peer_review }),
        )
        .await;
    assert_eq!(data["node"], Value::Null);

    // HR: sees who submitted (for reminders), never what they answered.
    let data = app.ok(Some(&org.admin), "query($a: ID!) { node(id: $a) { ... on Assessment { reviews { status relationship rater { name } } } } }", json!({ "a": org.assessment })).await;
    let submitted: Vec<&Value> = data["node"]["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "SUBMITTED")
        .collect();
    assert_eq!(submitted.len(), 1);
    for field in ["ratings { score }", "comments { body }"] {
        let (_, body) = app
            .gql(
                Some(&org.admin),
                &format!("query($r: ID!) {{ node(id: $r) {{ ... on Review {{ {field} }} }} }}"),
                json!({ "r": peer_review }),
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{field}"
        );
    }
    // Another rater cannot open it either.
    let data = app
        .ok(
            Some(&org.tokens["P2"]),
            "query($r: ID!) { node(id: $r) { id } }",
            json!({ "r": peer_review }),
        )
        .await;
    assert_eq!(data["node"], Value::Null);
    // The rater reads their own answers.
    let data = app.ok(Some(&org.tokens["P1"]), "query($r: ID!) { node(id: $r) { ... on Review { ratings { score } comments { body } } } }", json!({ "r": peer_review })).await;
    assert_eq!(data["node"]["comments"], json!([{ "body": "blunt words" }]));
}

#[tokio::test]
async fn comments_come_unattributed_in_an_order_that_ignores_who_and_when() {
    let app = spawn_app().await;
    let org = open_cycle_with_raters(&app).await;
    // Peers submit in the order P3, P1, P2 with comments whose text order differs.
    for (who, body) in [("P3", "zebra"), ("P1", "apple"), ("P2", "mango")] {
        let (review, inds) = review_and_indicators(&app, &org.tokens[who]).await;
        let ratings: Vec<Value> = inds
            .iter()
            .map(|i| json!({ "indicatorId": i, "score": 4 }))
            .collect();
        app.mutate(&org.tokens[who], SUBMIT, json!({ "i": { "reviewId": review, "ratings": ratings, "comments": [{ "body": body }] } }), "submitReview").await;
    }
    for t in ["closeCycle", "releaseResults"] {
        app.mutate(&org.admin, &format!("mutation($c: ID!) {{ {t}(input: {{ cycleId: $c }}) {{ cycle {{ status }} userErrors {{ code }} }} }}"), json!({ "c": org.cycle }), t).await;
    }
    let data = app.ok(Some(&org.tokens["S"]), "query($a: ID!) { node(id: $a) { ... on Assessment { results { comments { behavior { key } body } } } } }", json!({ "a": org.assessment })).await;
    assert_eq!(
        data["node"]["results"]["comments"],
        json!([{ "behavior": null, "body": "apple" }, { "behavior": null, "body": "mango" }, { "behavior": null, "body": "zebra" }])
    );
    // The comment type has no author, date or id to ask for.
    let (status, _) = app
        .gql(
            Some(&org.tokens["S"]),
            "query($a: ID!) { node(id: $a) { ... on Assessment { results { comments { id } } } } }",
            json!({ "a": org.assessment }),
        )
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn review_writes_are_validated_and_only_the_rater_may_write() {
    let app = spawn_app().await;
    let org = open_cycle_with_raters(&app).await;
    let (review, inds) = review_and_indicators(&app, &org.tokens["P1"]).await;
    // Another member: the review does not exist for them.
    let (_, body) = app
        .gql(
            Some(&org.tokens["P2"]),
            SAVE,
            json!({ "i": { "reviewId": review, "ratings": [] } }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
    // HR cannot answer for a rater either.
    let (_, body) = app
        .gql(
            Some(&org.admin),
            SAVE,
            json!({ "i": { "reviewId": review, "ratings": [] } }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");

    let fw = app
        .ok(
            Some(&org.admin),
            "mutation { createFramework(input: { name: \"Other\" }) { framework { id } } }",
            json!({}),
        )
        .await;
    let fw_id = fw["createFramework"]["framework"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = app.ok(Some(&org.admin), "mutation($f: ID!) { addBehavior(input: { frameworkId: $f, key: \"OTHER\", title: \"t\", summary: \"s\" }) { behavior { id } } }", json!({ "f": fw_id })).await;
    let foreign = app.ok(Some(&org.admin), "mutation($b: ID!) { addIndicator(input: { behaviorId: $b, text: \"x\" }) { indicator { id } } }", json!({ "b": b["addBehavior"]["behavior"]["id"] })).await;
    let foreign_ind = foreign["addIndicator"]["indicator"]["id"].clone();
    let bad = app.ok(Some(&org.tokens["P1"]), SAVE, json!({ "i": { "reviewId": review, "ratings": [{ "indicatorId": inds[0], "score": 6 }, { "indicatorId": inds[1], "score": 0 }, { "indicatorId": foreign_ind, "score": 3 }], "comments": [{ "body": " " }] } })).await;
    let errs: Vec<(Value, String)> = bad["saveReview"]["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].clone(), e["code"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        errs,
        vec![
            (
                json!(["input", "ratings", "0", "score"]),
                "OUT_OF_RANGE".to_owned()
            ),
            (
                json!(["input", "ratings", "1", "score"]),
                "OUT_OF_RANGE".to_owned()
            ),
            (
                json!(["input", "ratings", "2", "indicatorId"]),
                "NOT_FOUND".to_owned()
            ),
            (
                json!(["input", "comments", "0", "body"]),
                "REQUIRED".to_owned()
            ),
        ]
    );
    // A draft keeps what it has; submitting with gaps names the gap.
    let draft = app.mutate(&org.tokens["P1"], SAVE, json!({ "i": { "reviewId": review, "ratings": [{ "indicatorId": inds[0], "score": 4 }] } }), "saveReview").await;
    assert_eq!(draft["review"]["status"], "IN_PROGRESS");
    let partial = app
        .ok(
            Some(&org.tokens["P1"]),
            SUBMIT,
            json!({ "i": { "reviewId": review } }),
        )
        .await;
    assert_eq!(partial["submitReview"]["userErrors"][0]["code"], "REQUIRED");
    assert!(
        partial["submitReview"]["userErrors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{} indicators", inds.len() - 1))
    );
    // Explicit nulls (not observed) complete it.
    let rest: Vec<Value> = inds[1..]
        .iter()
        .map(|i| json!({ "indicatorId": i, "score": null }))
        .collect();
    app.mutate(
        &org.tokens["P1"],
        SUBMIT,
        json!({ "i": { "reviewId": review, "ratings": rest } }),
        "submitReview",
    )
    .await;
    let after = app
        .ok(
            Some(&org.tokens["P1"]),
            SAVE,
            json!({ "i": { "reviewId": review, "ratings": [] } }),
        )
        .await;
    assert_eq!(
        after["saveReview"]["userErrors"][0]["code"],
        "INVALID_STATE"
    );
    let decline = app
        .ok(
            Some(&org.tokens["P1"]),
            "mutation($r: ID!) { declineReview(input: { reviewId: $r }) { userErrors { code } } }",
            json!({ "r": review }),
        )
        .await;
    assert_eq!(
        decline["declineReview"]["userErrors"][0]["code"],
        "INVALID_STATE"
    );
    // A submitted review cannot be removed.
    let rm = app
        .ok(
            Some(&org.admin),
            "mutation($r: ID!) { removeRater(input: { reviewId: $r }) { userErrors { code } } }",
            json!({ "r": review }),
        )
        .await;
    assert_eq!(rm["removeRater"]["userErrors"][0]["code"], "INVALID_STATE");
}

#[tokio::test]
async fn an_external_token_opens_its_review_and_nothing_else() {
    let app = spawn_app().await;
    let org = open_cycle_with_raters(&app).await;
    let ext = app.mutate(&org.admin, "mutation($a: ID!) { assignRaters(input: { assessmentId: $a, raters: [{ externalEmail: \"p@partner.test\", relationship: EXTERNAL }] }) { reviews { id } userErrors { code } } }", json!({ "a": org.assessment }), "assignRaters").await;
    let review = ext["reviews"][0]["id"].as_str().unwrap().to_owned();
    let inv = app.mutate(&org.admin, "mutation($r: ID!) { inviteExternalRater(input: { reviewId: $r }) { token userErrors { code } } }", json!({ "r": review }), "inviteExternalRater").await;
    let t = inv["token"].as_str().unwrap().to_owned();
    // The questionnaire: the subject's name and the framework; nothing of the directory.
    let data = app.ok(Some(&t), "query($r: ID!) { node(id: $r) { ... on Review { status assessment { subject { name email manager { name } teams { name } } cycle { framework { behaviors { indicators { id } } } } } } } }", json!({ "r": review })).await;
    let a = &data["node"]["assessment"];
    assert_eq!(
        a["subject"],
        json!({ "name": "Subject", "email": null, "manager": null, "teams": [] })
    );
    let inds: Vec<String> = a["cycle"]["framework"]["behaviors"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| {
            b["indicators"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_str().unwrap().to_owned())
        })
        .collect();
    // Everything else: refused or empty.
    for q in [
        "{ viewer { kind } }",
        "{ leaders { totalCount } }",
        "{ organization { name } }",
        "{ cycles { totalCount } }",
        "{ myReviews { totalCount } }",
        "{ frameworks { totalCount } }",
        "mutation { createLeader(input: { name: \"x\" }) { leader { id } } }",
    ] {
        let (_, body) = app.gql(Some(&t), q, json!({})).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{q}: {body}"
        );
    }
    for id in [
        org.assessment.clone(),
        org.cycle.clone(),
        org.ids["S"].clone(),
    ] {
        let data = app
            .ok(
                Some(&t),
                "query($i: ID!) { node(id: $i) { id } }",
                json!({ "i": id }),
            )
            .await;
        assert_eq!(data["node"], Value::Null, "{id}");
    }
    let (s_review, _) = review_and_indicators(&app, &org.tokens["S"]).await;
    let (_, body) = app
        .gql(
            Some(&t),
            SAVE,
            json!({ "i": { "reviewId": s_review, "ratings": [] } }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
    // Its own review it can answer.
    let ratings: Vec<Value> = inds
        .iter()
        .map(|i| json!({ "indicatorId": i, "score": 3 }))
        .collect();
    app.mutate(
        &t,
        SUBMIT,
        json!({ "i": { "reviewId": review, "ratings": ratings } }),
        "submitReview",
    )
    .await;
}

#[tokio::test]
async fn every_illegal_cycle_transition_is_invalid_state() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    let t = &s.token;
    let new_cycle = || async {
        let c = app.mutate(t, "mutation { createCycle(input: { name: \"c\" }) { cycle { id } userErrors { code } } }", json!({}), "createCycle").await;
        c["cycle"]["id"].as_str().unwrap().to_owned()
    };
    let go = |op: &'static str, id: String| {
        let app = &app;
        async move {
            let data = app.ok(Some(t), &format!("mutation($c: ID!) {{ {op}(input: {{ cycleId: $c }}) {{ cycle {{ status }} userErrors {{ field code }} }} }}"), json!({ "c": id })).await;
            data[op].clone()
        }
    };
    let refused = |v: &Value, what: &str| {
        assert_eq!(
            v["userErrors"],
            json!([{ "field": ["input", "cycleId"], "code": "INVALID_STATE" }]),
            "{what}"
        )
    };
    let all = ["openCycle", "closeCycle", "releaseResults", "cancelCycle"];
    // DRAFT
    let c = new_cycle().await;
    refused(&go("closeCycle", c.clone()).await, "draft close");
    refused(&go("releaseResults", c.clone()).await, "draft release");
    // OPEN
    assert_eq!(go("openCycle", c.clone()).await["cycle"]["status"], "OPEN");
    refused(&go("openCycle", c.clone()).await, "open open");
    refused(&go("releaseResults", c.clone()).await, "open release");
    // CLOSED
    assert_eq!(
        go("closeCycle", c.clone()).await["cycle"]["status"],
        "CLOSED"
    );
    for op in ["openCycle", "closeCycle", "cancelCycle"] {
        refused(&go(op, c.clone()).await, op);
    }
    // RELEASED
    assert_eq!(
        go("releaseResults", c.clone()).await["cycle"]["status"],
        "RELEASED"
    );
    for op in all {
        refused(&go(op, c.clone()).await, op);
    }
    // CANCELLED, from DRAFT and from OPEN
    let d = new_cycle().await;
    assert_eq!(
        go("cancelCycle", d.clone()).await["cycle"]["status"],
        "CANCELLED"
    );
    for op in all {
        refused(&go(op, d.clone()).await, op);
    }
    let o = new_cycle().await;
    go("openCycle", o.clone()).await;
    assert_eq!(
        go("cancelCycle", o.clone()).await["cycle"]["status"],
        "CANCELLED"
    );
    // A draft framework is refused at creation.
    let fw = app
        .ok(
            Some(t),
            "mutation { createFramework(input: { name: \"Draft\" }) { framework { id } } }",
            json!({}),
        )
        .await;
    let bad = app.ok(Some(t), "mutation($f: ID!) { createCycle(input: { name: \"x\", frameworkId: $f }) { cycle { id } userErrors { field code } } }", json!({ "f": fw["createFramework"]["framework"]["id"] })).await;
    assert_eq!(
        bad["createCycle"]["userErrors"],
        json!([{ "field": ["input", "frameworkId"], "code": "INVALID_STATE" }])
    );
}

#[tokio::test]
async fn rater_rules_are_enforced_at_assignment() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let q = "mutation($a: ID!, $r: [RaterInput!]!) { assignRaters(input: { assessmentId: $a, raters: $r }) { reviews { id } userErrors { field code } } }";
    let ok = app.ok(Some(&org.admin), q, json!({ "a": org.assessment, "r": [{ "leaderId": org.ids["P1"], "relationship": "PEER" }] })).await;
    assert_eq!(ok["assignRaters"]["userErrors"], json!([]));
    let bad = app
        .ok(
            Some(&org.admin),
            q,
            json!({ "a": org.assessment, "r": [
        { "leaderId": org.ids["P1"], "relationship": "PEER" },
        { "leaderId": org.ids["S"], "relationship": "PEER" },
        { "leaderId": org.ids["P2"], "relationship": "SELF" },
        { "externalEmail": "x@y.test", "relationship": "PEER" },
        { "relationship": "PEER" },
    ] }),
        )
        .await;
    let codes: Vec<(Value, String)> = bad["assignRaters"]["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].clone(), e["code"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        codes,
        vec![
            (
                json!(["input", "raters", "0", "leaderId"]),
                "TAKEN".to_owned()
            ),
            (
                json!(["input", "raters", "1", "relationship"]),
                "INVALID".to_owned()
            ),
            (
                json!(["input", "raters", "2", "relationship"]),
                "INVALID".to_owned()
            ),
            (
                json!(["input", "raters", "3", "relationship"]),
                "INVALID".to_owned()
            ),
            (
                json!(["input", "raters", "4", "leaderId"]),
                "INVALID".to_owned()
            ),
        ]
    );
    // The relationship is frozen: moving P1 under S later does not re-label the review.
    app.ok(Some(&org.admin), "mutation($l: ID!, $m: ID!) { updateLeader(input: { leaderId: $l, managerId: $m }) { leader { id } } }", json!({ "l": org.ids["P1"], "m": org.ids["S"] })).await;
    let data = app.ok(Some(&org.admin), "query($a: ID!) { node(id: $a) { ... on Assessment { reviews { relationship rater { name } } } } }", json!({ "a": org.assessment })).await;
    assert_eq!(
        data["node"]["reviews"],
        json!([{ "relationship": "PEER", "rater": { "name": "P1" } }])
    );
}

#[tokio::test]
async fn results_cost_the_same_statements_whatever_the_number_of_raters() {
    let app = spawn_app().await;
    let org = open_cycle_with_raters(&app).await;
    let q = "query($a: ID!) { node(id: $a) { ... on Assessment { results { overall { others } behaviors { others byRelationship { mean } } comments { body } } } } }";
    for who in ["P1", "P2", "P3", "D1", "D2", "B", "S"] {
        let (review, inds) = review_and_indicators(&app, &org.tokens[who]).await;
        let ratings: Vec<Value> = inds
            .iter()
            .map(|i| json!({ "indicatorId": i, "score": 3 }))
            .collect();
        app.mutate(&org.tokens[who], SUBMIT, json!({ "i": { "reviewId": review, "ratings": ratings, "comments": [{ "body": "c" }] } }), "submitReview").await;
    }
    app.mutate(&org.admin, "mutation($c: ID!) { closeCycle(input: { cycleId: $c }) { cycle { status } userErrors { code } } }", json!({ "c": org.cycle }), "closeCycle").await;
    app.wait_for_kept_heatmaps().await;
    app.ok(Some(&org.admin), q, json!({ "a": org.assessment }))
        .await;
    let before = app.statements();
    app.ok(Some(&org.admin), q, json!({ "a": org.assessment }))
        .await;
    let seven = app.statements() - before;

    // A second subject with only three raters answers in the same number of statements.
    let app2 = spawn_app().await;
    let org2 = open_cycle_with_raters(&app2).await;
    for who in ["P1", "P2", "P3"] {
        let (review, inds) = review_and_indicators(&app2, &org2.tokens[who]).await;
        let ratings: Vec<Value> = inds
            .iter()
            .map(|i| json!({ "indicatorId": i, "score": 3 }))
            .collect();
        app2.mutate(&org2.tokens[who], SUBMIT, json!({ "i": { "reviewId": review, "ratings": ratings, "comments": [{ "body": "c" }] } }), "submitReview").await;
    }
    app2.mutate(&org2.admin, "mutation($c: ID!) { closeCycle(input: { cycleId: $c }) { cycle { status } userErrors { code } } }", json!({ "c": org2.cycle }), "closeCycle").await;
    app2.wait_for_kept_heatmaps().await;
    app2.ok(Some(&org2.admin), q, json!({ "a": org2.assessment }))
        .await;
    let before = app2.statements();
    app2.ok(Some(&org2.admin), q, json!({ "a": org2.assessment }))
        .await;
    let three = app2.statements() - before;
    assert_eq!(seven, three, "statements for 7 raters vs 3");
    assert!(seven <= 12, "{seven} statements");
}
