//! Building the application: connect, migrate, bind, wire the routes, run.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use sea_orm::DatabaseConnection;

use crate::auth::PrincipalCache;
use crate::auth::external::ExternalIdp;
use crate::auth::jwt::JwtKeys;
use crate::config::Config;
use crate::domain::integrations::webhooks::worker::Worker;
use crate::error::{Context, Result};
use crate::graphql::cost::SchemaIndex;
use crate::graphql::{self, ColeadSchema};
use crate::http::graphql::PersistedStore;
use crate::http::metrics::Metrics;
use crate::ratelimit::{Limiter, RedisStore};
use crate::{db, http, telemetry};

/// Everything a request handler may need, shared by all workers.
pub struct AppState {
    pub config: Config,
    pub db: DatabaseConnection,
    pub jwt: JwtKeys,
    pub principals: PrincipalCache,
    /// The external identity provider, when configured.
    pub idp: Option<ExternalIdp>,
    /// SQL statements run since start (for metrics, benchmarks and tests).
    pub statements: Arc<AtomicU64>,
    /// The schema's fields, for costing operations before they run.
    pub schema_index: SchemaIndex,
    /// Query-cost and login budgets.
    pub limiter: Limiter,
    pub persisted: PersistedStore,
    /// Parsed documents by query text.
    pub documents: crate::http::graphql::DocumentCache,
    pub metrics: Metrics,
    /// Heatmap sums of closed cycles, briefly kept.
    pub heatmaps: crate::domain::insights::HeatmapCache,
    /// Committed domain events, for GraphQL subscriptions.
    pub events: crate::events::Bus,
}

/// A bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
    state: Arc<AppState>,
    /// The pool for the webhook worker, without the request statement counter.
    worker_db: DatabaseConnection,
}

/// The schema, shared by all workers next to the state.
pub type SharedSchema = web::Data<ColeadSchema>;

impl Application {
    /// Connects to the database (migrating when configured), binds and wires the routes.
    pub async fn build(config: Config) -> Result<Self> {
        let db =
            db::connect_with(&config.database_url, db::PoolOptions::from_config(&config)).await?;
        if config.auto_migrate {
            db::migrate(&db).await?;
        }
        let listener =
            TcpListener::bind(config.bind).with_context(|| format!("binding {}", config.bind))?;
        Self::with_listener(config, db, listener)
    }

    /// Builds on an open database and a bound listener (tests bind port 0).
    pub fn with_listener(
        config: Config,
        mut db: DatabaseConnection,
        listener: TcpListener,
    ) -> Result<Self> {
        let worker_db = db.clone();
        let statements = Arc::new(AtomicU64::new(0));
        let counter = statements.clone();
        db.set_metric_callback(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        let port = listener
            .local_addr()
            .context("reading the bound address")?
            .port();
        let jwt = JwtKeys::from_config(&config)?;
        let idp = config.idp.clone().map(ExternalIdp::new);
        let redis = match &config.hardening.redis_url {
            Some(url) => {
                Some(RedisStore::new(url, "colead:rl:").context("reading COLEAD_REDIS_URL")?)
            }
            None => None,
        };
        let persisted = PersistedStore::from_config(&config.hardening.persisted_queries)?;
        let events = crate::events::Bus::default();
        // Runs as long as the runtime does: one LISTEN connection per instance.
        let _listener = crate::events::spawn_listener(&config.database_url, &db, &events);
        let state = Arc::new(AppState {
            schema_index: SchemaIndex::from_sdl(&graphql::sdl()),
            limiter: Limiter::new(redis),
            persisted,
            documents: crate::http::graphql::DocumentCache::new(config.hardening.compiled_reads),
            metrics: Metrics::default(),
            heatmaps: Default::default(),
            events,
            statements,
            idp,
            config,
            db,
            jwt,
            principals: PrincipalCache::default(),
        });
        let schema: SharedSchema = web::Data::new(graphql::build_schema(state.clone()));
        let ws_schema = web::Data::new(http::ws::WsSchema(graphql::build_ws_schema(state.clone())));
        let data = web::Data::from(state.clone());
        let origins = state.config.hardening.cors_origins.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(schema.clone())
                .app_data(ws_schema.clone())
                .configure(http::routes)
                .wrap(http::cors(&origins))
                .wrap_fn(telemetry::request_span)
        })
        .shutdown_timeout(30)
        .listen(listener)
        .context("listening")?
        .run();
        Ok(Self {
            port,
            server,
            state,
            worker_db,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> Arc<AppState> {
        self.state.clone()
    }

    /// Serves until SIGTERM/SIGINT, then finishes in-flight requests (up to 30 s). The
    /// webhook worker runs as long as the server does.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let worker = Worker::spawn(self.state, self.worker_db);
        let served = self.server.await;
        if let Some(worker) = worker {
            worker.stop().await;
        }
        served
    }
}
