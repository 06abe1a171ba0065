//! Realistic demo data at scale, for benchmarks and demonstrations: one organization of
//! N leaders in a hierarchy (spans of 3 to 12, departments, teams), C released 360
//! cycles in which every leader is rated by self, manager, direct reports and peers with
//! plausible scores, the result aggregates those reviews imply, and development plans.
//!
//! Rows are built in memory from a seeded generator and written with multi-row inserts
//! in one transaction, so 10,000 leaders with a cycle take seconds, not hours.

mod people;
mod reviews;

use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::StdRng;
use sea_orm::{DatabaseConnection, PaginatorTrait, TransactionTrait};
use uuid::Uuid;

use crate::error::{Context, Result};

/// How much to generate.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub leaders: usize,
    pub cycles: usize,
    /// The generator's seed: the same seed gives the same organization.
    pub seed: u64,
}

/// What was written.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub leaders: usize,
    pub teams: usize,
    pub cycles: usize,
    pub reviews: usize,
    pub ratings: usize,
    pub comments: usize,
    pub plans: usize,
}

/// Fills organization `org` (which must have no leaders yet) with generated data.
pub async fn populate(
    db: &DatabaseConnection,
    org: Uuid,
    scale: Scale,
) -> Result<(Counts, Duration)> {
    let started = Instant::now();
    let existing = crate::tenancy::select::<entity::leader::Entity>(org)
        .count(db)
        .await
        .context("counting leaders")?;
    if existing > 0 {
        return Err(crate::error::Error::BadUserInput(format!(
            "the organization already has {existing} leaders; generate into an empty one"
        )));
    }
    let mut rng = StdRng::seed_from_u64(scale.seed);
    let txn = db.begin().await.context("starting the demo transaction")?;
    let org_chart = people::generate(&txn, org, scale.leaders, &mut rng).await?;
    let mut counts = Counts {
        leaders: org_chart.leaders.len(),
        teams: org_chart.teams,
        ..Counts::default()
    };
    let mut cycles = Vec::new();
    for c in 0..scale.cycles {
        let written = reviews::generate(&txn, org, &org_chart, c, scale.cycles, &mut rng).await?;
        cycles.push(written.cycle_id);
        counts.cycles += 1;
        counts.reviews += written.reviews;
        counts.ratings += written.ratings;
        counts.comments += written.comments;
        counts.plans += written.plans;
    }
    txn.commit().await.context("committing the demo data")?;
    // Fresh statistics, as autovacuum would gather them soon after such a load.
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        use sea_orm::ConnectionTrait;
        db.execute_unprepared("ANALYZE")
            .await
            .context("analyzing the demo data")?;
    }
    // The released cycles' heatmaps, as closing them would have computed.
    for cycle in cycles {
        crate::domain::insights::keep_all(db, org, cycle).await?;
    }
    Ok((counts, started.elapsed()))
}
