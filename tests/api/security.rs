//! Every forged, stale or foreign token answers 401 with `WWW-Authenticate: Bearer`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::helpers::{JWT_SECRET, TestApp, spawn_app};

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn sign(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()).unwrap(),
    )
    .unwrap()
}

async fn assert_401(app: &TestApp, authorization: &str, what: &str) {
    let res = app
        .client
        .post(app.url("/graphql"))
        .header("authorization", authorization)
        .header("accept", "application/graphql-response+json")
        .json(&json!({ "query": "{ viewer { kind } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "{what}");
    assert_eq!(res.headers()["www-authenticate"], "Bearer", "{what}");
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{what}"
    );
    assert!(body["data"].is_null(), "{what}");
}

#[tokio::test]
async fn forged_expired_and_foreign_tokens_are_refused() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    let good = claims_of(&s.token);
    let now = chrono::Utc::now().timestamp();
    // Sanity: the untouched claims re-signed with the right key work.
    let resigned = sign(&good, JWT_SECRET);
    assert_eq!(
        app.gql(Some(&resigned), "{ viewer { kind } }", json!({}))
            .await
            .0,
        200
    );

    let header_none = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(good.to_string());
    assert_401(
        &app,
        &format!("Bearer {header_none}.{payload}."),
        "alg none",
    )
    .await;

    let mut edited = good.clone();
    edited["roles"] = json!(["ADMIN", "HR"]);
    edited["exp"] = json!(now + 86_400);
    let parts: Vec<&str> = s.token.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(edited.to_string()),
        parts[2]
    );
    assert_401(
        &app,
        &format!("Bearer {tampered}"),
        "payload edited under the old signature",
    )
    .await;

    assert_401(
        &app,
        &format!(
            "Bearer {}",
            sign(&good, "another-secret-another-secret-0123456789")
        ),
        "another key",
    )
    .await;

    let mut c = good.clone();
    c["exp"] = json!(now - 3600);
    c["iat"] = json!(now - 7200);
    c["nbf"] = json!(now - 7200);
    assert_401(&app, &format!("Bearer {}", sign(&c, JWT_SECRET)), "expired").await;

    let mut c = good.clone();
    c["nbf"] = json!(now + 3600);
    assert_401(
        &app,
        &format!("Bearer {}", sign(&c, JWT_SECRET)),
        "nbf in the future",
    )
    .await;

    let mut c = good.clone();
    c["iss"] = json!("someone-else");
    assert_401(
        &app,
        &format!("Bearer {}", sign(&c, JWT_SECRET)),
        "wrong iss",
    )
    .await;

    let mut c = good.clone();
    c["aud"] = json!("another-api");
    assert_401(
        &app,
        &format!("Bearer {}", sign(&c, JWT_SECRET)),
        "wrong aud",
    )
    .await;

    let mut c = good.clone();
    c["org_id"] = json!(uuid::Uuid::now_v7());
    assert_401(
        &app,
        &format!("Bearer {}", sign(&c, JWT_SECRET)),
        "an organization without membership",
    )
    .await;

    for garbage in [
        "Bearer abc",
        "Bearer ",
        "Bearer a.b.c",
        "Basic dXNlcjpwYXNz",
        "token",
    ] {
        assert_401(&app, garbage, garbage).await;
    }
}

#[tokio::test]
async fn a_removed_members_token_stops_working_at_once() {
    let app = spawn_app().await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    let (token, membership) = app.add_member(&s.token, "mo@acme.test", "MEMBER").await;
    assert_eq!(
        app.gql(Some(&token), "{ viewer { kind } }", json!({}))
            .await
            .0,
        200
    );
    let data = app.ok(Some(&s.token), "mutation($m: ID!) { removeMember(input: { membershipId: $m }) { removedMembershipId userErrors { code } } }", json!({ "m": membership })).await;
    assert_eq!(
        data["removeMember"]["removedMembershipId"],
        membership.as_str()
    );
    assert_401(&app, &format!("Bearer {token}"), "removed membership").await;
}

#[tokio::test]
async fn protected_fields_without_a_token_are_401_and_auth_mutations_are_open() {
    let app = spawn_app().await;
    let (status, body) = app.gql(None, "{ viewer { kind } }", json!({})).await;
    assert_eq!(status, 401);
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    let (status, _) = app.gql(None, "mutation { login(input: { email: \"a@b.io\", password: \"x\" }) { userErrors { code } } }", json!({})).await;
    assert_eq!(status, 200);
}
