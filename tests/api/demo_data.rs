//! The demo data generator (`colead demo --leaders N --cycles C`), at a small N: the
//! hierarchy's spans, released cycles, every leader assessed by self, manager, reports
//! and peers, and results read back through the API that agree with the reviews.

use serde_json::{Value, json};

use crate::helpers::spawn_app;

const LEADERS: &str = "{ leaders(first: 100) { totalCount nodes { id manager { id } directReports { totalCount } } } }";

#[tokio::test]
async fn the_generator_builds_a_hierarchy_with_released_cycles_and_results_that_agree() {
    let app = spawn_app().await;
    let s = app.sign_up("Generated", "generated@example.com").await;
    let org = colead::graphql::ids::decode_any(&s.org_id).unwrap().1;
    let scale = colead::demo::Scale {
        leaders: 80,
        cycles: 2,
        seed: 7,
    };
    let (counts, _) = colead::demo::populate(&app.db, org, scale).await.unwrap();
    assert_eq!((counts.leaders, counts.cycles), (80, 2));
    assert_eq!(counts.teams, 3);
    assert!(counts.plans > 0 && counts.comments > 0);
    // 36 indicators in each review of the built-in framework.
    assert_eq!(counts.ratings, counts.reviews * 36);

    let data = app.ok(Some(&s.token), LEADERS, json!({})).await;
    assert_eq!(data["leaders"]["totalCount"], 80);
    let nodes = data["leaders"]["nodes"].as_array().unwrap();
    let roots = nodes.iter().filter(|n| n["manager"].is_null()).count();
    assert_eq!(roots, 1, "one chief executive");
    let spans: Vec<u64> = nodes
        .iter()
        .map(|n| n["directReports"]["totalCount"].as_u64().unwrap())
        .filter(|&n| n > 0)
        .collect();
    // Spans of 3 to 12; only the last manager may get the few that were left.
    assert!(
        spans.iter().filter(|&&n| !(3..=12).contains(&n)).count() <= 1,
        "{spans:?}"
    );

    let cycles = app
        .ok(
            Some(&s.token),
            "{ cycles { nodes { id status } } }",
            json!({}),
        )
        .await;
    let statuses: Vec<&Value> = cycles["cycles"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["status"])
        .collect();
    assert_eq!(statuses, [&json!("RELEASED"), &json!("RELEASED")]);

    // A manager with a manager: self, manager, reports and peers rated them.
    let subject = nodes
        .iter()
        .find(|n| {
            !n["manager"].is_null() && n["directReports"]["totalCount"].as_u64().unwrap() >= 3
        })
        .expect("a middle manager");
    let q = "query($id: ID!) { node(id: $id) { ... on Leader { assessments { reviews { relationship status } results { behaviors { byRelationship { relationship raterCount } } } } } } }";
    let data = app
        .ok(Some(&s.token), q, json!({ "id": subject["id"] }))
        .await;
    let assessments = data["node"]["assessments"].as_array().unwrap();
    assert_eq!(assessments.len(), 2, "one per cycle");
    for a in assessments {
        let reviews = a["reviews"].as_array().unwrap();
        assert!(reviews.iter().all(|r| r["status"] == "SUBMITTED"));
        let count = |rel: &str| reviews.iter().filter(|r| r["relationship"] == rel).count() as u64;
        assert_eq!(count("SELF"), 1);
        assert_eq!(count("MANAGER"), 1);
        assert!((3..=6).contains(&count("DIRECT_REPORT")), "{reviews:?}");
        for behavior in a["results"]["behaviors"].as_array().unwrap() {
            for group in behavior["byRelationship"].as_array().unwrap() {
                let rel = group["relationship"].as_str().unwrap();
                // A rater may leave every indicator of a behavior unobserved.
                let raters = group["raterCount"].as_u64().unwrap();
                assert!(
                    raters <= count(rel) && raters + 2 >= count(rel),
                    "{rel}: {group} vs {}",
                    count(rel)
                );
            }
        }
    }
    // The generator refuses an organization that already has people.
    assert!(colead::demo::populate(&app.db, org, scale).await.is_err());
}
