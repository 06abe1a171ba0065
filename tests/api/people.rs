//! Leaders and teams: mutations, their user errors, relations and permissions.

use serde_json::{Value, json};

use crate::helpers::{CREATE_LEADER, spawn_app};

fn errors(data: &Value, op: &str) -> Vec<(Value, String)> {
    data[op]["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].clone(), e["code"].as_str().unwrap().to_owned()))
        .collect()
}

#[tokio::test]
async fn a_leader_is_created_with_all_fields_and_a_manager() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    let boss = app.leader(&s.token, json!({ "name": "Grace Boss" })).await;
    let data = app.ok(Some(&s.token), "mutation($i: CreateLeaderInput!) { createLeader(input: $i) { leader { name email title department location externalId startDate status manager { name } } userErrors { code } } }",
        json!({ "i": { "name": " Linus ", "email": "Linus@Acme.test", "title": "Engineer", "department": "R&D", "location": "Oslo", "externalId": "E-1", "managerId": boss, "startDate": "2024-02-29" } })).await;
    assert_eq!(
        data["createLeader"]["leader"],
        json!({ "name": "Linus", "email": "linus@acme.test", "title": "Engineer", "department": "R&D", "location": "Oslo", "externalId": "E-1", "startDate": "2024-02-29", "status": "ACTIVE", "manager": { "name": "Grace Boss" } })
    );
}

#[tokio::test]
async fn bad_leader_input_is_refused_with_field_paths() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    app.leader(&s.token, json!({ "name": "First", "externalId": "E-1" }))
        .await;
    let other = app.sign_up("Other", "o@other.test").await;
    let foreign = app.leader(&other.token, json!({ "name": "Foreign" })).await;
    for (input, field, code) in [
        (json!({ "name": "  " }), "name", "REQUIRED"),
        (
            json!({ "name": "X", "email": "not-an-email" }),
            "email",
            "INVALID_FORMAT",
        ),
        (
            json!({ "name": "X", "externalId": "E-1" }),
            "externalId",
            "TAKEN",
        ),
        (
            json!({ "name": "X", "managerId": foreign }),
            "managerId",
            "NOT_FOUND",
        ),
    ] {
        let data = app
            .ok(Some(&s.token), CREATE_LEADER, json!({ "i": input }))
            .await;
        assert_eq!(data["createLeader"]["leader"], Value::Null);
        assert!(
            errors(&data, "createLeader").contains(&(json!(["input", field]), code.to_owned())),
            "{data}"
        );
    }
}

#[tokio::test]
async fn a_manager_loop_is_refused() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    let a = app.leader(&s.token, json!({ "name": "A" })).await;
    let b = app
        .leader(&s.token, json!({ "name": "B", "managerId": a }))
        .await;
    let c = app
        .leader(&s.token, json!({ "name": "C", "managerId": b }))
        .await;
    let q = "mutation($i: UpdateLeaderInput!) { updateLeader(input: $i) { leader { id } userErrors { field code } } }";
    for (leader, manager) in [(&a, &c), (&a, &b), (&a, &a)] {
        let data = app
            .ok(
                Some(&s.token),
                q,
                json!({ "i": { "leaderId": leader, "managerId": manager } }),
            )
            .await;
        assert_eq!(
            errors(&data, "updateLeader"),
            vec![(json!(["input", "managerId"]), "INVALID".to_owned())]
        );
    }
    // A legal move still works: C now reports to A directly.
    let data = app
        .ok(
            Some(&s.token),
            q,
            json!({ "i": { "leaderId": c, "managerId": a } }),
        )
        .await;
    assert_eq!(data["updateLeader"]["userErrors"], json!([]));
}

#[tokio::test]
async fn an_update_keeps_omitted_fields_and_null_clears() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    let boss = app.leader(&s.token, json!({ "name": "Boss" })).await;
    let id = app
        .leader(
            &s.token,
            json!({ "name": "Kim", "title": "Lead", "department": "Ops", "managerId": boss }),
        )
        .await;
    let q = "mutation($i: UpdateLeaderInput!) { updateLeader(input: $i) { leader { name title department manager { id } } userErrors { code } } }";
    let data = app.ok(Some(&s.token), q, json!({ "i": { "leaderId": id, "title": "Director", "department": null, "managerId": null } })).await;
    assert_eq!(
        data["updateLeader"]["leader"],
        json!({ "name": "Kim", "title": "Director", "department": null, "manager": null })
    );
}

