//! Sign-up, login, refresh rotation, invitations, roles and API keys.

use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app};

const LOGIN: &str = "mutation($i: LoginInput!) { login(input: $i) { token { accessToken refreshToken tokenType } userErrors { field message code } } }";
const REFRESH: &str = "mutation($r: String!) { refreshToken(input: { refreshToken: $r }) { token { accessToken refreshToken } userErrors { field code } } }";

#[tokio::test]
async fn sign_up_creates_an_organization_whose_admin_is_the_viewer() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme Corp", "ada@acme.test").await;
    let data = app.ok(Some(&s.token), "{ viewer { kind roles user { email } organization { id name slug settings { anonymityThreshold ratingScaleMax } } } }", json!({})).await;
    let v = &data["viewer"];
    assert_eq!(v["kind"], "USER");
    assert_eq!(v["roles"], json!(["ADMIN"]));
    assert_eq!(v["user"]["email"], "ada@acme.test");
    assert_eq!(v["organization"]["id"], s.org_id.as_str());
    assert_eq!(v["organization"]["slug"], "acme-corp");
    assert_eq!(v["organization"]["settings"]["anonymityThreshold"], 3);
}

#[tokio::test]
async fn sign_up_refuses_bad_input_with_field_paths() {
    let app = spawn_app().await;
    let data = app.ok(None, "mutation { signUp(input: { organizationName: \" \", name: \"\", email: \"nope\", password: \"short\" }) { organization { id } userErrors { field code } } }", json!({})).await;
    let errors = &data["signUp"]["userErrors"];
    assert_eq!(data["signUp"]["organization"], json!(null));
    for (field, code) in [
        ("organizationName", "REQUIRED"),
        ("name", "REQUIRED"),
        ("email", "INVALID_FORMAT"),
        ("password", "TOO_SHORT"),
    ] {
        assert!(
            errors
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == json!(["input", field]) && e["code"] == code),
            "{field}: {errors}"
        );
    }
    app.sign_up("Acme", "ada@acme.test").await;
    let data = app.ok(None, "mutation { signUp(input: { organizationName: \"Other\", name: \"A\", email: \"ADA@acme.test\", password: \"long enough password\" }) { userErrors { field code } } }", json!({})).await;
    assert_eq!(data["signUp"]["userErrors"][0]["code"], "TAKEN");
}

#[tokio::test]
async fn login_works_with_the_right_password_only() {
    let app = spawn_app().await;
    app.sign_up("Acme", "ada@acme.test").await;
    let ok = app
        .ok(
            None,
            LOGIN,
            json!({ "i": { "email": "Ada@Acme.test", "password": PASSWORD } }),
        )
        .await;
    assert_eq!(ok["login"]["token"]["tokenType"], "Bearer");
    for (email, pw) in [
        ("ada@acme.test", "wrong password!!"),
        ("nobody@acme.test", PASSWORD),
    ] {
        let bad = app
            .ok(
                None,
                LOGIN,
                json!({ "i": { "email": email, "password": pw } }),
            )
            .await;
        assert_eq!(bad["login"]["token"], json!(null));
        assert_eq!(bad["login"]["userErrors"][0]["code"], "INVALID_CREDENTIALS");
        assert_eq!(
            bad["login"]["userErrors"][0]["message"],
            "the email or password is wrong"
        );
    }
}

#[tokio::test]
async fn a_refresh_token_rotates_and_its_reuse_revokes_the_family() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    let first = app.ok(None, REFRESH, json!({ "r": s.refresh })).await;
    let next = first["refreshToken"]["token"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(next, s.refresh);
    // Replaying the used token is refused and revokes the family, so `next` dies too.
    let replay = app.ok(None, REFRESH, json!({ "r": s.refresh })).await;
    assert_eq!(
        replay["refreshToken"]["userErrors"][0]["code"],
        "INVALID_CREDENTIALS"
    );
    let after = app.ok(None, REFRESH, json!({ "r": next })).await;
    assert_eq!(after["refreshToken"]["token"], json!(null));
    assert_eq!(
        after["refreshToken"]["userErrors"][0]["code"],
        "INVALID_CREDENTIALS"
    );
}

#[tokio::test]
async fn an_invitation_is_accepted_once_only() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    let data = app.ok(Some(&s.token), "mutation { inviteMember(input: { email: \"bo@acme.test\", role: HR }) { membership { role status } invitationToken } }", json!({})).await;
    assert_eq!(data["inviteMember"]["membership"]["status"], "INVITED");
    let inv = data["inviteMember"]["invitationToken"].as_str().unwrap();
    let accept = "mutation($t: String!) { acceptInvitation(input: { invitationToken: $t, password: \"a good long password\", name: \"Bo\" }) { token { accessToken } userErrors { code } } }";
    let first = app.ok(None, accept, json!({ "t": inv })).await;
    let token = first["acceptInvitation"]["token"]["accessToken"]
        .as_str()
        .unwrap();
    let me = app
        .ok(Some(token), "{ viewer { roles user { name } } }", json!({}))
        .await;
    assert_eq!(me["viewer"]["roles"], json!(["HR"]));
    assert_eq!(me["viewer"]["user"]["name"], "Bo");
    let second = app.ok(None, accept, json!({ "t": inv })).await;
    assert_eq!(second["acceptInvitation"]["token"], json!(null));
    assert_eq!(
        second["acceptInvitation"]["userErrors"][0]["code"],
        "INVALID_CREDENTIALS"
    );
}

