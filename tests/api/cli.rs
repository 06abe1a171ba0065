//! `colead demo` and `colead token`: operator commands.

use colead::domain::accounts::{Issuer, operator};
use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn demo_is_idempotent_and_token_prints_a_working_token() {
    let app = spawn_app().await;
    let issuer = Issuer {
        db: &app.db,
        jwt: &app.state.jwt,
        refresh_ttl: app.state.config.refresh_token_ttl,
    };
    let first = operator::demo(&issuer).await.unwrap();
    let second = operator::demo(&issuer).await.unwrap();
    for t in [&first.access_token, &second.access_token] {
        let data = app
            .ok(
                Some(t),
                "{ organization { slug members { totalCount } } }",
                json!({}),
            )
            .await;
        assert_eq!(
            data["organization"],
            json!({ "slug": "demo", "members": { "totalCount": 1 } })
        );
    }
    let token = operator::token_for(&issuer, "demo", "ADMIN@demo.colead.test")
        .await
        .unwrap();
    let data = app
        .ok(Some(&token.token), "{ viewer { roles } }", json!({}))
        .await;
    assert_eq!(data["viewer"]["roles"], json!(["ADMIN"]));
    assert!(
        operator::token_for(&issuer, "demo", "nobody@demo.colead.test")
            .await
            .is_err()
    );
    assert!(
        operator::token_for(&issuer, "nowhere", "admin@demo.colead.test")
            .await
            .is_err()
    );
}

#[test]
fn the_demo_and_token_commands_run_from_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_colead"))
            .args(args)
            .env("COLEAD_DATABASE_URL", &url)
            .env("COLEAD_JWT_SECRET", crate::helpers::JWT_SECRET)
            .env("COLEAD_LOG", "error")
            .output()
            .unwrap()
    };
    for _ in 0..2 {
        let out = run(&["demo"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("access token: ey"));
    }
    let out = run(&[
        "token",
        "--org",
        "demo",
        "--email",
        "admin@demo.colead.test",
    ]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .split('.')
            .count(),
        3
    );
    let out = run(&[
        "token",
        "--org",
        "demo",
        "--email",
        "nobody@demo.colead.test",
    ]);
    assert!(!out.status.success());
}
