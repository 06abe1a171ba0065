//! Asymmetric signing (EdDSA with a published JWKS) and tokens of an external identity
//! provider verified against a JWKS that the test serves on loopback.

use std::net::TcpListener;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_with};

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

async fn viewer_status(app: &TestApp, token: &str) -> (u16, Value) {
    app.gql(
        Some(token),
        "{ viewer { roles user { email } organization { slug } } }",
        json!({}),
    )
    .await
}

#[tokio::test]
async fn eddsa_tokens_are_issued_published_and_verified() {
    let app = spawn_app_with(|c| {
        c.jwt_algorithm = colead::config::JwtAlgorithm::EdDsa;
        c.jwt_private_key_file = Some(fixture("ed25519.pem").into());
    })
    .await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    let header = jsonwebtoken::decode_header(&s.token).unwrap();
    assert_eq!(header.alg, Algorithm::EdDSA);
    assert_eq!(header.kid.as_deref(), Some("colead-1"));
    assert_eq!(viewer_status(&app, &s.token).await.0, 200);

    let jwks: Value = app
        .client
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"][0]["kid"], "colead-1");
    assert_eq!(jwks["keys"][0]["crv"], "Ed25519");
    assert!(
        jwks["keys"][0].get("d").is_none(),
        "the private part must never be published"
    );

    // HS256 signed with the public key as the secret: the classic confusion attack.
    let claims: Value = jsonwebtoken::dangerous::insecure_decode(&s.token)
        .unwrap()
        .claims;
    let public_pem = std::fs::read(fixture("ed25519.pub.pem")).unwrap();
    for secret in [
        public_pem.clone(),
        jwks["keys"][0]["x"].as_str().unwrap().as_bytes().to_vec(),
    ] {
        let mut h = Header::new(Algorithm::HS256);
        h.kid = Some("colead-1".into());
        let forged =
            jsonwebtoken::encode(&h, &claims, &EncodingKey::from_secret(&secret).unwrap()).unwrap();
        assert_eq!(viewer_status(&app, &forged).await.0, 401);
    }
}

