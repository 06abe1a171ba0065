//! Faults on PostgreSQL: the database goes away behind a proxy the test cuts, and comes
//! back; and the statement timeout. These run when TEST_DATABASE_URL is set (CI's
//! PostgreSQL pass); SQLite has no network to cut and no statement timeout.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use crate::helpers::{CREATE_LEADER, TestApp, postgres_url, spawn_app_with};

/// A TCP proxy in front of PostgreSQL that the test can cut and restore.
struct Proxy {
    addr: SocketAddr,
    cut: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let cut = Arc::new(AtomicBool::new(false));
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (c, l) = (cut.clone(), links.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if c.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let upstream = upstream.clone();
                let link = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                l.lock().await.push(link);
            }
        });
        Self { addr, cut, links }
    }

    /// Drops every open connection and refuses new ones.
    async fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for link in self.links.lock().await.drain(..) {
            link.abort();
        }
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

async fn ready(app: &TestApp) -> u16 {
    app.client
        .get(app.url("/readyz"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn wait_for_readiness(app: &TestApp, status: u16, within: Duration) {
    let start = Instant::now();
    while ready(app).await != status {
        assert!(start.elapsed() < within, "/readyz never answered {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn when_postgres_goes_away_readyz_fails_errors_stay_clean_and_the_service_recovers() {
    let Some(admin) = postgres_url() else {
        return; // PostgreSQL only.
    };
    let upstream = url::Url::parse(&admin).unwrap();
    let upstream = format!(
        "{}:{}",
        upstream.host_str().unwrap(),
        upstream.port().unwrap_or(5432)
    );
    let proxy = Proxy::start(upstream.clone()).await;
    let via = proxy.addr;
    let app = spawn_app_with(move |c| {
        c.database_url = c.database_url.replacen(&upstream, &via.to_string(), 1);
        c.hardening.acquire_timeout = Duration::from_secs(1);
    })
    .await;
    assert!(app.state.config.database_url.contains(&via.to_string()));
    let s = app.sign_up("Faulty", "faulty@example.com").await;
    app.leader(&s.token, json!({ "name": "Written before" }))
        .await;

    proxy.cut().await;
    wait_for_readiness(&app, 503, Duration::from_secs(10)).await;
    for (query, vars) in [
        ("{ leaders { totalCount } }", json!({})),
        (CREATE_LEADER, json!({ "i": { "name": "Written during" } })),
    ] {
        let started = Instant::now();
        let (status, body) = app.gql(Some(&s.token), query, vars).await;
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "took {:?}",
            started.elapsed()
        );
        assert!(status == 200 || status == 503, "{status} {body}");
        let code = body["errors"][0]["extensions"]["code"].as_str().unwrap();
        assert_eq!(code, "INTERNAL", "{body}");
        let text = body.to_string().to_lowercase();
        for leak in [
            "sqlx",
            "pool",
            "postgres",
            "connection",
            "io error",
            "refused",
        ] {
            assert!(!text.contains(leak), "leaked '{leak}': {body}");
        }
    }

    proxy.restore();
    wait_for_readiness(&app, 200, Duration::from_secs(15)).await;
    let data = app
        .ok(Some(&s.token), "{ leaders { nodes { name } } }", json!({}))
        .await;
    let names: Vec<&str> = data["leaders"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Written before"], "{data}");
    app.leader(&s.token, json!({ "name": "Written after" }))
        .await;
}

#[tokio::test]
async fn a_statement_past_the_database_timeout_is_cancelled_and_reported_as_timeout() {
    if postgres_url().is_none() {
        return; // PostgreSQL only.
    }
    let app = spawn_app_with(|c| c.hardening.statement_timeout = Duration::from_millis(100)).await;
    use sea_orm::ConnectionTrait;
    let row = app
        .state
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SHOW statement_timeout",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.try_get::<String>("", "statement_timeout").unwrap(),
        "100ms"
    );
    let started = Instant::now();
    let slow = app
        .state
        .db
        .execute_unprepared("SELECT pg_sleep(2)")
        .await
        .map(|_| ());
    let err = colead::error::Context::context(slow, "sleeping").unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    let gql: async_graphql::Error = err.into();
    let code = gql.extensions.as_ref().and_then(|e| e.get("code")).cloned();
    assert_eq!(
        code,
        Some(async_graphql::Value::from("TIMEOUT")),
        "{}",
        gql.message
    );
}
