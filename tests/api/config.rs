//! Configuration: defaults, and invalid values that stop the start naming the variable.

use std::collections::HashMap;

use colead::config::{Config, Environment};

fn load(vars: &[(&str, &str)]) -> Result<Config, colead::config::ConfigError> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Config::from_lookup(move |name| map.get(name).cloned())
}

#[test]
fn defaults_suit_a_developer_laptop() {
    let c = load(&[]).unwrap();
    assert_eq!(c.database_url, "sqlite://colead.db?mode=rwc");
    assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
    assert_eq!(c.env, Environment::Development);
    assert!(c.graphiql && c.auto_migrate && c.jwt_secret_generated);
    assert_eq!(c.access_token_ttl.as_secs(), 900);
}

#[test]
fn production_requires_a_secret_and_turns_graphiql_off() {
    let err = load(&[("COLEAD_ENV", "production")]).unwrap_err();
    assert_eq!(err.variable, "COLEAD_JWT_SECRET");
    let c = load(&[
        ("COLEAD_ENV", "production"),
        ("COLEAD_JWT_SECRET", &"s".repeat(40)),
    ])
    .unwrap();
    assert!(!c.graphiql && !c.jwt_secret_generated);
    assert!(
        !c.hardening.introspection,
        "introspection is off in production"
    );
    let c = load(&[
        ("COLEAD_ENV", "production"),
        ("COLEAD_JWT_SECRET", &"s".repeat(40)),
        ("COLEAD_INTROSPECTION", "on"),
    ])
    .unwrap();
    assert!(c.hardening.introspection, "unless configured on");
}

#[test]
fn hardening_defaults_and_switches() {
    let c = load(&[]).unwrap();
    let h = &c.hardening;
    assert!(h.introspection);
    assert_eq!(
        (
            h.limits.depth,
            h.limits.cost,
            h.limits.aliases,
            h.limits.root_fields
        ),
        (12, 10_000, 100, 50)
    );
    let budgets = h.cost_budgets.unwrap();
    assert_eq!(
        (budgets.principal.maximum, budgets.principal.restore_rate),
        (20_000.0, 1_000.0)
    );
    assert_eq!(h.request_timeout.as_millis(), 15_000);
    assert!(h.cors_origins.is_empty() && h.redis_url.is_none());
    let c = load(&[
        ("COLEAD_RATE_LIMIT", "off"),
        (
            "COLEAD_CORS_ORIGINS",
            "https://a.example.com, https://b.example.com/",
        ),
    ])
    .unwrap();
    assert!(c.hardening.cost_budgets.is_none());
    assert_eq!(
        c.hardening.cors_origins,
        ["https://a.example.com", "https://b.example.com"]
    );
}

#[test]
fn each_invalid_value_names_its_variable() {
    for (var, value) in [
        ("COLEAD_ENV", "staging"),
        ("COLEAD_BIND", "localhost"),
        ("COLEAD_DATABASE_URL", "mysql://x"),
        ("COLEAD_JWT_SECRET", "short"),
        ("COLEAD_GRAPHIQL", "maybe"),
        ("COLEAD_AUTO_MIGRATE", "2"),
        ("COLEAD_LOG", "info,[bad"),
        ("COLEAD_ACCESS_TOKEN_TTL_SECS", "-5"),
        ("COLEAD_MAX_QUERY_DEPTH", "0"),
        ("COLEAD_RATE_LIMIT_BUCKET", "10"),
        ("COLEAD_RATE_LIMIT", "sometimes"),
        ("COLEAD_PERSISTED_QUERIES", "always"),
        ("COLEAD_CORS_ORIGINS", "app.example.com"),
        ("COLEAD_REQUEST_TIMEOUT_MS", "soon"),
    ] {
        let err = load(&[(var, value)]).unwrap_err();
        assert_eq!(err.variable, var, "{value}");
        assert!(err.to_string().contains(var));
    }
}

#[test]
fn the_binary_refuses_to_start_on_a_bad_value_and_says_which() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_colead"))
        .env("COLEAD_BIND", "not-an-address")
        .env("COLEAD_DATABASE_URL", "sqlite::memory:")
        .output()
        .expect("run colead");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("COLEAD_BIND"), "{stderr}");
}

#[test]
fn the_binary_prints_the_schema() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_colead"))
        .arg("schema")
        .output()
        .expect("run colead");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), colead::graphql::sdl());
}
