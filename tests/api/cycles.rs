//! A full 360 cycle, with every number of the results checked against values computed
//! here by hand; anonymity, visibility and the state machine.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

const QUESTIONNAIRE: &str = "{ myReviews { nodes { id status relationship assessment { subject { name } cycle { framework { behaviors { id key title indicators { id text } } } } } } } }";
const SUBMIT: &str = "mutation($i: ReviewAnswersInput!) { submitReview(input: $i) { review { status } userErrors { field code message } } }";
const RESULTS: &str = "query($a: ID!) { node(id: $a) { ... on Assessment { results { anonymityThreshold responseRate overall { self others gap } behaviors { behavior { key } self others gap othersRaterCount othersStdDev agreement gapConfidenceInterval { low high level } byRelationship { relationship raterCount suppressed neededForDisplay mean stdDev distribution } } blindSpots { behavior { key } } hiddenStrengths { behavior { key } } strengths { behavior { key } } developmentAreas { behavior { key } } comments { behavior { key } body } } } } }";

/// The people of the scenario: a subject S with manager B, peers P1..P3 and reports D1, D2.
pub struct Org {
    pub admin: String,
    pub ids: HashMap<&'static str, String>,
    pub tokens: HashMap<&'static str, String>,
    pub cycle: String,
    pub assessment: String,
}

pub async fn build(app: &TestApp) -> Org {
    let s = app.sign_up("Acme", "ada@acme.test").await;
    let mut ids = HashMap::new();
    ids.insert(
        "B",
        app.leader(&s.token, json!({ "name": "Boss", "department": "Ops" }))
            .await,
    );
    ids.insert(
        "S",
        app.leader(
            &s.token,
            json!({ "name": "Subject", "managerId": ids["B"], "department": "Ops" }),
        )
        .await,
    );
    for p in ["P1", "P2", "P3"] {
        ids.insert(
            p,
            app.leader(
                &s.token,
                json!({ "name": p, "managerId": ids["B"], "department": "Ops" }),
            )
            .await,
        );
    }
    for d in ["D1", "D2"] {
        ids.insert(
            d,
            app.leader(
                &s.token,
                json!({ "name": d, "managerId": ids["S"], "department": "Ops" }),
            )
            .await,
        );
    }
    let mut tokens = HashMap::new();
    for who in ["B", "S", "P1", "P2", "P3", "D1", "D2"] {
        tokens.insert(
            who,
            app.linked_member(
                &s.token,
                &ids[who],
                &format!("{}@acme.test", who.to_lowercase()),
            )
            .await,
        );
    }
    let cycle = app.mutate(&s.token, "mutation { createCycle(input: { name: \"2026 H2\" }) { cycle { id status framework { name } } userErrors { field code } } }", json!({}), "createCycle").await;
    let cycle_id = cycle["cycle"]["id"].as_str().unwrap().to_owned();
    let added = app.mutate(&s.token, "mutation($c: ID!, $l: [ID!]!) { addParticipants(input: { cycleId: $c, leaderIds: $l }) { assessments { id subject { name } } userErrors { field code } } }", json!({ "c": cycle_id, "l": [ids["S"]] }), "addParticipants").await;
    let assessment = added["assessments"][0]["id"].as_str().unwrap().to_owned();
    Org {
        admin: s.token,
        ids,
        tokens,
        cycle: cycle_id,
        assessment,
    }
}

/// Answers for every indicator: `score(behavior_index, indicator_index)`.
fn answers(framework: &Value, score: impl Fn(usize, usize) -> Option<i64>) -> Vec<Value> {
    let mut out = Vec::new();
    for (bi, b) in framework["behaviors"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        for (ii, ind) in b["indicators"].as_array().unwrap().iter().enumerate() {
            out.push(json!({ "indicatorId": ind["id"], "score": score(bi, ii) }));
        }
    }
    out
}

async fn my_review(app: &TestApp, token: &str) -> (String, Value) {
    let data = app.ok(Some(token), QUESTIONNAIRE, json!({})).await;
    let r = &data["myReviews"]["nodes"][0];
    (
        r["id"].as_str().unwrap().to_owned(),
        r["assessment"]["cycle"]["framework"].clone(),
    )
}

fn close(a: f64, b: &Value, what: &str) {
    let b = b
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: {b} is not a number"));
    assert!((a - b).abs() < 1e-6, "{what}: expected {a}, got {b}");
}

