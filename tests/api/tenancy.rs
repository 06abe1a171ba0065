//! A second organization's token gets nothing of the first, through any door.

use serde_json::{Value, json};

use crate::helpers::spawn_app;
use crate::scim::{ENTERPRISE, assert_scim_error, create_user, organization, patch_op, scim, user};
use reqwest::Method;

#[tokio::test]
async fn another_organization_sees_nothing_of_accounts() {
    let app = spawn_app().await;
    let a = app.sign_up("Alpha", "ada@alpha.test").await;
    let b = app.sign_up("Beta", "bea@beta.test").await;
    let (_, a_member) = app.add_member(&a.token, "mo@alpha.test", "MEMBER").await;
    let key = app
        .ok(
            Some(&a.token),
            "mutation { createApiKey(input: { name: \"feed\" }) { apiKey { id } } }",
            json!({}),
        )
        .await;
    let a_key = key["createApiKey"]["apiKey"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let a_ids = [
        a.org_id.clone(),
        a.user_id.clone(),
        a_member.clone(),
        a_key.clone(),
    ];

    // node and nodes: null for every object of Alpha.
    for id in &a_ids {
        let data = app
            .ok(
                Some(&b.token),
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(data["node"], Value::Null, "{id}");
    }
    let data = app
        .ok(
            Some(&b.token),
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({ "ids": a_ids }),
        )
        .await;
    assert_eq!(data["nodes"], json!([null, null, null, null]));

    // Lists: Beta's connections hold only Beta.
    let data = app.ok(Some(&b.token), "{ organization { id members { totalCount nodes { user { email } } } apiKeys { totalCount } } }", json!({})).await;
    assert_eq!(data["organization"]["id"], b.org_id.as_str());
    assert_eq!(data["organization"]["members"]["totalCount"], 1);
    assert_eq!(
        data["organization"]["members"]["nodes"][0]["user"]["email"],
        "bea@beta.test"
    );
    assert_eq!(data["organization"]["apiKeys"]["totalCount"], 0);

    // Mutations on Alpha's ids: not found, and nothing changes.
    let (_, body) = app.gql(Some(&b.token), "mutation($m: ID!) { updateMembership(input: { membershipId: $m, role: ADMIN }) { membership { role } } }", json!({ "m": a_member })).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
    let (_, body) = app.gql(Some(&b.token), "mutation($m: ID!) { removeMember(input: { membershipId: $m }) { removedMembershipId } }", json!({ "m": a_member })).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
    let (_, body) = app
        .gql(
            Some(&b.token),
            "mutation($k: ID!) { revokeApiKey(input: { apiKeyId: $k }) { apiKey { id } } }",
            json!({ "k": a_key }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
    let (_, body) = app.gql(Some(&b.token), "mutation($o: ID!) { switchOrganization(input: { organizationId: $o }) { token { accessToken } userErrors { code } } }", json!({ "o": a.org_id })).await;
    assert_eq!(
        body["data"]["switchOrganization"]["userErrors"][0]["code"],
        "NOT_FOUND"
    );

    let data = app
        .ok(
            Some(&a.token),
            "query($id: ID!) { node(id: $id) { ... on Membership { role status } } }",
            json!({ "id": a_member }),
        )
        .await;
    assert_eq!(
        data["node"],
        json!({ "role": "MEMBER", "status": "ACTIVE" })
    );
    let data = app
        .ok(
            Some(&a.token),
            "query($id: ID!) { node(id: $id) { ... on ApiKey { revokedAt } } }",
            json!({ "id": a_key }),
        )
        .await;
    assert_eq!(data["node"]["revokedAt"], Value::Null);
}

#[tokio::test]
async fn another_organization_sees_nothing_of_people_teams_or_custom_frameworks() {
    let app = spawn_app().await;
    let a = app.sign_up("Alpha", "ada@alpha.test").await;
    let b = app.sign_up("Beta", "bea@beta.test").await;
    let boss = app
        .leader(
            &a.token,
            json!({ "name": "Alpha Boss", "externalId": "X-1" }),
        )
        .await;
    let leader = app
        .leader(
            &a.token,
            json!({ "name": "Alpha Person", "managerId": boss }),
        )
        .await;
    let team = app
        .ok(
            Some(&a.token),
            "mutation { createTeam(input: { name: \"Alpha Team\" }) { team { id } } }",
            json!({}),
        )
        .await["createTeam"]["team"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.ok(Some(&a.token), "mutation($t: ID!, $l: [ID!]!) { addTeamMembers(input: { teamId: $t, leaderIds: $l }) { team { id } } }", json!({ "t": team, "l": [leader] })).await;
    let fw = app
        .ok(
            Some(&a.token),
            "mutation { createFramework(input: { name: \"Alpha FW\" }) { framework { id } } }",
            json!({}),
        )
        .await["createFramework"]["framework"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let behavior = app.ok(Some(&a.token), "mutation($f: ID!) { addBehavior(input: { frameworkId: $f, key: \"KEY\", title: \"t\", summary: \"s\" }) { behavior { id } } }", json!({ "f": fw })).await["addBehavior"]["behavior"]["id"].as_str().unwrap().to_owned();
    let indicator = app.ok(Some(&a.token), "mutation($b: ID!) { addIndicator(input: { behaviorId: $b, text: \"x\" }) { indicator { id } } }", json!({ "b": behavior })).await["addIndicator"]["indicator"]["id"].as_str().unwrap().to_owned();
    let ids = [
        leader.clone(),
        boss.clone(),
        team.clone(),
        fw.clone(),
        behavior.clone(),
        indicator.clone(),
    ];

    for id in &ids {
        let data = app
            .ok(
                Some(&b.token),
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(data["node"], Value::Null, "{id}");
    }
    let data = app
        .ok(
            Some(&b.token),
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({ "ids": ids }),
        )
        .await;
    assert_eq!(data["nodes"], json!([null, null, null, null, null, null]));

    // Lists and filters that name Alpha's ids find nothing.
    let data = app.ok(Some(&b.token), "query($t: ID!, $m: ID!) { leaders { totalCount } teams { totalCount } byTeam: leaders(filter: { teamId: $t }) { totalCount } byManager: leaders(filter: { managerId: $m }) { totalCount } frameworks { nodes { name isBuiltIn } } }", json!({ "t": team, "m": boss })).await;
    assert_eq!(data["leaders"]["totalCount"], 0);
    assert_eq!(data["teams"]["totalCount"], 0);
    assert_eq!(data["byTeam"]["totalCount"], 0);
    assert_eq!(data["byManager"]["totalCount"], 0);
    assert_eq!(
        data["frameworks"]["nodes"],
        json!([{ "name": "Collaborative Leadership", "isBuiltIn": true }])
    );

    // Mutations on Alpha's ids: not found, and Beta's own writes cannot reach into Alpha.
    for (q, vars) in [
        (
            "mutation($l: ID!) { updateLeader(input: { leaderId: $l, name: \"Hacked\" }) { leader { id } } }",
            json!({ "l": leader }),
        ),
        (
            "mutation($l: ID!) { deactivateLeader(input: { leaderId: $l }) { leader { id } } }",
            json!({ "l": leader }),
        ),
        (
            "mutation($t: ID!) { updateTeam(input: { teamId: $t, name: \"Hacked\" }) { team { id } } }",
            json!({ "t": team }),
        ),
        (
            "mutation($t: ID!) { addTeamMembers(input: { teamId: $t, leaderIds: [] }) { team { id } } }",
            json!({ "t": team }),
        ),
        (
            "mutation($f: ID!) { updateFramework(input: { frameworkId: $f, name: \"Hacked\" }) { framework { id } } }",
            json!({ "f": fw }),
        ),
        (
            "mutation($f: ID!) { publishFramework(input: { frameworkId: $f }) { framework { id } } }",
            json!({ "f": fw }),
        ),
        (
            "mutation($b: ID!) { updateBehavior(input: { behaviorId: $b, title: \"Hacked\" }) { behavior { id } } }",
            json!({ "b": behavior }),
        ),
        (
            "mutation($i: ID!) { removeIndicator(input: { indicatorId: $i }) { behavior { id } } }",
            json!({ "i": indicator }),
        ),
    ] {
        let (_, body) = app.gql(Some(&b.token), q, vars).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "NOT_FOUND",
            "{q}: {body}"
        );
    }
    let beta_leader = app.leader(&b.token, json!({ "name": "Beta Person" })).await;
    let beta_team = app
        .ok(
            Some(&b.token),
            "mutation { createTeam(input: { name: \"Beta Team\" }) { team { id } } }",
            json!({}),
        )
        .await["createTeam"]["team"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let data = app.ok(Some(&b.token), "mutation($t: ID!, $l: [ID!]!) { addTeamMembers(input: { teamId: $t, leaderIds: $l }) { team { id } userErrors { field code } } }", json!({ "t": beta_team, "l": [beta_leader, leader] })).await;
    assert_eq!(
        data["addTeamMembers"]["userErrors"],
        json!([{ "field": ["input", "leaderIds", "1"], "code": "NOT_FOUND" }])
    );
    let data = app.ok(Some(&b.token), "mutation($l: ID!, $m: ID!) { updateLeader(input: { leaderId: $l, managerId: $m }) { userErrors { field code } } }", json!({ "l": beta_leader, "m": boss })).await;
    assert_eq!(
        data["updateLeader"]["userErrors"],
        json!([{ "field": ["input", "managerId"], "code": "NOT_FOUND" }])
    );
    let data = app.ok(Some(&b.token), "mutation($f: ID!) { createFramework(input: { basedOnId: $f }) { userErrors { field code } } }", json!({ "f": fw })).await;
    assert_eq!(
        data["createFramework"]["userErrors"],
        json!([{ "field": ["input", "basedOnId"], "code": "NOT_FOUND" }])
    );
    // An external id used in Alpha is free in Beta.
    app.leader(&b.token, json!({ "name": "Beta X", "externalId": "X-1" }))
        .await;

    // Alpha still has everything, unchanged.
    let data = app
        .ok(
            Some(&a.token),
            "query($l: ID!) { node(id: $l) { ... on Leader { name status teams { name } } } }",
            json!({ "l": leader }),
        )
        .await;
    assert_eq!(
        data["node"],
        json!({ "name": "Alpha Person", "status": "ACTIVE", "teams": [{ "name": "Alpha Team" }] })
    );
}

#[tokio::test]
async fn another_organization_sees_nothing_of_cycles_assessments_or_reviews() {
    let app = spawn_app().await;
    let org = crate::cycles::build(&app).await;
    let auto = app.mutate(&org.admin, "mutation($c: ID!) { autoAssignRaters(input: { cycleId: $c }) { reviews { id } userErrors { code } } }", json!({ "c": org.cycle }), "autoAssignRaters").await;
    let review = auto["reviews"][0]["id"].as_str().unwrap().to_owned();
    let b = app.sign_up("Beta", "bea@beta.test").await;
    for id in [&org.cycle, &org.assessment, &review] {
        let data = app
            .ok(
                Some(&b.token),
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(data["node"], Value::Null, "{id}");
    }
    let data = app
        .ok(
            Some(&b.token),
            "{ cycles { totalCount } myReviews { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        (
            data["cycles"]["totalCount"].as_i64(),
            data["myReviews"]["totalCount"].as_i64()
        ),
        (Some(0), Some(0))
    );
    for (q, vars) in [
        (
            "mutation($c: ID!) { openCycle(input: { cycleId: $c }) { cycle { id } } }",
            json!({ "c": org.cycle }),
        ),
        (
            "mutation($c: ID!) { autoAssignRaters(input: { cycleId: $c }) { reviews { id } } }",
            json!({ "c": org.cycle }),
        ),
        (
            "mutation($c: ID!) { addParticipants(input: { cycleId: $c, leaderIds: [] }) { assessments { id } } }",
            json!({ "c": org.cycle }),
        ),
        (
            "mutation($a: ID!) { assignRaters(input: { assessmentId: $a, raters: [] }) { reviews { id } } }",
            json!({ "a": org.assessment }),
        ),
        (
            "mutation($r: ID!) { removeRater(input: { reviewId: $r }) { removedReviewId } }",
            json!({ "r": review }),
        ),
        (
            "mutation($r: ID!) { inviteExternalRater(input: { reviewId: $r }) { token } }",
            json!({ "r": review }),
        ),
        (
            "mutation($r: ID!) { saveReview(input: { reviewId: $r }) { review { id } } }",
            json!({ "r": review }),
        ),
        (
            "mutation($r: ID!) { declineReview(input: { reviewId: $r }) { review { id } } }",
            json!({ "r": review }),
        ),
        (
            "query($c: ID!) { cycleHeatmap(cycleId: $c, groupBy: DEPARTMENT) { rows { key } } }",
            json!({ "c": org.cycle }),
        ),
        (
            "query($l: ID!) { leaderTrend(leaderId: $l, behaviorKey: \"DEMAND_DIALOGUE\") { others } }",
            json!({ "l": org.ids["S"] }),
        ),
    ] {
        let (_, body) = app.gql(Some(&b.token), q, vars).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "NOT_FOUND",
            "{q}: {body}"
        );
    }
    // Beta cannot add Alpha's leaders to its own cycle either.
    let c = app.mutate(&b.token, "mutation { createCycle(input: { name: \"beta\" }) { cycle { id } userErrors { code } } }", json!({}), "createCycle").await;
    let data = app.ok(Some(&b.token), "mutation($c: ID!, $l: [ID!]!) { addParticipants(input: { cycleId: $c, leaderIds: $l }) { userErrors { field code } } }", json!({ "c": c["cycle"]["id"], "l": [org.ids["S"]] })).await;
    assert_eq!(
        data["addParticipants"]["userErrors"],
        json!([{ "field": ["input", "leaderIds", "0"], "code": "NOT_FOUND" }])
    );
}

#[tokio::test]
async fn cycle_changes_and_submissions_are_recorded_in_the_outbox() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let app = spawn_app().await;
    let org = crate::cycles::build(&app).await;
    app.mutate(&org.admin, "mutation($c: ID!) { autoAssignRaters(input: { cycleId: $c }) { reviews { id } userErrors { code } } }", json!({ "c": org.cycle }), "autoAssignRaters").await;
    app.mutate(&org.admin, "mutation($c: ID!) { openCycle(input: { cycleId: $c }) { cycle { id } userErrors { code } } }", json!({ "c": org.cycle }), "openCycle").await;
    let data = app.ok(Some(&org.tokens["P1"]), "{ myReviews { nodes { id assessment { cycle { framework { behaviors { indicators { id } } } } } } } }", json!({})).await;
    let r = &data["myReviews"]["nodes"][0];
    let ratings: Vec<Value> = r["assessment"]["cycle"]["framework"]["behaviors"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| {
            b["indicators"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| json!({ "indicatorId": i["id"], "score": 3 }))
        })
        .collect();
    app.mutate(&org.tokens["P1"], "mutation($i: ReviewAnswersInput!) { submitReview(input: $i) { review { id } userErrors { code } } }", json!({ "i": { "reviewId": r["id"], "ratings": ratings } }), "submitReview").await;
    for op in ["closeCycle", "releaseResults"] {
        app.mutate(&org.admin, &format!("mutation($c: ID!) {{ {op}(input: {{ cycleId: $c }}) {{ cycle {{ id }} userErrors {{ code }} }} }}"), json!({ "c": org.cycle }), op).await;
    }
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
            "cycle.opened",
            "review.submitted",
            "cycle.closed",
            "cycle.released"
        ]
    );
    let submitted: Value = serde_json::from_str(&events[1].payload).unwrap();
    assert!(submitted.get("raterId").is_none() && submitted["assessmentId"].is_string());
}

#[tokio::test]
async fn another_organization_sees_nothing_of_webhooks_and_gets_none_of_their_events() {
    use crate::webhook_receiver::Receiver;
    use crate::webhooks::{endpoint, fast_app};

    let app = fast_app().await;
    let receiver = Receiver::start(&[], std::time::Duration::ZERO).await;
    let a = app.sign_up("Alpha", "ada@alpha.test").await;
    let b = app.sign_up("Beta", "bea@beta.test").await;
    let (a_endpoint, _) = endpoint(&app, &a.token, &receiver.url, &["leader.created"]).await;
    // Beta's event first: Alpha's endpoint must not get it.
    app.leader(&b.token, json!({ "name": "Bob of Beta" })).await;
    let alice = app
        .leader(&a.token, json!({ "name": "Alice of Alpha" }))
        .await;
    let got = receiver.wait_for(1).await;
    let body = got[0].json();
    assert_eq!(body["organizationId"], a.org_id.as_str());
    assert_eq!(body["data"]["leaderId"], alice.as_str());
    let q = "{ webhookEndpoints { nodes { deliveries { nodes { id status } } } } }";
    let mut a_delivery = String::new();
    for _ in 0..400 {
        let data = app.ok(Some(&a.token), q, json!({})).await;
        let d = &data["webhookEndpoints"]["nodes"][0]["deliveries"]["nodes"][0];
        if d["status"] == "SUCCEEDED" {
            a_delivery = d["id"].as_str().unwrap().to_owned();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(!a_delivery.is_empty(), "Alpha's delivery did not succeed");

    let data = app
        .ok(
            Some(&b.token),
            "{ webhookEndpoints { totalCount nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["webhookEndpoints"]["totalCount"], 0);
    let data = app
        .ok(
            Some(&b.token),
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({ "ids": [a_endpoint, a_delivery] }),
        )
        .await;
    assert_eq!(data["nodes"], json!([null, null]));
    for (query, input) in [
        (
            "mutation($i: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $i) { webhookEndpoint { id } } }",
            json!({ "webhookEndpointId": a_endpoint, "active": false }),
        ),
        (
            "mutation($i: DeleteWebhookEndpointInput!) { deleteWebhookEndpoint(input: $i) { deletedWebhookEndpointId } }",
            json!({ "webhookEndpointId": a_endpoint }),
        ),
        (
            "mutation($i: RedeliverWebhookInput!) { redeliverWebhook(input: $i) { delivery { id } } }",
            json!({ "deliveryId": a_delivery }),
        ),
    ] {
        let (_, body) = app.gql(Some(&b.token), query, json!({ "i": input })).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "NOT_FOUND",
            "{query}"
        );
    }
    // Nothing changed: Alpha's endpoint is still active, with its one delivery.
    let data = app
        .ok(
            Some(&a.token),
            "{ webhookEndpoints { nodes { active deliveries { totalCount } } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["webhookEndpoints"]["nodes"][0]["active"], true);
    assert_eq!(
        data["webhookEndpoints"]["nodes"][0]["deliveries"]["totalCount"],
        1
    );
    assert_eq!(receiver.received().len(), 1);
}

#[tokio::test]
async fn another_organizations_integration_token_sees_and_changes_nothing_over_scim() {
    let app = spawn_app().await;
    let acme = organization(&app, "Acme").await;
    let globex = organization(&app, "Globex").await;
    let ann = create_user(&app, &acme.hris, "ann@acme.test", "E-1").await;
    let (_, _, g) = scim(
        &app,
        Some(&acme.hris),
        Method::POST,
        "/Groups",
        Some(json!({ "displayName": "Guild", "members": [{ "value": ann }] })),
    )
    .await;
    let group = g["id"].as_str().unwrap().to_owned();
    let t = Some(globex.hris.as_str());

    let (status, _, err) = scim(&app, t, Method::GET, &format!("/Users/{ann}"), None).await;
    assert_scim_error(status, &err, 404, None);
    for q in [
        "",
        "?filter=userName%20eq%20%22ann%40acme.test%22",
        "?filter=externalId%20eq%20%22E-1%22",
    ] {
        let (_, _, list) = scim(&app, t, Method::GET, &format!("/Users{q}"), None).await;
        assert_eq!(
            (list["totalResults"].clone(), list["Resources"].clone()),
            (json!(0), json!([])),
            "{q}"
        );
    }
    let (_, _, list) = scim(&app, t, Method::GET, "/Groups", None).await;
    assert_eq!(list["totalResults"], 0);
    let deactivate = patch_op(json!([{ "op": "replace", "path": "active", "value": false }]));
    let (status, _, _) = scim(
        &app,
        t,
        Method::PATCH,
        &format!("/Users/{ann}"),
        Some(deactivate),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _, _) = scim(
        &app,
        t,
        Method::PUT,
        &format!("/Users/{ann}"),
        Some(user("evil@globex.test", "X")),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _, _) = scim(&app, t, Method::DELETE, &format!("/Users/{ann}"), None).await;
    assert_eq!(status, 404);
    for method in [Method::GET, Method::DELETE] {
        let (status, _, _) = scim(&app, t, method, &format!("/Groups/{group}"), None).await;
        assert_eq!(status, 404);
    }
    // Their group cannot take our people, nor their user our manager.
    let (status, _, err) = scim(
        &app,
        t,
        Method::POST,
        "/Groups",
        Some(json!({ "displayName": "Raid", "members": [{ "value": ann }] })),
    )
    .await;
    assert_scim_error(status, &err, 400, Some("invalidValue"));
    let mut spy = user("spy@globex.test", "G-1");
    spy[ENTERPRISE]["manager"] = json!({ "value": ann });
    let (status, _, err) = scim(&app, t, Method::POST, "/Users", Some(spy)).await;
    assert_scim_error(status, &err, 400, Some("invalidValue"));
    let (_, _, list) = scim(&app, t, Method::GET, "/Groups", None).await;
    assert_eq!(
        list["totalResults"], 0,
        "a refused group is not kept: {list}"
    );

    let (_, _, u) = scim(
        &app,
        Some(&acme.hris),
        Method::GET,
        &format!("/Users/{ann}"),
        None,
    )
    .await;
    assert_eq!(
        (u["active"].clone(), u["userName"].clone()),
        (json!(true), json!("ann@acme.test"))
    );
    let (_, _, g) = scim(
        &app,
        Some(&acme.hris),
        Method::GET,
        &format!("/Groups/{group}"),
        None,
    )
    .await;
    assert_eq!(g["members"][0]["value"], ann.as_str());
}
