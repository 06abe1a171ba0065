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

/// Accepts one HTTP request on `listener` and answers 200; returns its head and body.
fn receive_one(listener: std::net::TcpListener) -> (String, Vec<u8>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let (stream, _) = listener.accept().unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut head = String::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" || line.is_empty() {
            break;
        }
        head.push_str(&line);
    }
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let mut stream = stream;
    stream
        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        .unwrap();
    (head, body)
}

#[test]
fn spans_are_exported_over_otlp_when_an_endpoint_is_configured() {
    let collector = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", collector.local_addr().unwrap());
    let received = std::thread::spawn(move || receive_one(collector));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_colead"))
        .arg("serve")
        .env(
            "COLEAD_DATABASE_URL",
            format!("sqlite://{}?mode=rwc", dir.path().join("otel.db").display()),
        )
        .env("COLEAD_JWT_SECRET", crate::helpers::JWT_SECRET)
        .env("COLEAD_BIND", format!("127.0.0.1:{port}"))
        .env("COLEAD_LOG", "info")
        .env("COLEAD_OTLP_ENDPOINT", &endpoint)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let health = format!("http://127.0.0.1:{port}/healthz");
    let mut up = false;
    for _ in 0..100 {
        if reqwest::blocking::get(&health).is_ok_and(|r| r.status().is_success()) {
            up = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(up, "the server did not start");
    // SIGTERM: a graceful stop flushes the spans still buffered.
    std::process::Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    let (head, body) = received.join().unwrap();
    let _ = server.wait();
    assert!(head.starts_with("POST /v1/traces "), "{head}");
    assert!(
        head.to_ascii_lowercase().contains("application/x-protobuf"),
        "{head}"
    );
    let body = String::from_utf8_lossy(&body);
    assert!(
        body.contains("colead") && body.contains("request") && body.contains("/healthz"),
        "{body}"
    );
}