#[tokio::test]
async fn hs256_deployments_publish_no_keys() {
    let app = crate::helpers::spawn_app().await;
    let res = app
        .client
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

/// The identity provider: its signing keys and a loopback JWKS endpoint.
struct Idp {
    url: String,
    published: Arc<RwLock<JwkSet>>,
}

fn key(pem_file: &str, alg: Algorithm) -> EncodingKey {
    let pem = std::fs::read(fixture(pem_file)).unwrap();
    match alg {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(&pem).unwrap(),
        _ => EncodingKey::from_ec_pem(&pem).unwrap(),
    }
}

fn public_jwk(pem_file: &str, alg: Algorithm, kid: &str) -> Jwk {
    let mut jwk = Jwk::from_encoding_key(&key(pem_file, alg), alg).unwrap();
    jwk.common.key_id = Some(kid.to_owned());
    jwk
}

async fn start_idp(keys: Vec<Jwk>) -> Idp {
    let published = Arc::new(RwLock::new(JwkSet { keys }));
    let shared = published.clone();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://127.0.0.1:{}/jwks",
        listener.local_addr().unwrap().port()
    );
    let server = HttpServer::new(move || {
        let shared = shared.clone();
        App::new().route(
            "/jwks",
            web::get().to(move || {
                let body = serde_json::to_value(&*shared.read().unwrap()).unwrap();
                async move { HttpResponse::Ok().json(body) }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    Idp { url, published }
}

fn idp_token(pem_file: &str, alg: Algorithm, kid: &str, claims: Value) -> String {
    let mut h = Header::new(alg);
    h.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&h, &claims, &key(pem_file, alg)).unwrap()
}

fn claims(sub: &str, email: &str, tenant: &str, groups: &[&str]) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({ "iss": "https://idp.test", "aud": "colead", "sub": sub, "email": email, "email_verified": true,
            "https://colead/org": tenant, "groups": groups, "iat": now, "exp": now + 300 })
}

#[tokio::test]
async fn external_provider_tokens_sign_members_in_with_the_configured_claims() {
    let idp = start_idp(vec![
        public_jwk("idp-rsa.pem", Algorithm::RS256, "rsa-1"),
        public_jwk("idp-ec.pem", Algorithm::ES256, "ec-1"),
    ])
    .await;
    let jwks_url = idp.url.clone();
    let app = spawn_app_with(move |c| {
        c.idp = Some(colead::config::IdpConfig {
            jwks: jwks_url,
            issuer: "https://idp.test".into(),
            audience: "colead".into(),
            tenant_claim: "https://colead/org".into(),
            roles_claim: "groups".into(),
            email_claim: "email".into(),
            min_refresh: Duration::from_millis(0),
        });
    })
    .await;
    let s = app.sign_up("Acme", "ada@acme.test").await;
    app.add_member(&s.token, "bo@acme.test", "HR").await;
    app.add_member(&s.token, "cy@acme.test", "MEMBER").await;

    // An unverified email never links a provider subject to an account.
    let mut unverified = claims("u-cy", "cy@acme.test", "acme", &[]);
    unverified["email_verified"] = json!(false);
    let t = idp_token("idp-rsa.pem", Algorithm::RS256, "rsa-1", unverified);
    assert_eq!(viewer_status(&app, &t).await.0, 401);

    // RS256, tenant by slug; the provider may narrow the role (HR to MEMBER).
    let groups = &["MEMBER", "staff"];
    let t = idp_token(
        "idp-rsa.pem",
        Algorithm::RS256,
        "rsa-1",
        claims("u-bo", "bo@acme.test", "acme", groups),
    );
    let (status, body) = viewer_status(&app, &t).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["viewer"]["roles"], json!(["MEMBER"]));
    assert_eq!(body["data"]["viewer"]["user"]["email"], "bo@acme.test");

    // ES256, linked by subject now (the email claim no longer matters); a claimed ADMIN
    // does not widen the HR membership.
    let t = idp_token(
        "idp-ec.pem",
        Algorithm::ES256,
        "ec-1",
        claims("u-bo", "other@x.test", "acme", &["ADMIN"]),
    );
    let (status, body) = viewer_status(&app, &t).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["viewer"]["roles"], json!(["HR"]));

    // A rotated key is picked up on its first unknown kid.
    idp.published
        .write()
        .unwrap()
        .keys
        .push(public_jwk("idp-rsa.pem", Algorithm::RS256, "rsa-2"));
    let t = idp_token(
        "idp-rsa.pem",
        Algorithm::RS256,
        "rsa-2",
        claims("u-bo", "bo@acme.test", "acme", &[]),
    );
    assert_eq!(viewer_status(&app, &t).await.0, 200);

    let mut wrong_aud = claims("u-bo", "bo@acme.test", "acme", &[]);
    wrong_aud["aud"] = json!("someone-else");
    let mut wrong_iss = claims("u-bo", "bo@acme.test", "acme", &[]);
    wrong_iss["iss"] = json!("https://evil.test");
    let mut expired = claims("u-bo", "bo@acme.test", "acme", &[]);
    expired["exp"] = json!(chrono::Utc::now().timestamp() - 3600);
    for (what, token) in [
        (
            "wrong aud",
            idp_token("idp-rsa.pem", Algorithm::RS256, "rsa-1", wrong_aud),
        ),
        (
            "wrong iss",
            idp_token("idp-rsa.pem", Algorithm::RS256, "rsa-1", wrong_iss),
        ),
        (
            "expired",
            idp_token("idp-rsa.pem", Algorithm::RS256, "rsa-1", expired),
        ),
        (
            "unknown kid",
            idp_token(
                "idp-rsa.pem",
                Algorithm::RS256,
                "nope",
                claims("u-bo", "bo@acme.test", "acme", &[]),
            ),
        ),
        (
            "key of another kid",
            idp_token(
                "idp-ec.pem",
                Algorithm::ES256,
                "rsa-1",
                claims("u-bo", "bo@acme.test", "acme", &[]),
            ),
        ),
        (
            "not a member",
            idp_token(
                "idp-rsa.pem",
                Algorithm::RS256,
                "rsa-1",
                claims("u-x", "stranger@acme.test", "acme", &[]),
            ),
        ),
        (
            "unknown tenant",
            idp_token(
                "idp-rsa.pem",
                Algorithm::RS256,
                "rsa-1",
                claims("u-bo", "bo@acme.test", "nowhere", &[]),
            ),
        ),
    ] {
        assert_eq!(viewer_status(&app, &token).await.0, 401, "{what}");
    }
}
