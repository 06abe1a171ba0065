//! Development plans: suggestions from known results, lifecycles, dialogue permissions,
//! measured evidence across cycles, and tenancy.

use serde_json::{Value, json};

use crate::cycles::{Org, build};
use crate::helpers::{TestApp, spawn_app};

const PENDING: &str = "{ myReviews(filter: { status: PENDING }, first: 100) { nodes { id relationship assessment { subject { name } cycle { framework { behaviors { indicators { id } } } } } } } }";

/// Raters of S answer: self 5; manager 3; peers 4, but `peer(b)` on behavior b.
async fn run_cycle(app: &TestApp, org: &Org, cycle: &str, peer: impl Fn(usize) -> i64) -> String {
    let added = app.mutate(&org.admin, "mutation($c: ID!, $l: [ID!]!) { addParticipants(input: { cycleId: $c, leaderIds: $l }) { assessments { id } userErrors { code } } }", json!({ "c": cycle, "l": [org.ids["S"]] }), "addParticipants").await;
    let assessment = added["assessments"][0]["id"].as_str().unwrap().to_owned();
    app.mutate(&org.admin, "mutation($c: ID!) { autoAssignRaters(input: { cycleId: $c }) { reviews { id } userErrors { code } } }", json!({ "c": cycle }), "autoAssignRaters").await;
    app.mutate(&org.admin, "mutation($c: ID!) { openCycle(input: { cycleId: $c }) { cycle { id } userErrors { code } } }", json!({ "c": cycle }), "openCycle").await;
    for who in ["S", "B", "P1", "P2", "P3"] {
        let data = app.ok(Some(&org.tokens[who]), PENDING, json!({})).await;
        for r in data["myReviews"]["nodes"].as_array().unwrap() {
            let ratings: Vec<Value> = r["assessment"]["cycle"]["framework"]["behaviors"]
                .as_array()
                .unwrap()
                .iter()
                .enumerate()
                .flat_map(|(bi, b)| {
                    let s = match who {
                        "S" => 5,
                        "B" => 3,
                        _ => peer(bi),
                    };
                    b["indicators"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(move |i| json!({ "indicatorId": i["id"], "score": s }))
                        .collect::<Vec<_>>()
                })
                .collect();
            app.mutate(&org.tokens[who], "mutation($i: ReviewAnswersInput!) { submitReview(input: $i) { review { id } userErrors { code } } }", json!({ "i": { "reviewId": r["id"], "ratings": ratings } }), "submitReview").await;
        }
    }
    for op in ["closeCycle", "releaseResults"] {
        app.mutate(&org.admin, &format!("mutation($c: ID!) {{ {op}(input: {{ cycleId: $c }}) {{ cycle {{ id }} userErrors {{ code }} }} }}"), json!({ "c": cycle }), op).await;
    }
    assessment
}

fn first_peers(b: usize) -> i64 {
    match b {
        4 => 2,
        6 | 8 => 3,
        _ => 4,
    }
}

const CREATE: &str = "mutation($i: CreateDevelopmentPlanInput!) { createDevelopmentPlan(input: $i) { plan { id title status goals { id title status behavior { key position } suggestion { reason others self gap othersRaterCount } } } userErrors { field code } } }";

async fn plan_from_results(app: &TestApp, org: &Org) -> (Value, String) {
    let assessment = run_cycle(app, org, &org.cycle, first_peers).await;
    let data = app
        .mutate(
            &org.tokens["S"],
            CREATE,
            json!({ "i": { "leaderId": org.ids["S"], "fromAssessmentId": assessment } }),
            "createDevelopmentPlan",
        )
        .await;
    (data["plan"].clone(), assessment)
}

#[tokio::test]
async fn a_plan_from_results_suggests_the_weakest_behaviors_with_their_evidence() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let (plan, _) = plan_from_results(&app, &org).await;
    assert_eq!(plan["status"], "DRAFT");
    assert_eq!(plan["title"], "Development plan from 2026 H2");
    let goals = plan["goals"].as_array().unwrap();
    let positions: Vec<i64> = goals
        .iter()
        .map(|g| g["behavior"]["position"].as_i64().unwrap())
        .collect();
    // Lowest others first (b5: (3+2+2+2)/4 = 2.25), then b7 and b9 (3.0, gap 2.0) by position.
    assert_eq!(positions, vec![5, 7, 9]);
    assert_eq!(
        goals[0]["suggestion"],
        json!({ "reason": "DEVELOPMENT_AREA_AND_BLIND_SPOT", "others": 2.25, "self": 5.0, "gap": 2.75, "othersRaterCount": 4 })
    );
    assert_eq!(goals[1]["suggestion"]["others"], json!(3.0));
    assert!(goals.iter().all(|g| g["status"] == "NOT_STARTED"));
    // Without an assessment, a plan starts empty; a draft-cycle assessment is refused.
    let empty = app
        .mutate(
            &org.tokens["S"],
            CREATE,
            json!({ "i": { "leaderId": org.ids["S"], "title": "Mine" } }),
            "createDevelopmentPlan",
        )
        .await;
    assert_eq!(empty["plan"]["goals"], json!([]));
    let c2 = app.mutate(&org.admin, "mutation { createCycle(input: { name: \"next\" }) { cycle { id } userErrors { code } } }", json!({}), "createCycle").await;
    let a2 = app.mutate(&org.admin, "mutation($c: ID!, $l: [ID!]!) { addParticipants(input: { cycleId: $c, leaderIds: $l }) { assessments { id } userErrors { code } } }", json!({ "c": c2["cycle"]["id"], "l": [org.ids["S"]] }), "addParticipants").await;
    let bad = app.ok(Some(&org.tokens["S"]), CREATE, json!({ "i": { "leaderId": org.ids["S"], "fromAssessmentId": a2["assessments"][0]["id"] } })).await;
    assert_eq!(
        bad["createDevelopmentPlan"]["userErrors"],
        json!([{ "field": ["input", "fromAssessmentId"], "code": "INVALID_STATE" }])
    );
    // Nobody but the leader (or HR) starts a plan for them.
    let (_, body) = app
        .gql(
            Some(&org.tokens["P1"]),
            CREATE,
            json!({ "i": { "leaderId": org.ids["S"] } }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
}

#[tokio::test]
async fn evidence_measures_a_goal_across_later_cycles() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let (plan, _) = plan_from_results(&app, &org).await;
    let goal = plan["goals"][0]["id"].clone();
    let c2 = app.mutate(&org.admin, "mutation { createCycle(input: { name: \"2027 H1\" }) { cycle { id } userErrors { code } } }", json!({}), "createCycle").await;
    run_cycle(&app, &org, c2["cycle"]["id"].as_str().unwrap(), |_| 4).await;
    let q = "query($g: ID!) { node(id: $g) { ... on Goal { behavior { key } evidence { cycle { name } others self gap othersRaterCount } } } }";
    let data = app
        .ok(Some(&org.tokens["S"]), q, json!({ "g": goal }))
        .await;
    assert_eq!(
        data["node"]["evidence"],
        json!([
            { "cycle": { "name": "2026 H2" }, "others": 2.25, "self": 5.0, "gap": 2.75, "othersRaterCount": 4 },
            { "cycle": { "name": "2027 H1" }, "others": 3.75, "self": 5.0, "gap": 1.25, "othersRaterCount": 4 },
        ])
    );
    // A supporter reads the plan but not the scores behind it.
    let plan_id = plan["id"].clone();
    app.mutate(&org.tokens["S"], "mutation($p: ID!, $l: ID!) { addPlanSupporter(input: { planId: $p, leaderId: $l, role: PEER }) { supporter { role } userErrors { code } } }", json!({ "p": plan_id, "l": org.ids["P1"] }), "addPlanSupporter").await;
    let data = app.ok(Some(&org.tokens["P1"]), "query($g: ID!) { node(id: $g) { ... on Goal { evidence { others } suggestion { reason others } } } }", json!({ "g": goal })).await;
    assert_eq!(
        data["node"],
        json!({ "evidence": [], "suggestion": { "reason": "DEVELOPMENT_AREA_AND_BLIND_SPOT", "others": null } })
    );
}

#[tokio::test]
async fn plans_goals_and_actions_follow_their_lifecycles() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.tokens["S"];
    let plan = app
        .mutate(
            t,
            CREATE,
            json!({ "i": { "leaderId": org.ids["S"] } }),
            "createDevelopmentPlan",
        )
        .await;
    let p = plan["plan"]["id"].clone();
    let fw = app
        .ok(
            Some(t),
            "{ frameworks { nodes { behaviors { id } } } }",
            json!({}),
        )
        .await;
    let behavior = fw["frameworks"]["nodes"][0]["behaviors"][8]["id"].clone();
    let g = app.mutate(t, "mutation($p: ID!, $b: ID!) { addGoal(input: { planId: $p, behaviorId: $b, title: \"Hold real dialogue\", successMeasure: \"Team says so\", targetDate: \"2027-06-30\" }) { goal { id status progress } userErrors { field code } } }", json!({ "p": p, "b": behavior }), "addGoal").await;
    let goal = g["goal"]["id"].clone();
    let a = app.mutate(t, "mutation($g: ID!) { addAction(input: { goalId: $g, title: \"Weekly open hour\", dueDate: \"2020-01-01\" }) { action { id overdue } userErrors { code } } }", json!({ "g": goal }), "addAction").await;
    assert_eq!(a["action"]["overdue"], true);
    let action = a["action"]["id"].clone();
    let upd = "mutation($i: UpdateGoalInput!) { updateGoal(input: $i) { goal { status progress } userErrors { field code } } }";
    let bad = app
        .ok(
            Some(t),
            upd,
            json!({ "i": { "goalId": goal, "status": "ACHIEVED" } }),
        )
        .await;
    assert_eq!(
        bad["updateGoal"]["userErrors"],
        json!([{ "field": ["input", "status"], "code": "INVALID_STATE" }])
    );
    let bad = app
        .ok(
            Some(t),
            upd,
            json!({ "i": { "goalId": goal, "progress": 101 } }),
        )
        .await;
    assert_eq!(
        bad["updateGoal"]["userErrors"],
        json!([{ "field": ["input", "progress"], "code": "OUT_OF_RANGE" }])
    );
    let plan_upd = "mutation($p: ID!, $s: PlanStatus) { updateDevelopmentPlan(input: { planId: $p, status: $s }) { plan { status } userErrors { field code } } }";
    assert_eq!(
        app.ok(Some(t), plan_upd, json!({ "p": p, "s": "COMPLETED" }))
            .await["updateDevelopmentPlan"]["userErrors"][0]["code"],
        "INVALID_STATE"
    );
    assert_eq!(
        app.mutate(
            t,
            plan_upd,
            json!({ "p": p, "s": "ACTIVE" }),
            "updateDevelopmentPlan"
        )
        .await["plan"]["status"],
        "ACTIVE"
    );
    let rm = app
        .ok(
            Some(t),
            "mutation($g: ID!) { removeGoal(input: { goalId: $g }) { userErrors { code } } }",
            json!({ "g": goal }),
        )
        .await;
    assert_eq!(rm["removeGoal"]["userErrors"][0]["code"], "INVALID_STATE");
    app.mutate(
        t,
        upd,
        json!({ "i": { "goalId": goal, "status": "IN_PROGRESS", "progress": 40 } }),
        "updateGoal",
    )
    .await;
    app.mutate(t, "mutation($a: ID!) { completeAction(input: { actionId: $a }) { action { completedAt } userErrors { code } } }", json!({ "a": action }), "completeAction").await;
    let again = app
        .ok(
            Some(t),
            "mutation($a: ID!) { completeAction(input: { actionId: $a }) { userErrors { code } } }",
            json!({ "a": action }),
        )
        .await;
    assert_eq!(
        again["completeAction"]["userErrors"][0]["code"],
        "INVALID_STATE"
    );
    let done = app
        .mutate(
            t,
            upd,
            json!({ "i": { "goalId": goal, "status": "ACHIEVED" } }),
            "updateGoal",
        )
        .await;
    assert_eq!(
        done["goal"],
        json!({ "status": "ACHIEVED", "progress": 100 })
    );
    let progress = app.ok(Some(t), "query($p: ID!) { node(id: $p) { ... on DevelopmentPlan { progress { goals achieved percent actions completedActions overdueActions } overdue: actions(filter: { dueBefore: \"2030-01-01\", completed: false }) { title } } } }", json!({ "p": p })).await;
    assert_eq!(
        progress["node"]["progress"],
        json!({ "goals": 1, "achieved": 1, "percent": 100.0, "actions": 1, "completedActions": 1, "overdueActions": 0 })
    );
    assert_eq!(progress["node"]["overdue"], json!([]));
    assert_eq!(
        app.mutate(
            t,
            plan_upd,
            json!({ "p": p, "s": "COMPLETED" }),
            "updateDevelopmentPlan"
        )
        .await["plan"]["status"],
        "COMPLETED"
    );
    assert_eq!(
        app.ok(Some(t), plan_upd, json!({ "p": p, "s": "ACTIVE" }))
            .await["updateDevelopmentPlan"]["userErrors"][0]["code"],
        "INVALID_STATE"
    );
    let closed = app.ok(Some(t), "mutation($g: ID!) { addAction(input: { goalId: $g, title: \"late\" }) { userErrors { code } } }", json!({ "g": goal })).await;
    assert_eq!(
        closed["addAction"]["userErrors"][0]["code"],
        "INVALID_STATE"
    );
    assert_eq!(
        app.mutate(
            t,
            plan_upd,
            json!({ "p": p, "s": "ARCHIVED" }),
            "updateDevelopmentPlan"
        )
        .await["plan"]["status"],
        "ARCHIVED"
    );
    #[allow(clippy::disallowed_methods)]
    // Leader events (the setup's createLeader calls) are not what this test is about.
    let events = entity::outbox_event::Entity::find()
        .filter(entity::outbox_event::Column::EventType.not_like("leader.%"))
        .order_by_asc(entity::outbox_event::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        vec![
            "plan.created",
            "plan.updated",
            "goal.achieved",
            "plan.updated",
            "plan.updated"
        ]
    );
}

