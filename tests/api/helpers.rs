//! `spawn_app()`: the real server on a random port with a fresh database per test.

use std::net::TcpListener;
use std::sync::Arc;

use colead::config::{Config, Secret};
use colead::startup::{AppState, Application};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};

pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";

/// A running server and what a test needs to talk to it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    pub state: Arc<AppState>,
    _store: Store,
}

/// The per-test database, removed when the test ends.
enum Store {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres {
        admin_url: String,
        name: String,
    },
    /// Another instance's database, owned by the first.
    Shared,
}

impl Drop for Store {
    fn drop(&mut self) {
        if let Store::Postgres { admin_url, name } = self {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs inside the test's runtime: do the async cleanup on its own thread.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(rt) = rt {
                    rt.block_on(async {
                        if let Ok(db) = Database::connect(admin_url.as_str()).await {
                            let _ = db
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                                ))
                                .await;
                        }
                    });
                }
            })
            .join();
        }
    }
}

/// Which store the suite runs on.
pub fn postgres_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

async fn fresh_database() -> (String, Store) {
    match postgres_url() {
        Some(admin_url) => {
            let name = format!("colead_test_{}", uuid::Uuid::new_v4().simple());
            let admin = Database::connect(admin_url.as_str())
                .await
                .expect("connect to TEST_DATABASE_URL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("create the test database");
            let base = admin_url
                .rsplit_once('/')
                .map(|(b, _)| b.to_owned())
                .unwrap_or(admin_url.clone());
            (
                format!("{base}/{name}"),
                Store::Postgres { admin_url, name },
            )
        }
        None => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
            (url, Store::Sqlite(dir))
        }
    }
}

/// Settings for tests: development defaults, a fixed secret, the given database.
pub fn test_config(database_url: &str) -> Config {
    let url = database_url.to_owned();
    Config::from_lookup(move |name| match name {
        "COLEAD_DATABASE_URL" => Some(url.clone()),
        "COLEAD_JWT_SECRET" => Some(JWT_SECRET.to_owned()),
        "COLEAD_BIND" => Some("127.0.0.1:0".to_owned()),
        "COLEAD_LOG" => Some("warn".to_owned()),
        _ => None,
    })
    .expect("test config")
}

/// The server's pool settings, at most 5 connections.
fn pool_options(config: &Config) -> colead::db::PoolOptions {
    let mut pool = colead::db::PoolOptions::from_config(config);
    pool.max_connections = pool.max_connections.min(5);
    pool
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the server with the test configuration changed by `adjust`.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let (url, store) = fresh_database().await;
    let mut config = test_config(&url);
    adjust(&mut config);
    config.jwt_secret = Secret::new(JWT_SECRET);
    colead::telemetry::init(&config);
    let db = colead::db::connect_with(&config.database_url, pool_options(&config))
        .await
        .expect("connect");
    colead::db::migrate(&db).await.expect("migrate");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let app = Application::with_listener(config, db.clone(), listener).expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::new(),
        db,
        state,
        _store: store,
    }
}

/// Another server on the same database, as another instance behind a load balancer
/// would be, with the first one's configuration changed by `adjust`.
pub async fn another_instance_with(app: &TestApp, adjust: impl FnOnce(&mut Config)) -> TestApp {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let mut config = app.state.config.clone();
    adjust(&mut config);
    let instance = Application::with_listener(config, app.db.clone(), listener).expect("build app");
    let address = format!("http://127.0.0.1:{}", instance.port());
    let state = instance.state();
    tokio::spawn(instance.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::new(),
        db: app.db.clone(),
        state,
        _store: Store::Shared,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// POSTs a GraphQL operation, with a bearer token when given; returns status and body.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> (u16, Value) {
        let mut req = self
            .client
            .post(self.url("/graphql"))
            .header("accept", "application/graphql-response+json")
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.expect("json body"))
    }

    /// Like [`gql`](Self::gql) but asserts HTTP 200 and no errors, returning `data`.
    pub async fn ok(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let (status, body) = self.gql(token, query, variables).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }
}

pub const PASSWORD: &str = "correct horse battery staple";

/// An organization made through `signUp`, with its admin signed in.
pub struct Session {
    pub token: String,
    pub refresh: String,
    pub org_id: String,
    pub user_id: String,
}

impl TestApp {
    pub async fn sign_up(&self, org: &str, email: &str) -> Session {
        let data = self
            .ok(
                None,
                "mutation($i: SignUpInput!) { signUp(input: $i) { organization { id } user { id } token { accessToken refreshToken } userErrors { field message code } } }",
                json!({ "i": { "organizationName": org, "name": "Ada Admin", "email": email, "password": PASSWORD } }),
            )
            .await;
        let p = &data["signUp"];
        assert_eq!(p["userErrors"], json!([]), "{p}");
        Session {
            token: p["token"]["accessToken"].as_str().unwrap().to_owned(),
            refresh: p["token"]["refreshToken"].as_str().unwrap().to_owned(),
            org_id: p["organization"]["id"].as_str().unwrap().to_owned(),
            user_id: p["user"]["id"].as_str().unwrap().to_owned(),
        }
    }