#[tokio::test]
async fn a_full_cycle_gives_the_results_computed_by_hand() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let a = &org.admin;
    let auto = app.mutate(a, "mutation($c: ID!) { autoAssignRaters(input: { cycleId: $c, maxPeers: 5 }) { reviews { relationship rater { name } } userErrors { field code } } }", json!({ "c": org.cycle }), "autoAssignRaters").await;
    let mut assigned: Vec<(String, String)> = auto["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["relationship"].as_str().unwrap().to_owned(),
                r["rater"]["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assigned.sort();
    let expected: Vec<(String, String)> = [
        ("DIRECT_REPORT", "D1"),
        ("DIRECT_REPORT", "D2"),
        ("MANAGER", "Boss"),
        ("PEER", "P1"),
        ("PEER", "P2"),
        ("PEER", "P3"),
        ("SELF", "Subject"),
    ]
    .iter()
    .map(|(r, n)| ((*r).to_owned(), (*n).to_owned()))
    .collect();
    assert_eq!(assigned, expected);
    // Running it again assigns nobody twice.
    let again = app.mutate(a, "mutation($c: ID!) { autoAssignRaters(input: { cycleId: $c }) { reviews { id } userErrors { code } } }", json!({ "c": org.cycle }), "autoAssignRaters").await;
    assert_eq!(again["reviews"], json!([]));
    // An external partner, who will decline.
    let ext = app.mutate(a, "mutation($a: ID!) { assignRaters(input: { assessmentId: $a, raters: [{ externalEmail: \"Partner@Supplier.test\", relationship: EXTERNAL }] }) { reviews { id relationship externalEmail } userErrors { field code } } }", json!({ "a": org.assessment }), "assignRaters").await;
    assert_eq!(ext["reviews"][0]["externalEmail"], "partner@supplier.test");
    let ext_review = ext["reviews"][0]["id"].as_str().unwrap().to_owned();
    app.mutate(a, "mutation($c: ID!) { openCycle(input: { cycleId: $c }) { cycle { status } userErrors { code } } }", json!({ "c": org.cycle }), "openCycle").await;

    let (_, framework) = my_review(&app, &org.tokens["S"]).await;
    let behaviors = framework["behaviors"].as_array().unwrap();
    assert_eq!(behaviors.len(), 12);
    let key = |i: usize| behaviors[i]["key"].as_str().unwrap().to_owned();
    let bid = |i: usize| behaviors[i]["id"].clone();

    // Scores: self 5 (but 2 on behavior 3); manager 3 (5 on b12, 1 on b11); reports 4 and 2;
    // peers 4, 3 and 5, where P3 did not observe b1 and P2 answered only b2's first indicator.
    type Score = Box<dyn Fn(usize, usize) -> Option<i64>>;
    let plan: Vec<(&str, Score, Vec<Value>)> = vec![
        (
            "S",
            Box::new(|b, _| Some(if b == 2 { 2 } else { 5 })),
            vec![json!({ "behaviorId": bid(0), "body": "I try" })],
        ),
        (
            "B",
            Box::new(|b, _| {
                Some(match b {
                    11 => 5,
                    10 => 1,
                    _ => 3,
                })
            }),
            vec![json!({ "body": "Good work" })],
        ),
        (
            "D1",
            Box::new(|_, _| Some(4)),
            vec![json!({ "behaviorId": bid(1), "body": "Listens well" })],
        ),
        ("D2", Box::new(|_, _| Some(2)), vec![]),
        (
            "P1",
            Box::new(|_, _| Some(4)),
            vec![json!({ "behaviorId": bid(1), "body": "Shares credit" })],
        ),
        (
            "P2",
            Box::new(|b, i| if b == 1 && i > 0 { None } else { Some(3) }),
            vec![],
        ),
        (
            "P3",
            Box::new(|b, _| if b == 0 { None } else { Some(5) }),
            vec![],
        ),
    ];
    for (who, score, comments) in &plan {
        let (review, fw) = my_review(&app, &org.tokens[who]).await;
        let ratings = answers(&fw, score);
        let submitted = app
            .mutate(
                &org.tokens[who],
                SUBMIT,
                json!({ "i": { "reviewId": review, "ratings": ratings, "comments": comments } }),
                "submitReview",
            )
            .await;
        assert_eq!(submitted["review"]["status"], "SUBMITTED", "{who}");
    }
    // Results are not visible to HR while the cycle is open.
    let open = app
        .ok(Some(a), RESULTS, json!({ "a": org.assessment }))
        .await;
    assert_eq!(open["node"]["results"], Value::Null);

    // The external rater declines with their own scoped token.
    let inv = app.mutate(a, "mutation($r: ID!) { inviteExternalRater(input: { reviewId: $r }) { token userErrors { code } } }", json!({ "r": ext_review }), "inviteExternalRater").await;
    let ext_token = inv["token"].as_str().unwrap().to_owned();
    app.mutate(&ext_token, "mutation($r: ID!) { declineReview(input: { reviewId: $r }) { review { status } userErrors { code } } }", json!({ "r": ext_review }), "declineReview").await;

    app.mutate(a, "mutation($c: ID!) { closeCycle(input: { cycleId: $c }) { cycle { status } userErrors { code } } }", json!({ "c": org.cycle }), "closeCycle").await;
    // Closed: HR sees results, the subject does not yet.
    let subject_view = app
        .ok(
            Some(&org.tokens["S"]),
            RESULTS,
            json!({ "a": org.assessment }),
        )
        .await;
    assert_eq!(subject_view["node"]["results"], Value::Null);
    let hr = app
        .ok(Some(a), RESULTS, json!({ "a": org.assessment }))
        .await;
    let r = &hr["node"]["results"];
    assert_eq!(r["anonymityThreshold"], 3);
    close(7.0 / 8.0, &r["responseRate"], "responseRate");
    let b = |i: usize| &r["behaviors"][i];

    // b1: peers 4 and 3 (P3 did not observe): 2 < 3, suppressed; others would be the
    // manager alone (1 rater), under the threshold too: no others, no gap.
    let g = |i: usize, rel: &str| {
        b(i)["byRelationship"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["relationship"] == rel)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        g(0, "PEER"),
        json!({ "relationship": "PEER", "raterCount": 2, "suppressed": true, "neededForDisplay": 1, "mean": null, "stdDev": null, "distribution": null })
    );
    assert_eq!(b(0)["others"], Value::Null);
    assert_eq!(b(0)["gap"], Value::Null);
    close(5.0, &b(0)["self"], "b1 self");

    // b2: reports (2) suppressed and left out; peers 4, 3, 5 shown (P3's submission made
    // the third); others = (3 + 4 + 3 + 5) / 4.
    assert_eq!(g(1, "DIRECT_REPORT")["suppressed"], true);
    assert_eq!(g(1, "DIRECT_REPORT")["mean"], Value::Null);
    let peers = g(1, "PEER");
    assert_eq!(
        (peers["raterCount"].as_i64(), peers["suppressed"].as_bool()),
        (Some(3), Some(false))
    );
    close(4.0, &peers["mean"], "b2 peers mean");
    close(1.0, &peers["stdDev"], "b2 peers sd");
    assert_eq!(peers["distribution"], json!([0, 0, 1, 1, 1]));
    assert_eq!(g(1, "MANAGER")["distribution"], json!([0, 0, 1, 0, 0]));
    close(3.75, &b(1)["others"], "b2 others");
    assert_eq!(b(1)["othersRaterCount"], 4);
    let sd = (2.75f64 / 3.0).sqrt();
    close(sd, &b(1)["othersStdDev"], "b2 others sd");
    close(1.25, &b(1)["gap"], "b2 gap");
    let h = 3.182 * sd / 2.0;
    close(1.25 - h, &b(1)["gapConfidenceInterval"]["low"], "b2 CI low");
    close(
        1.25 + h,
        &b(1)["gapConfidenceInterval"]["high"],
        "b2 CI high",
    );
    close(1.0 - sd / 2.0, &b(1)["agreement"], "b2 agreement");

    // b3: self 2 against others 3.75: a hidden strength.
    close(-1.75, &b(2)["gap"], "b3 gap");
    close(4.25, &b(11)["others"], "b12 others");
    close(3.25, &b(10)["others"], "b11 others");
    let keys = |v: &Value| {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x["behavior"]["key"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let mut blind = vec![key(10), key(1)];
    blind.extend((3..10).map(key));
    blind.push(key(11));
    assert_eq!(keys(&r["blindSpots"]), blind);
    assert_eq!(keys(&r["hiddenStrengths"]), vec![key(2)]);
    assert_eq!(keys(&r["strengths"]), vec![key(11), key(1), key(2)]);
    assert_eq!(keys(&r["developmentAreas"]), vec![key(10), key(1), key(2)]);
    close(57.0 / 12.0, &r["overall"]["self"], "overall self");
    close(3.75, &r["overall"]["others"], "overall others");
    close(57.0 / 12.0 - 3.75, &r["overall"]["gap"], "overall gap");
    // Comments: the reports' group is suppressed, so "Listens well" is not shown.
    assert_eq!(
        r["comments"],
        json!([{ "behavior": { "key": key(0) }, "body": "I try" }, { "behavior": { "key": key(1) }, "body": "Shares credit" }, { "behavior": null, "body": "Good work" }])
    );

    app.mutate(a, "mutation($c: ID!) { releaseResults(input: { cycleId: $c }) { cycle { status } userErrors { code } } }", json!({ "c": org.cycle }), "releaseResults").await;
    let mine = app
        .ok(
            Some(&org.tokens["S"]),
            RESULTS,
            json!({ "a": org.assessment }),
        )
        .await;
    assert_eq!(
        mine["node"]["results"], hr["node"]["results"],
        "the subject sees what HR sees"
    );
    let boss = app
        .ok(
            Some(&org.tokens["B"]),
            RESULTS,
            json!({ "a": org.assessment }),
        )
        .await;
    assert_eq!(boss["node"]["results"]["overall"], r["overall"]);
    let peer = app
        .ok(
            Some(&org.tokens["P1"]),
            RESULTS,
            json!({ "a": org.assessment }),
        )
        .await;
    assert_eq!(peer["node"]["results"], Value::Null);
    let d = app
        .ok(
            Some(&org.tokens["D1"]),
            RESULTS,
            json!({ "a": org.assessment }),
        )
        .await;
    assert_eq!(
        d["node"],
        json!({ "results": null }),
        "a rater sees the assessment, not its results"
    );
}