#[tokio::test]
async fn deactivation_keeps_the_leader_and_filters_by_status() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    let id = app.leader(&s.token, json!({ "name": "Leaving" })).await;
    app.leader(&s.token, json!({ "name": "Staying" })).await;
    let data = app
        .ok(
            Some(&s.token),
            "mutation($l: ID!) { deactivateLeader(input: { leaderId: $l }) { leader { status } } }",
            json!({ "l": id }),
        )
        .await;
    assert_eq!(data["deactivateLeader"]["leader"]["status"], "INACTIVE");
    let data = app.ok(Some(&s.token), "{ a: leaders(filter: { status: ACTIVE }) { nodes { name } } i: leaders(filter: { status: INACTIVE }) { nodes { name } } }", json!({})).await;
    assert_eq!(data["a"]["nodes"], json!([{ "name": "Staying" }]));
    assert_eq!(data["i"]["nodes"], json!([{ "name": "Leaving" }]));
}

#[tokio::test]
async fn relations_show_the_hierarchy_and_teams() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    let ceo = app.leader(&s.token, json!({ "name": "Ceo" })).await;
    let vp = app
        .leader(&s.token, json!({ "name": "Vp", "managerId": ceo }))
        .await;
    let dev = app
        .leader(&s.token, json!({ "name": "Dev", "managerId": vp }))
        .await;
    app.leader(&s.token, json!({ "name": "Dev2", "managerId": vp }))
        .await;
    let t = app.ok(Some(&s.token), "mutation { createTeam(input: { name: \"Guild\", description: \"Across lines\" }) { team { id } } }", json!({})).await;
    let team = t["createTeam"]["team"]["id"].as_str().unwrap().to_owned();
    let add = app.ok(Some(&s.token), "mutation($t: ID!, $l: [ID!]!) { addTeamMembers(input: { teamId: $t, leaderIds: $l }) { team { members { totalCount nodes { name } } } userErrors { code } } }", json!({ "t": team, "l": [dev, ceo, dev] })).await;
    assert_eq!(
        add["addTeamMembers"]["team"]["members"],
        json!({ "totalCount": 2, "nodes": [{ "name": "Ceo" }, { "name": "Dev" }] })
    );
    let data = app.ok(Some(&s.token), "query($d: ID!, $v: ID!) { d: node(id: $d) { ... on Leader { reportingLine { name } teams { name } manager { name } } } v: node(id: $v) { ... on Leader { directReports { totalCount nodes { name } } } } }", json!({ "d": dev, "v": vp })).await;
    assert_eq!(
        data["d"],
        json!({ "reportingLine": [{ "name": "Vp" }, { "name": "Ceo" }], "teams": [{ "name": "Guild" }], "manager": { "name": "Vp" } })
    );
    assert_eq!(
        data["v"]["directReports"],
        json!({ "totalCount": 2, "nodes": [{ "name": "Dev" }, { "name": "Dev2" }] })
    );
    let f = app
        .ok(
            Some(&s.token),
            "query($t: ID!) { leaders(filter: { teamId: $t }) { nodes { name } } }",
            json!({ "t": team }),
        )
        .await;
    assert_eq!(
        f["leaders"]["nodes"],
        json!([{ "name": "Ceo" }, { "name": "Dev" }])
    );
    let rm = app.ok(Some(&s.token), "mutation($t: ID!, $l: [ID!]!) { removeTeamMembers(input: { teamId: $t, leaderIds: $l }) { team { members { nodes { name } } } } }", json!({ "t": team, "l": [ceo] })).await;
    assert_eq!(
        rm["removeTeamMembers"]["team"]["members"]["nodes"],
        json!([{ "name": "Dev" }])
    );
    let bad = app.ok(Some(&s.token), "mutation($t: ID!) { createTeam(input: { name: \"\" }) { userErrors { field code } } updateTeam(input: { teamId: $t, name: \"Renamed\", description: null }) { team { name description } } }", json!({ "t": team })).await;
    assert_eq!(
        bad["createTeam"]["userErrors"],
        json!([{ "field": ["input", "name"], "code": "REQUIRED" }])
    );
    assert_eq!(
        bad["updateTeam"]["team"],
        json!({ "name": "Renamed", "description": null })
    );
}