#[tokio::test]
async fn dialogue_is_for_the_leader_and_supporters_and_others_get_nothing() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.tokens["S"];
    let plan = app
        .mutate(
            t,
            CREATE,
            json!({ "i": { "leaderId": org.ids["S"], "title": "Grow" } }),
            "createDevelopmentPlan",
        )
        .await;
    let p = plan["plan"]["id"].clone();
    app.mutate(t, "mutation($p: ID!, $l: ID!) { addPlanSupporter(input: { planId: $p, leaderId: $l, role: COACH }) { supporter { id } userErrors { code } } }", json!({ "p": p, "l": org.ids["P2"] }), "addPlanSupporter").await;
    let dup = app.ok(Some(t), "mutation($p: ID!, $l: ID!) { addPlanSupporter(input: { planId: $p, leaderId: $l, role: PEER }) { userErrors { field code } } }", json!({ "p": p, "l": org.ids["P2"] })).await;
    assert_eq!(
        dup["addPlanSupporter"]["userErrors"],
        json!([{ "field": ["input", "leaderId"], "code": "TAKEN" }])
    );
    let check_in = "mutation($p: ID!, $b: String!) { addCheckIn(input: { planId: $p, body: $b }) { checkIn { body author { name } } userErrors { field code } } }";
    app.mutate(
        t,
        check_in,
        json!({ "p": p, "b": "Started the open hour" }),
        "addCheckIn",
    )
    .await;
    app.mutate(
        &org.tokens["P2"],
        check_in,
        json!({ "p": p, "b": "It helped me" }),
        "addCheckIn",
    )
    .await;
    // The manager reads but does not post; a stranger and HR-less peers see nothing.
    let (_, body) = app
        .gql(
            Some(&org.tokens["B"]),
            check_in,
            json!({ "p": p, "b": "x" }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let (_, body) = app
        .gql(
            Some(&org.tokens["P1"]),
            check_in,
            json!({ "p": p, "b": "x" }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
    let blank = app.ok(Some(t), check_in, json!({ "p": p, "b": " " })).await;
    assert_eq!(
        blank["addCheckIn"]["userErrors"],
        json!([{ "field": ["input", "body"], "code": "REQUIRED" }])
    );
    let activity = app.ok(Some(&org.tokens["B"]), "query($p: ID!) { node(id: $p) { ... on DevelopmentPlan { activity { totalCount nodes { kind body } } } } }", json!({ "p": p })).await;
    let kinds: Vec<(String, String)> = activity["node"]["activity"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap().to_owned(),
                a["body"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        kinds.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        vec!["PLAN_CREATED", "SUPPORTER_ADDED", "CHECK_IN", "CHECK_IN"]
    );
    assert_eq!(kinds[3].1, "It helped me");
    // Who sees the plan in lists.
    let list = "{ developmentPlans { totalCount } }";
    for (who, n) in [("S", 1), ("B", 1), ("P2", 1), ("P1", 0), ("D1", 0)] {
        assert_eq!(
            app.ok(Some(&org.tokens[who]), list, json!({})).await["developmentPlans"]["totalCount"],
            n,
            "{who}"
        );
    }
    assert_eq!(
        app.ok(Some(&org.admin), list, json!({})).await["developmentPlans"]["totalCount"],
        1
    );
    // Removing the supporter ends their access.
    app.mutate(t, "mutation($p: ID!, $l: ID!) { removePlanSupporter(input: { planId: $p, leaderId: $l }) { plan { id } userErrors { code } } }", json!({ "p": p, "l": org.ids["P2"] }), "removePlanSupporter").await;
    let (_, body) = app
        .gql(
            Some(&org.tokens["P2"]),
            check_in,
            json!({ "p": p, "b": "x" }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
}

#[tokio::test]
async fn another_organization_sees_nothing_of_plans() {
    let app = spawn_app().await;
    let org = build(&app).await;
    let t = &org.tokens["S"];
    let plan = app
        .mutate(
            t,
            CREATE,
            json!({ "i": { "leaderId": org.ids["S"] } }),
            "createDevelopmentPlan",
        )
        .await;
    let p = plan["plan"]["id"].clone();
    let fw = app
        .ok(
            Some(t),
            "{ frameworks { nodes { behaviors { id } } } }",
            json!({}),
        )
        .await;
    let g = app.mutate(t, "mutation($p: ID!, $b: ID!) { addGoal(input: { planId: $p, behaviorId: $b, title: \"g\" }) { goal { id } userErrors { code } } }", json!({ "p": p, "b": fw["frameworks"]["nodes"][0]["behaviors"][0]["id"] }), "addGoal").await;
    let goal = g["goal"]["id"].clone();
    let a = app.mutate(t, "mutation($g: ID!) { addAction(input: { goalId: $g, title: \"a\" }) { action { id } userErrors { code } } }", json!({ "g": goal }), "addAction").await;
    let c = app.mutate(t, "mutation($p: ID!) { addCheckIn(input: { planId: $p, body: \"c\" }) { checkIn { id } userErrors { code } } }", json!({ "p": p }), "addCheckIn").await;
    let s = app.mutate(t, "mutation($p: ID!, $l: ID!) { addPlanSupporter(input: { planId: $p, leaderId: $l, role: MENTOR }) { supporter { id } userErrors { code } } }", json!({ "p": p, "l": org.ids["P1"] }), "addPlanSupporter").await;
    let other = app.sign_up("Beta", "bea@beta.test").await;
    for id in [
        p.clone(),
        goal.clone(),
        a["action"]["id"].clone(),
        c["checkIn"]["id"].clone(),
        s["supporter"]["id"].clone(),
    ] {
        let data = app
            .ok(
                Some(&other.token),
                "query($i: ID!) { node(id: $i) { id } }",
                json!({ "i": id }),
            )
            .await;
        assert_eq!(data["node"], Value::Null, "{id}");
    }
    assert_eq!(
        app.ok(
            Some(&other.token),
            "{ developmentPlans { totalCount } }",
            json!({})
        )
        .await["developmentPlans"]["totalCount"],
        0
    );
    for (q, vars) in [
        (
            "mutation($p: ID!) { updateDevelopmentPlan(input: { planId: $p, title: \"x\" }) { plan { id } } }",
            json!({ "p": p }),
        ),
        (
            "mutation($p: ID!) { addCheckIn(input: { planId: $p, body: \"x\" }) { checkIn { id } } }",
            json!({ "p": p }),
        ),
        (
            "mutation($g: ID!) { updateGoal(input: { goalId: $g, progress: 5 }) { goal { id } } }",
            json!({ "g": goal }),
        ),
        (
            "mutation($g: ID!) { addAction(input: { goalId: $g, title: \"x\" }) { action { id } } }",
            json!({ "g": goal }),
        ),
        (
            "mutation($a: ID!) { completeAction(input: { actionId: $a }) { action { id } } }",
            json!({ "a": a["action"]["id"] }),
        ),
    ] {
        let (_, body) = app.gql(Some(&other.token), q, vars).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "NOT_FOUND",
            "{q}: {body}"
        );
    }
}
