//! The cycle heatmap and a leader's trend, with their thresholds and permissions.

use serde_json::{Value, json};

use crate::cycles::{Org, build};
use crate::helpers::{TestApp, spawn_app};

const ALL_REVIEWS: &str = "{ myReviews(filter: { status: PENDING }, first: 100) { nodes { id relationship assessment { cycle { framework { behaviors { indicators { id } } } } } } } }";

/// Every rater answers every pending review: `self_score` for their own, `score` otherwise.
async fn answer_all(app: &TestApp, org: &Org, score: i64, self_score: i64) {
    for token in org.tokens.values() {
        let data = app.ok(Some(token), ALL_REVIEWS, json!({})).await;
        for r in data["myReviews"]["nodes"].as_array().unwrap() {
            let s = if r["relationship"] == "SELF" {
                self_score
            } else {
                score
            };
            let ratings: Vec<Value> = r["assessment"]["cycle"]["framework"]["behaviors"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|b| {
                    b["indicators"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(move |i| json!({ "indicatorId": i["id"], "score": s }))
                })
                .collect();
            app.mutate(token, "mutation($i: ReviewAnswersInput!) { submitReview(input: $i) { review { status } userErrors { field code } } }", json!({ "i": { "reviewId": r["id"], "ratings": ratings } }), "submitReview").await;
        }
    }
}

async fn step(app: &TestApp, admin: &str, op: &str, cycle: &str) {
    app.mutate(admin, &format!("mutation($c: ID!) {{ {op}(input: {{ cycleId: $c }}) {{ cycle {{ status }} userErrors {{ code }} }} }}"), json!({ "c": cycle }), op).await;
}

async fn run_cycle(app: &TestApp, org: &Org, cycle: &str, score: i64) {
    let subjects = [
        &org.ids["S"],
        &org.ids["P1"],
        &org.ids["P2"],
        &org.ids["P3"],
    ];
    app.mutate(&org.admin, "mutation($c: ID!, $l: [ID!]!) { addParticipants(input: { cycleId: $c, leaderIds: $l }) { assessments { id } userErrors { code } } }", json!({ "c": cycle, "l": subjects }), "addParticipants").await;
    app.mutate(&org.admin, "mutation($c: ID!) { autoAssignRaters(input: { cycleId: $c }) { reviews { id } userErrors { code } } }", json!({ "c": cycle }), "autoAssignRaters").await;
    step(app, &org.admin, "openCycle", cycle).await;
    answer_all(app, org, score, 2).await;
    step(app, &org.admin, "closeCycle", cycle).await;
}

const HEATMAP: &str = "query($c: ID!, $g: HeatmapGrouping!) { cycleHeatmap(cycleId: $c, groupBy: $g) { behaviors { key } rows { key label subjectCount cells { behavior { key } mean subjectCount raterCount suppressed } } } }";

#[tokio::test]
async fn the_heatmap_groups_subjects_and_hides_small_cells() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let (_, body) = app
        .gql(
            Some(&org.admin),
            HEATMAP,
            json!({ "c": org.cycle, "g": "DEPARTMENT" }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "not before the cycle closes"
    );
    let duo = app
        .ok(
            Some(&org.admin),
            "mutation { createTeam(input: { name: \"Duo\" }) { team { id } } }",
            json!({}),
        )
        .await["createTeam"]["team"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.ok(Some(&org.admin), "mutation($t: ID!, $l: [ID!]!) { addTeamMembers(input: { teamId: $t, leaderIds: $l }) { team { id } } }", json!({ "t": duo, "l": [org.ids["S"], org.ids["P1"]] })).await;
    run_cycle(&app, &org, &org.cycle, 4).await;

    let dept = app
        .ok(
            Some(&org.admin),
            HEATMAP,
            json!({ "c": org.cycle, "g": "DEPARTMENT" }),
        )
        .await;
    let rows = dept["cycleHeatmap"]["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0]["label"].as_str(), rows[0]["subjectCount"].as_i64()),
        (Some("Ops"), Some(4))
    );
    // S: manager, 2 reports, 3 peers; each peer: manager and 3 peers. Self is left out.
    for cell in rows[0]["cells"].as_array().unwrap() {
        assert_eq!(cell["mean"], json!(4.0));
        assert_eq!(
            (
                cell["subjectCount"].as_i64(),
                cell["raterCount"].as_i64(),
                cell["suppressed"].as_bool()
            ),
            (Some(4), Some(18), Some(false))
        );
    }
    let by_manager = app
        .ok(
            Some(&org.admin),
            HEATMAP,
            json!({ "c": org.cycle, "g": "MANAGER" }),
        )
        .await;
    assert_eq!(by_manager["cycleHeatmap"]["rows"][0]["label"], "Boss");
    let by_team = app
        .ok(
            Some(&org.admin),
            HEATMAP,
            json!({ "c": org.cycle, "g": "TEAM" }),
        )
        .await;
    let team_row = &by_team["cycleHeatmap"]["rows"][0];
    assert_eq!(team_row["label"], "Duo");
    for cell in team_row["cells"].as_array().unwrap() {
        assert_eq!(
            (
                cell["mean"].clone(),
                cell["subjectCount"].as_i64(),
                cell["suppressed"].as_bool()
            ),
            (Value::Null, Some(2), Some(true))
        );
    }
    // Members do not see org-level aggregates.
    let (_, body) = app
        .gql(
            Some(&org.tokens["S"]),
            HEATMAP,
            json!({ "c": org.cycle, "g": "DEPARTMENT" }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
}

#[tokio::test]
async fn a_leaders_trend_follows_a_behavior_key_across_framework_versions() {
    let app = spawn_app().await;
    let org = build(&app).await;
    run_cycle(&app, &org, &org.cycle, 4).await;
    step(&app, &org.admin, "releaseResults", &org.cycle).await;
    // The next cycle uses version 2 of the framework: same keys, new ids.
    let fws = app
        .ok(
            Some(&org.admin),
            "{ frameworks { nodes { id isBuiltIn } } }",
            json!({}),
        )
        .await;
    let built_in = fws["frameworks"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["isBuiltIn"] == true)
        .unwrap()["id"]
        .clone();
    let v2 = app.mutate(&org.admin, "mutation($f: ID!) { createFramework(input: { basedOnId: $f }) { framework { id version } userErrors { code } } }", json!({ "f": built_in }), "createFramework").await;
    let v2_id = v2["framework"]["id"].clone();
    app.mutate(&org.admin, "mutation($f: ID!) { publishFramework(input: { frameworkId: $f }) { framework { status } userErrors { code } } }", json!({ "f": v2_id }), "publishFramework").await;
    let c2 = app.mutate(&org.admin, "mutation($f: ID!) { createCycle(input: { name: \"2027 H1\", frameworkId: $f }) { cycle { id } userErrors { code } } }", json!({ "f": v2_id }), "createCycle").await;
    let c2_id = c2["cycle"]["id"].as_str().unwrap().to_owned();
    run_cycle(&app, &org, &c2_id, 3).await;
    // Closed but not released: not part of the trend yet.
    let q = "query($l: ID!, $k: String!) { leaderTrend(leaderId: $l, behaviorKey: $k) { cycle { name } behavior { key framework { version } } self others gap othersRaterCount } }";
    let data = app
        .ok(
            Some(&org.tokens["S"]),
            q,
            json!({ "l": org.ids["S"], "k": "DEMAND_DIALOGUE" }),
        )
        .await;
    assert_eq!(data["leaderTrend"].as_array().unwrap().len(), 1);
    step(&app, &org.admin, "releaseResults", &c2_id).await;
    let data = app
        .ok(
            Some(&org.tokens["S"]),
            q,
            json!({ "l": org.ids["S"], "k": "demand_dialogue" }),
        )
        .await;
    assert_eq!(
        data["leaderTrend"],
        json!([
            { "cycle": { "name": "2026 H2" }, "behavior": { "key": "DEMAND_DIALOGUE", "framework": { "version": 1 } }, "self": 2.0, "others": 4.0, "gap": -2.0, "othersRaterCount": 4 },
            { "cycle": { "name": "2027 H1" }, "behavior": { "key": "DEMAND_DIALOGUE", "framework": { "version": 2 } }, "self": 2.0, "others": 3.0, "gap": -1.0, "othersRaterCount": 4 },
        ])
    );
    // The manager may look; a peer may not.
    assert!(
        app.gql(
            Some(&org.tokens["B"]),
            q,
            json!({ "l": org.ids["S"], "k": "DEMAND_DIALOGUE" })
        )
        .await
        .1
        .get("errors")
        .is_none()
    );
    let (_, body) = app
        .gql(
            Some(&org.tokens["P1"]),
            q,
            json!({ "l": org.ids["S"], "k": "DEMAND_DIALOGUE" }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
}

#[tokio::test]
async fn completion_counts_who_answered_and_late_answers_are_refused() {
    let app = spawn_app().await;
    let org = build(&app).await;
    app.mutate(&org.admin, "mutation($c: ID!) { autoAssignRaters(input: { cycleId: $c }) { reviews { id } userErrors { code } } }", json!({ "c": org.cycle }), "autoAssignRaters").await;
    step(&app, &org.admin, "openCycle", &org.cycle).await;
    let mine = app
        .ok(
            Some(&org.tokens["D2"]),
            "{ myReviews { nodes { id } } }",
            json!({}),
        )
        .await;
    app.mutate(&org.tokens["D2"], "mutation($r: ID!) { declineReview(input: { reviewId: $r }) { review { status } userErrors { code } } }", json!({ "r": mine["myReviews"]["nodes"][0]["id"] }), "declineReview").await;
    let one = Org {
        admin: org.admin.clone(),
        ids: org.ids.clone(),
        tokens: [("P1", org.tokens["P1"].clone())].into_iter().collect(),
        cycle: org.cycle.clone(),
        assessment: org.assessment.clone(),
    };
    answer_all(&app, &one, 4, 4).await;
    let data = app.ok(Some(&org.admin), "query($c: ID!) { node(id: $c) { ... on AssessmentCycle { completion { invited submitted declined pending rate byRelationship { relationship invited submitted declined } } } } }", json!({ "c": org.cycle })).await;
    let c = &data["node"]["completion"];
    assert_eq!(
        (
            c["invited"].as_i64(),
            c["submitted"].as_i64(),
            c["declined"].as_i64(),
            c["pending"].as_i64()
        ),
        (Some(7), Some(1), Some(1), Some(5))
    );
    assert_eq!(
        c["byRelationship"],
        json!([
            { "relationship": "SELF", "invited": 1, "submitted": 0, "declined": 0 },
            { "relationship": "MANAGER", "invited": 1, "submitted": 0, "declined": 0 },
            { "relationship": "DIRECT_REPORT", "invited": 2, "submitted": 0, "declined": 1 },
            { "relationship": "PEER", "invited": 3, "submitted": 1, "declined": 0 },
        ])
    );

    // A cycle whose closing time has passed refuses answers even while open.
    let past = app.mutate(&org.admin, "mutation { createCycle(input: { name: \"late\", opensAt: \"2020-01-01T00:00:00Z\", closesAt: \"2020-02-01T00:00:00Z\" }) { cycle { id } userErrors { code } } }", json!({}), "createCycle").await;
    let late = past["cycle"]["id"].as_str().unwrap().to_owned();
    app.mutate(&org.admin, "mutation($c: ID!, $l: [ID!]!) { addParticipants(input: { cycleId: $c, leaderIds: $l }) { assessments { id } userErrors { code } } }", json!({ "c": late, "l": [org.ids["P2"]] }), "addParticipants").await;
    app.mutate(&org.admin, "mutation($c: ID!) { autoAssignRaters(input: { cycleId: $c, includeManager: false, includeDirectReports: false, maxPeers: 0 }) { reviews { id } userErrors { code } } }", json!({ "c": late }), "autoAssignRaters").await;
    step(&app, &org.admin, "openCycle", &late).await;
    let data = app
        .ok(
            Some(&org.tokens["P2"]),
            "{ myReviews(filter: { status: PENDING }) { nodes { id } } }",
            json!({}),
        )
        .await;
    let r = app.ok(Some(&org.tokens["P2"]), "mutation($r: ID!) { saveReview(input: { reviewId: $r }) { userErrors { code message } } }", json!({ "r": data["myReviews"]["nodes"].as_array().unwrap().last().unwrap()["id"] })).await;
    assert_eq!(r["saveReview"]["userErrors"][0]["code"], "INVALID_STATE");
}

fn row_labels(heatmap: &Value) -> Vec<(String, i64)> {
    heatmap["cycleHeatmap"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["label"].as_str().unwrap().to_owned(),
                r["subjectCount"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn kept_heatmaps_serve_every_instance_until_people_move_by_any_path() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    let org = build(&app).await;
    run_cycle(&app, &org, &org.cycle, 4).await;
    // Closing the cycle computed and kept its heatmaps, each grouping.
    app.wait_for_kept_heatmaps().await;
    let by_department = json!({ "c": org.cycle, "g": "DEPARTMENT" });
    let seen = app
        .ok(Some(&org.admin), HEATMAP, by_department.clone())
        .await;
    assert_eq!(row_labels(&seen), [("Ops".to_owned(), 4)]);

    // Another instance, with nothing in memory, answers from the kept sums: marked by
    // hand here, so that an answer computed afresh would show.
    app.db
        .execute_unprepared(
            "UPDATE heatmap_snapshots SET sums = REPLACE(sums, '\"Ops\"', '\"Kept\"') \
             WHERE group_by = 'DEPARTMENT'",
        )
        .await
        .unwrap();
    let other = crate::helpers::another_instance_with(&app, |_| {}).await;
    let kept = other
        .ok(Some(&org.admin), HEATMAP, by_department.clone())
        .await;
    assert_eq!(row_labels(&kept), [("Kept".to_owned(), 4)]);

    // People moved by an operator's SQL, past the API: both instances see it at once,
    // the first one despite the sums in its memory.
    app.db
        .execute_unprepared("UPDATE leaders SET department = 'Sales' WHERE department = 'Ops'")
        .await
        .unwrap();
    for instance in [&app, &other] {
        let moved = instance
            .ok(Some(&org.admin), HEATMAP, by_department.clone())
            .await;
        assert_eq!(row_labels(&moved), [("Sales".to_owned(), 4)]);
    }

    // A team formed after the cycle closed shows in the team heatmap at once.
    let by_team = json!({ "c": org.cycle, "g": "TEAM" });
    let before = app.ok(Some(&org.admin), HEATMAP, by_team.clone()).await;
    assert_eq!(row_labels(&before), []);
    let trio = app
        .ok(
            Some(&org.admin),
            "mutation { createTeam(input: { name: \"Trio\" }) { team { id } } }",
            json!({}),
        )
        .await["createTeam"]["team"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.ok(Some(&org.admin), "mutation($t: ID!, $l: [ID!]!) { addTeamMembers(input: { teamId: $t, leaderIds: $l }) { team { id } } }", json!({ "t": trio, "l": [org.ids["S"], org.ids["P1"], org.ids["P2"]] })).await;
    for instance in [&app, &other] {
        let after = instance
            .ok(Some(&org.admin), HEATMAP, by_team.clone())
            .await;
        assert_eq!(row_labels(&after), [("Trio".to_owned(), 3)]);
    }

    // Another organization asking for this cycle's heatmap gets nothing.
    let stranger = app.sign_up("Globex", "hr@globex.test").await;
    let (_, body) = app.gql(Some(&stranger.token), HEATMAP, by_department).await;
    assert_eq!(body["data"], Value::Null);
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
}