#[tokio::test]
async fn only_admins_manage_members_and_the_last_admin_stays() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    let (member, _) = app.add_member(&s.token, "mo@acme.test", "MEMBER").await;
    let (status, body) = app.gql(Some(&member), "mutation { inviteMember(input: { email: \"x@acme.test\", role: ADMIN }) { invitationToken } }", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let me = app
        .ok(
            Some(&s.token),
            "{ viewer { membership { id } } }",
            json!({}),
        )
        .await;
    let mine = me["viewer"]["membership"]["id"].as_str().unwrap();
    let data = app.ok(Some(&s.token), "mutation($m: ID!) { updateMembership(input: { membershipId: $m, role: MEMBER }) { membership { role } userErrors { code } } }", json!({ "m": mine })).await;
    assert_eq!(
        data["updateMembership"]["userErrors"][0]["code"],
        "INVALID_STATE"
    );
}

#[tokio::test]
async fn a_role_change_takes_effect_on_the_next_request() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    let (hr, membership) = app.add_member(&s.token, "hr@acme.test", "HR").await;
    let q = "{ organization { members(first: 5) { totalCount } } }";
    assert!(
        app.gql(Some(&hr), q, json!({}))
            .await
            .1
            .get("errors")
            .is_none()
    );
    app.ok(Some(&s.token), "mutation($m: ID!) { updateMembership(input: { membershipId: $m, role: MEMBER }) { membership { role } } }", json!({ "m": membership })).await;
    let (_, body) = app.gql(Some(&hr), q, json!({})).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
}

#[tokio::test]
async fn settings_are_validated_and_saved() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    let q = "mutation($i: UpdateOrganizationSettingsInput!) { updateOrganizationSettings(input: $i) { organization { settings { anonymityThreshold managerCanViewResults } } userErrors { field code } } }";
    let bad = app
        .ok(
            Some(&s.token),
            q,
            json!({ "i": { "anonymityThreshold": 1 } }),
        )
        .await;
    assert_eq!(
        bad["updateOrganizationSettings"]["userErrors"][0]["field"],
        json!(["input", "anonymityThreshold"])
    );
    let ok = app
        .ok(
            Some(&s.token),
            q,
            json!({ "i": { "anonymityThreshold": 4, "managerCanViewResults": false } }),
        )
        .await;
    assert_eq!(
        ok["updateOrganizationSettings"]["organization"]["settings"],
        json!({ "anonymityThreshold": 4, "managerCanViewResults": false })
    );
}

async fn create_key(app: &crate::helpers::TestApp, admin: &str) -> (String, String, String) {
    let data = app.ok(Some(admin), "mutation { createApiKey(input: { name: \"HRIS\" }) { apiKey { id role } clientId clientSecret } }", json!({})).await;
    let p = &data["createApiKey"];
    assert_eq!(p["apiKey"]["role"], "INTEGRATION");
    (
        p["apiKey"]["id"].as_str().unwrap().to_owned(),
        p["clientId"].as_str().unwrap().to_owned(),
        p["clientSecret"].as_str().unwrap().to_owned(),
    )
}

async fn exchange(
    app: &crate::helpers::TestApp,
    id: &str,
    secret: &str,
) -> (u16, serde_json::Value) {
    let res = app
        .client
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ])
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn an_api_key_exchanges_for_an_integration_token_until_revoked() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    let (key_id, client_id, secret) = create_key(&app, &s.token).await;
    let (status, body) = exchange(&app, &client_id, &secret).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    let token = body["access_token"].as_str().unwrap().to_owned();
    let me = app
        .ok(
            Some(&token),
            "{ viewer { kind roles user { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        me["viewer"],
        json!({ "kind": "API_KEY", "roles": ["INTEGRATION"], "user": null })
    );
    let (status, body) = exchange(&app, &client_id, "cls_wrong").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    app.ok(
        Some(&s.token),
        "mutation($k: ID!) { revokeApiKey(input: { apiKeyId: $k }) { apiKey { revokedAt } } }",
        json!({ "k": key_id }),
    )
    .await;
    let (status, _) = app
        .gql(Some(&token), "{ viewer { kind } }", json!({}))
        .await;
    assert_eq!(status, 401);
    assert_eq!(exchange(&app, &client_id, &secret).await.0, 401);
}