    /// Invites `email` with `role` and accepts; returns the invitee's access token and membership id.
    pub async fn add_member(&self, admin: &str, email: &str, role: &str) -> (String, String) {
        let data = self
            .ok(
                Some(admin),
                "mutation($i: InviteMemberInput!) { inviteMember(input: $i) { membership { id } invitationToken userErrors { message } } }",
                json!({ "i": { "email": email, "role": role } }),
            )
            .await;
        let inv = data["inviteMember"]["invitationToken"]
            .as_str()
            .unwrap()
            .to_owned();
        let membership = data["inviteMember"]["membership"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let data = self
            .ok(
                None,
                "mutation($i: AcceptInvitationInput!) { acceptInvitation(input: $i) { token { accessToken } userErrors { message } } }",
                json!({ "i": { "invitationToken": inv, "password": PASSWORD, "name": "Invited Person" } }),
            )
            .await;
        (
            data["acceptInvitation"]["token"]["accessToken"]
                .as_str()
                .unwrap()
                .to_owned(),
            membership,
        )
    }
}

pub const CREATE_LEADER: &str = "mutation($i: CreateLeaderInput!) { createLeader(input: $i) { leader { id name email externalId department manager { id } } userErrors { field message code } } }";

impl TestApp {
    /// Creates a leader and returns its id, asserting no user errors.
    pub async fn leader(&self, token: &str, input: Value) -> String {
        let data = self
            .ok(Some(token), CREATE_LEADER, json!({ "i": input }))
            .await;
        assert_eq!(data["createLeader"]["userErrors"], json!([]), "{data}");
        data["createLeader"]["leader"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Creates many leaders, 50 aliased mutations per request; returns their ids in order.
    pub async fn leaders(&self, token: &str, inputs: &[Value]) -> Vec<String> {
        let mut ids = Vec::new();
        for chunk in inputs.chunks(50) {
            let mut q = String::from("mutation(");
            let vars: Vec<String> = (0..chunk.len())
                .map(|i| format!("$i{i}: CreateLeaderInput!"))
                .collect();
            q.push_str(&vars.join(", "));
            q.push_str(") {");
            for i in 0..chunk.len() {
                q.push_str(&format!(" l{i}: createLeader(input: $i{i}) {{ leader {{ id }} userErrors {{ message }} }}"));
            }
            q.push('}');
            let variables: serde_json::Map<String, Value> = chunk
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("i{i}"), v.clone()))
                .collect();
            let data = self.ok(Some(token), &q, Value::Object(variables)).await;
            for i in 0..chunk.len() {
                ids.push(
                    data[format!("l{i}")]["leader"]["id"]
                        .as_str()
                        .expect("created")
                        .to_owned(),
                );
            }
        }
        ids
    }

    /// The value of the server's SQL statement counter.
    pub fn statements(&self) -> u64 {
        self.state
            .statements
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Waits until closing a cycle has kept its three heatmaps (in the background, with
    /// statements of its own).
    pub async fn wait_for_kept_heatmaps(&self) {
        use sea_orm::{ConnectionTrait, Statement};
        for _ in 0..400 {
            let backend = self.db.get_database_backend();
            let row = self
                .db
                .query_one_raw(Statement::from_string(
                    backend,
                    "SELECT COUNT(*) AS n FROM heatmap_snapshots",
                ))
                .await
                .expect("counting kept heatmaps")
                .expect("a count");
            if row.try_get::<i64>("", "n").expect("a count") >= 3 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("closing the cycle did not keep its three heatmaps");
    }
}

impl TestApp {
    /// A member linked to `leader`, signed in; returns the access token.
    pub async fn linked_member(&self, admin: &str, leader: &str, email: &str) -> String {
        let data = self
            .ok(
                Some(admin),
                "mutation($e: String!, $l: ID) { inviteMember(input: { email: $e, role: MEMBER, leaderId: $l }) { invitationToken userErrors { message } } }",
                json!({ "e": email, "l": leader }),
            )
            .await;
        let inv = data["inviteMember"]["invitationToken"]
            .as_str()
            .expect("invitation")
            .to_owned();
        let data = self
            .ok(
                None,
                "mutation($t: String!) { acceptInvitation(input: { invitationToken: $t, password: \"a long enough password\" }) { token { accessToken } } }",
                json!({ "t": inv }),
            )
            .await;
        data["acceptInvitation"]["token"]["accessToken"]
            .as_str()
            .expect("token")
            .to_owned()
    }

    /// Runs a mutation and asserts it reported no user errors; returns its payload.
    pub async fn mutate(&self, token: &str, query: &str, variables: Value, field: &str) -> Value {
        let data = self.ok(Some(token), query, variables).await;
        assert_eq!(data[field]["userErrors"], json!([]), "{field}: {data}");
        data[field].clone()
    }
}
