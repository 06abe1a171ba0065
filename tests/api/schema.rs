//! `schema.graphql` is the exported SDL; it must not drift from the code.

#[test]
fn schema_graphql_matches_the_code() {
    let current = colead::graphql::sdl();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    if committed != current {
        let diff: Vec<String> = diff_lines(&committed, &current);
        panic!(
            "schema.graphql is out of date; regenerate it with `cargo run -- schema > schema.graphql`\n{}",
            diff.join("\n")
        );
    }
}

/// A small line diff: lines only in the file (-) and only in the code (+).
fn diff_lines(old: &str, new: &str) -> Vec<String> {
    let old_set: std::collections::HashSet<&str> = old.lines().collect();
    let new_set: std::collections::HashSet<&str> = new.lines().collect();
    let mut out: Vec<String> = old
        .lines()
        .filter(|l| !new_set.contains(l))
        .map(|l| format!("- {l}"))
        .collect();
    out.extend(
        new.lines()
            .filter(|l| !old_set.contains(l))
            .map(|l| format!("+ {l}")),
    );
    out
}

#[tokio::test]
async fn the_suite_runs_on_the_store_it_was_asked_for() {
    use sea_orm::DatabaseBackend;
    let app = crate::helpers::spawn_app().await;
    let expected = if crate::helpers::postgres_url().is_some() {
        DatabaseBackend::Postgres
    } else {
        DatabaseBackend::Sqlite
    };
    assert_eq!(app.db.get_database_backend(), expected);
}