#[tokio::test]
async fn the_token_endpoint_speaks_rfc_6749_errors() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/oauth/token"))
        .form(&[("grant_type", "password")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "unsupported_grant_type");
    let res = app
        .client
        .post(app.url("/oauth/token"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn a_user_in_two_organizations_switches_between_them() {
    let app = spawn_app().await;
    let a = app.sign_up("Alpha", "ada@alpha.test").await;
    let b = app.sign_up("Beta", "bea@beta.test").await;
    let data = app.ok(Some(&b.token), "mutation { inviteMember(input: { email: \"ada@alpha.test\", role: MEMBER }) { invitationToken } }", json!({})).await;
    let inv = data["inviteMember"]["invitationToken"].as_str().unwrap();
    // An existing account accepts with its own password.
    let wrong = app.ok(None, "mutation($t: String!) { acceptInvitation(input: { invitationToken: $t, password: \"not my password\" }) { userErrors { code } } }", json!({ "t": inv })).await;
    assert_eq!(
        wrong["acceptInvitation"]["userErrors"][0]["code"],
        "INVALID_CREDENTIALS"
    );
    app.ok(None, "mutation($t: String!, $p: String!) { acceptInvitation(input: { invitationToken: $t, password: $p }) { token { accessToken } } }", json!({ "t": inv, "p": PASSWORD })).await;
    let data = app.ok(Some(&a.token), "mutation($o: ID!) { switchOrganization(input: { organizationId: $o }) { token { accessToken } userErrors { code } } }", json!({ "o": b.org_id })).await;
    let token = data["switchOrganization"]["token"]["accessToken"]
        .as_str()
        .unwrap();
    let me = app
        .ok(
            Some(token),
            "{ organization { id } viewer { roles } }",
            json!({}),
        )
        .await;
    assert_eq!(me["organization"]["id"], b.org_id.as_str());
    assert_eq!(me["viewer"]["roles"], json!(["MEMBER"]));
}

#[tokio::test]
async fn an_expired_invitation_is_refused() {
    use sea_orm::sea_query::Expr;
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    let data = app.ok(Some(&s.token), "mutation { inviteMember(input: { email: \"late@acme.test\", role: MEMBER }) { invitationToken } }", json!({})).await;
    let inv = data["inviteMember"]["invitationToken"].as_str().unwrap();
    let org = app.state.jwt.verify(&s.token).unwrap().org_id;
    colead::tenancy::update_many::<entity::invitation::Entity>(org)
        .col_expr(
            entity::invitation::Column::ExpiresAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::minutes(1)),
        )
        .exec(&app.db)
        .await
        .unwrap();
    let res = app.ok(None, "mutation($t: String!) { acceptInvitation(input: { invitationToken: $t, password: \"a good long password\" }) { token { accessToken } userErrors { field code } } }", json!({ "t": inv })).await;
    assert_eq!(res["acceptInvitation"]["token"], json!(null));
    assert_eq!(
        res["acceptInvitation"]["userErrors"][0]["field"],
        json!(["input", "invitationToken"])
    );
}

#[tokio::test]
async fn an_expired_access_token_still_lets_the_client_refresh() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    let res = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth("expired.or.garbage")
        .json(&json!({ "query": REFRESH, "variables": { "r": s.refresh } }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        body["data"]["refreshToken"]["token"]["accessToken"].is_string(),
        "{body}"
    );
}

#[tokio::test]
async fn api_keys_are_integration_keys_only() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    let data = app.ok(Some(&s.token), "mutation { createApiKey(input: { name: \"root\", role: ADMIN }) { apiKey { id } clientSecret userErrors { field code } } }", json!({})).await;
    assert_eq!(
        data["createApiKey"]["clientSecret"],
        serde_json::Value::Null
    );
    assert_eq!(
        data["createApiKey"]["userErrors"],
        json!([{ "field": ["input", "role"], "code": "INVALID" }])
    );
}

#[tokio::test]
async fn two_sign_ups_racing_for_one_email_give_one_account_and_one_user_error() {
    let app = spawn_app().await;
    let q = "mutation($o: String!) { signUp(input: { organizationName: $o, name: \"Ada\", email: \"race@acme.test\", password: \"a long enough password\" }) { user { id } userErrors { field code } } }";
    let (a, b) = tokio::join!(
        app.gql(None, q, json!({ "o": "Alpha" })),
        app.gql(None, q, json!({ "o": "Beta" }))
    );
    let mut outcomes = Vec::new();
    for (status, body) in [a, b] {
        assert_eq!(status, 200, "{body}");
        assert!(
            body.get("errors").is_none(),
            "a lost race must be a user error: {body}"
        );
        outcomes.push(body["data"]["signUp"]["userErrors"].clone());
    }
    outcomes.sort_by_key(|e| e.to_string());
    assert_eq!(
        outcomes,
        vec![
            json!([]),
            json!([{ "field": ["input", "email"], "code": "TAKEN" }])
        ]
    );
}
