//! `colead import`: a CSV file imported managers first across several calls, a malformed
//! file that writes nothing, deactivation over the whole file, and the command itself.

use colead::cli::import::{import_lines, read_csv};
use rand::SeedableRng;
use rand::seq::{IndexedRandom, SliceRandom};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::{Session, TestApp, spawn_app};

/// 1 + 3 + 9 + 27 + 60 leaders in five levels, shuffled, as CSV lines.
fn hierarchy_csv() -> String {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut rows = Vec::new();
    let mut previous: Vec<String> = Vec::new();
    for (level, size) in [1, 3, 9, 27, 60].iter().enumerate() {
        let mut this = Vec::new();
        for n in 0..*size {
            let id = format!("C{level}-{n}");
            let manager = previous.choose(&mut rng).cloned().unwrap_or_default();
            rows.push(format!(
                "{id},\"Person, {id}\",{}@hris.example.com,Lead,D{},{manager},true",
                id.to_lowercase(),
                n % 4
            ));
            this.push(id);
        }
        previous = this;
    }
    rows.shuffle(&mut rng);
    format!(
        "externalId,name,email,title,department,managerExternalId,active\n{}\n",
        rows.join("\n")
    )
}

async fn org_of(app: &TestApp, s: &Session) -> Uuid {
    let data = app
        .ok(Some(&s.token), "{ organization { slug } }", json!({}))
        .await;
    let slug = data["organization"]["slug"].as_str().unwrap();
    colead::tenancy::organization_by_slug(&app.db, slug)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn active_external_ids(app: &TestApp, s: &Session) -> Vec<String> {
    let data = app
        .ok(
            Some(&s.token),
            "{ leaders(first: 100, filter: { status: ACTIVE }) { nodes { externalId } } }",
            json!({}),
        )
        .await;
    let mut ids: Vec<String> = data["leaders"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["externalId"].as_str().map(str::to_owned))
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn a_shuffled_csv_hierarchy_imports_managers_first_in_small_calls_and_reimports_as_unchanged()
{
    let app = spawn_app().await;
    let s = app.sign_up("Csv", "csv@example.com").await;
    let org = org_of(&app, &s).await;
    let csv = hierarchy_csv();
    let lines = read_csv(csv.as_bytes()).unwrap();
    assert_eq!(lines.len(), 100);
    let calls = std::cell::Cell::new(0);
    // Calls of 7 records: most managers are in an earlier call than their reports.
    let summary = import_lines(&app.db, org, lines, 7, false, |_| {
        calls.set(calls.get() + 1)
    })
    .await
    .unwrap();
    assert_eq!(calls.get(), 15);
    assert_eq!(
        (summary.created, summary.failed.len()),
        (100, 0),
        "{summary:?}"
    );
    let bottom = "query { leaders(first: 1, filter: { search: \"Person, C4-0\" }) { nodes { name reportingLine { externalId } } } }";
    let data = app.ok(Some(&s.token), bottom, json!({})).await;
    let line = data["leaders"]["nodes"][0]["reportingLine"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["externalId"].as_str().unwrap().chars().nth(1).unwrap())
        .collect::<String>();
    assert_eq!(line, "3210", "{data}");

    let again = read_csv(hierarchy_csv().as_bytes()).unwrap();
    let summary = import_lines(&app.db, org, again, 7, false, |_| {})
        .await
        .unwrap();
    assert_eq!(
        (summary.unchanged, summary.created, summary.updated),
        (100, 0, 0)
    );
}

#[tokio::test]
async fn a_failed_record_is_reported_by_line_and_missing_leaders_are_deactivated_over_the_whole_file()
 {
    let app = spawn_app().await;
    let s = app.sign_up("Csv", "csv@example.com").await;
    let org = org_of(&app, &s).await;
    let first = "externalId,name\nA,Ann\nB,Bo\nC,Cy\nD,Di\n";
    import_lines(
        &app.db,
        org,
        read_csv(first.as_bytes()).unwrap(),
        2,
        false,
        |_| {},
    )
    .await
    .unwrap();
    // A in the first call, B (failing) and C in the second: only D is missing.
    let second = "externalId,name,email\nA,Ann,\nB,Bo,not-an-email\nC,Cy,\n";
    let summary = import_lines(
        &app.db,
        org,
        read_csv(second.as_bytes()).unwrap(),
        1,
        true,
        |_| {},
    )
    .await
    .unwrap();
    assert_eq!(summary.deactivated, 1, "{summary:?}");
    assert_eq!(summary.failed.len(), 1);
    assert_eq!(summary.failed[0].line, 3);
    assert_eq!(summary.failed[0].external_id, "B");
    assert!(
        summary.failed[0].reasons[0].starts_with("email:"),
        "{summary:?}"
    );
    assert_eq!(active_external_ids(&app, &s).await, ["A", "B", "C"]);
}

#[tokio::test]
async fn a_malformed_file_is_refused_before_anything_is_written() {
    for (csv, says) in [
        (
            "externalId,name,salary\nA,Ann,1\n",
            "unknown column `salary`",
        ),
        ("externalId,email\nA,a@x.test\n", "no `name` column"),
        (
            "externalId,name,active\nA,Ann,true\nB,Bo,maybe\n",
            "line 3: `active` is `maybe`",
        ),
        ("externalId,name\nA,Ann,extra\n", "cannot be read"),
        ("name,NAME,externalId\nA,B,C\n", "`name` appears twice"),
    ] {
        let err = read_csv(csv.as_bytes()).unwrap_err();
        assert!(err.message().contains(says), "{csv:?}: {}", err.message());
    }
}

#[test]
fn the_import_command_prints_the_totals_and_fails_when_a_record_failed() {
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
    assert!(run(&["demo"]).status.success());
    let good = dir.path().join("good.csv");
    std::fs::write(
        &good,
        "externalId,name,managerExternalId\nR2,Report,R1\nR1,Boss,\n",
    )
    .unwrap();
    let out = run(&["import", "--org", "demo", good.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("2 records: 2 created, 0 updated, 0 unchanged, 0 deactivated, 0 failed"),
        "{stdout}"
    );
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "externalId,name\nR1,Boss\nR3,\n").unwrap();
    let out = run(&[
        "import",
        "--org",
        "demo",
        "--deactivate-missing",
        bad.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(
        stdout.contains("1 unchanged, 1 deactivated, 1 failed"),
        "{stdout}"
    );
    assert!(stdout.contains("line 3 (R3): name:"), "{stdout}");
    let out = run(&["import", "--org", "nowhere", good.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("organization not found"));
}