#[tokio::test]
async fn search_matches_name_and_email_case_insensitively() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    app.leader(
        &s.token,
        json!({ "name": "Zoë Wolf", "email": "zoe@acme.test" }),
    )
    .await;
    app.leader(
        &s.token,
        json!({ "name": "Max Power", "email": "MAXP@acme.test" }),
    )
    .await;
    app.leader(&s.token, json!({ "name": "100% Sure_Thing" }))
        .await;
    for (term, expected) in [
        ("WOLF", vec!["Zoë Wolf"]),
        ("maxp@", vec!["Max Power"]),
        ("acme.test", vec!["Max Power", "Zoë Wolf"]),
        ("%", vec!["100% Sure_Thing"]),
        ("e_t", vec!["100% Sure_Thing"]),
        ("nobody", vec![]),
    ] {
        let data = app
            .ok(
                Some(&s.token),
                "query($s: String) { leaders(filter: { search: $s }) { nodes { name } } }",
                json!({ "s": term }),
            )
            .await;
        let names: Vec<&str> = data["leaders"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, expected, "{term}");
    }
}

#[tokio::test]
async fn members_read_the_directory_and_only_hr_admin_or_integrations_write() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    let leader = app.leader(&s.token, json!({ "name": "Someone" })).await;
    let (member, _) = app.add_member(&s.token, "m@acme.test", "MEMBER").await;
    let data = app
        .ok(
            Some(&member),
            "{ leaders { totalCount } teams { totalCount } frameworks { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(data["leaders"]["totalCount"], 1);
    let (_, body) = app
        .gql(
            Some(&member),
            CREATE_LEADER,
            json!({ "i": { "name": "Nope" } }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");

    let key = app
        .ok(
            Some(&s.token),
            "mutation { createApiKey(input: { name: \"hris\" }) { clientId clientSecret } }",
            json!({}),
        )
        .await;
    let res = app
        .client
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            (
                "client_id",
                key["createApiKey"]["clientId"].as_str().unwrap(),
            ),
            (
                "client_secret",
                key["createApiKey"]["clientSecret"].as_str().unwrap(),
            ),
        ])
        .send()
        .await
        .unwrap();
    let token: Value = res.json().await.unwrap();
    let hris = token["access_token"].as_str().unwrap();
    app.leader(hris, json!({ "name": "From HRIS", "managerId": leader }))
        .await;
    let (_, body) = app
        .gql(Some(hris), "{ frameworks { totalCount } }", json!({}))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
}

#[tokio::test]
async fn a_member_linked_to_a_leader_sees_it_as_viewer() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    let leader = app.leader(&s.token, json!({ "name": "Lee" })).await;
    let q = "mutation($l: ID) { inviteMember(input: { email: \"lee@acme.test\", role: MEMBER, leaderId: $l }) { invitationToken userErrors { field code } } }";
    let data = app.ok(Some(&s.token), q, json!({ "l": leader })).await;
    let inv = data["inviteMember"]["invitationToken"].as_str().unwrap();
    let again = app.ok(Some(&s.token), "mutation($l: ID) { inviteMember(input: { email: \"other@acme.test\", role: MEMBER, leaderId: $l }) { userErrors { field code } } }", json!({ "l": leader })).await;
    assert_eq!(
        again["inviteMember"]["userErrors"],
        json!([{ "field": ["input", "leaderId"], "code": "TAKEN" }])
    );
    let acc = app.ok(None, "mutation($t: String!) { acceptInvitation(input: { invitationToken: $t, password: \"a long enough password\" }) { token { accessToken } } }", json!({ "t": inv })).await;
    let token = acc["acceptInvitation"]["token"]["accessToken"]
        .as_str()
        .unwrap();
    let me = app
        .ok(Some(token), "{ viewer { leader { id name } } }", json!({}))
        .await;
    assert_eq!(
        me["viewer"]["leader"],
        json!({ "id": leader, "name": "Lee" })
    );
}

#[tokio::test]
async fn a_lost_uniqueness_race_is_a_taken_user_error_not_a_500() {
    use sea_orm::ActiveValue::Set;
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    app.leader(&s.token, json!({ "name": "First", "externalId": "E-1" }))
        .await;
    let org = app.state.jwt.verify(&s.token).unwrap().org_id;
    // As if a concurrent request passed the duplicate check before this one committed.
    let now = chrono::Utc::now();
    let row = entity::leader::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        name: Set("Second".into()),
        external_id: Set(Some("E-1".into())),
        status: Set(entity::enums::LeaderStatus::Active),
        email: Set(None),
        title: Set(None),
        department: Set(None),
        location: Set(None),
        manager_id: Set(None),
        start_date: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    match colead::tenancy::insert(&app.db, org, row).await {
        Err(colead::error::Error::Invalid(errors)) => {
            assert_eq!(errors[0].code, colead::error::UserErrorCode::Taken)
        }
        other => panic!("expected a TAKEN user error, got {other:?}"),
    }
}
