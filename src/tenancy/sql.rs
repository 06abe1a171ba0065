//! Raw-SQL tenant queries the query builder cannot express: reporting lines (a recursive
//! walk) and heatmap sums (a grouped join). Each binds the organization and filters every
//! joined tenant table by it.

use sea_orm::{ConnectionTrait, Value};
use uuid::Uuid;

use crate::error::{Context, Result};

/// For each of `starts`, its managers from the nearest up to the top, in one recursive
/// query. Cycles cannot be stored, but the walk is capped anyway.
pub async fn reporting_lines<C: ConnectionTrait>(
    db: &C,
    org: Uuid,
    starts: &[Uuid],
) -> Result<Vec<(Uuid, Uuid)>> {
    if starts.is_empty() {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    let p = |i: usize| placeholder(backend, i);
    let list: Vec<String> = (0..starts.len()).map(|i| p(i + 2)).collect();
    let sql = format!(
        "WITH RECURSIVE chain(origin, id, manager_id, depth) AS ( \
           SELECT id, id, manager_id, 0 FROM leaders WHERE organization_id = {org} AND id IN ({list}) \
           UNION ALL \
           SELECT c.origin, l.id, l.manager_id, c.depth + 1 FROM leaders l \
             JOIN chain c ON l.id = c.manager_id \
             WHERE l.organization_id = {org} AND c.depth < 64 \
         ) SELECT origin, id FROM chain WHERE depth > 0 ORDER BY origin, depth",
        org = p(1),
        list = list.join(", ")
    );
    let mut values: Vec<Value> = vec![Value::Uuid(Some(org))];
    values.extend(starts.iter().map(|u| Value::Uuid(Some(*u))));
    let rows = db
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            backend, sql, values,
        ))
        .await
        .context("walking reporting lines")?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get::<Uuid>("", "origin")?,
                r.try_get::<Uuid>("", "id")?,
            ))
        })
        .collect::<std::result::Result<_, sea_orm::DbErr>>()
        .context("reading reporting lines")
}

/// How heatmap rows group subjects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HeatmapKey {
    Department,
    Manager,
    Team,
}

/// One heatmap cell's sums: (group, behavior, subjects, raters, score sum), over non-self
/// raters of one cycle, in one grouped query.
pub type HeatmapSums = (String, Uuid, i64, i64, f64);

pub async fn heatmap_sums<C: ConnectionTrait>(
    db: &C,
    org: Uuid,
    cycle: Uuid,
    key: HeatmapKey,
) -> Result<Vec<HeatmapSums>> {
    let backend = db.get_database_backend();
    let (p1, p2) = (placeholder(backend, 1), placeholder(backend, 2));
    let (group, join) = match key {
        HeatmapKey::Department => ("COALESCE(l.department, '')", String::new()),
        HeatmapKey::Manager => ("l.manager_id", String::new()),
        HeatmapKey::Team => (
            "tm.team_id",
            format!("JOIN team_members tm ON tm.leader_id = l.id AND tm.organization_id = {p1}"),
        ),
    };
    let sql = format!(
        "SELECT {group} AS g, ra.behavior_id AS behavior_id, \
           COUNT(DISTINCT ra.assessment_id) AS subjects, SUM(ra.rater_count) AS raters, \
           SUM(ra.score_sum) AS total \
         FROM result_aggregates ra \
         JOIN assessments a ON a.id = ra.assessment_id AND a.organization_id = {p1} \
         JOIN leaders l ON l.id = a.subject_id AND l.organization_id = {p1} {join} \
         WHERE ra.organization_id = {p1} AND a.cycle_id = {p2} AND ra.relationship <> 'SELF' \
         GROUP BY {group}, ra.behavior_id"
    );
    let values = vec![Value::Uuid(Some(org)), Value::Uuid(Some(cycle))];
    let rows = db
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            backend, sql, values,
        ))
        .await
        .context("summing the heatmap")?;
    rows.iter()
        .map(|r| {
            let g = match key {
                HeatmapKey::Department => r.try_get::<String>("", "g")?,
                _ => r
                    .try_get::<Option<Uuid>>("", "g")?
                    .map(|u| u.to_string())
                    .unwrap_or_default(),
            };
            Ok((
                g,
                r.try_get::<Uuid>("", "behavior_id")?,
                r.try_get::<i64>("", "subjects")?,
                r.try_get::<i64>("", "raters")?,
                r.try_get::<f64>("", "total")?,
            ))
        })
        .collect::<std::result::Result<_, sea_orm::DbErr>>()
        .context("reading the heatmap")
}

impl HeatmapKey {
    fn as_str(self) -> &'static str {
        match self {
            HeatmapKey::Department => "DEPARTMENT",
            HeatmapKey::Manager => "MANAGER",
            HeatmapKey::Team => "TEAM",
        }
    }
}

/// The organization's people version: database triggers bump it whenever a leader's
/// department or manager changes, a leader is deleted, or team membership changes.
pub async fn people_version<C: ConnectionTrait>(db: &C, org: Uuid) -> Result<i64> {
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT version FROM people_versions WHERE organization_id = {}",
        placeholder(backend, 1)
    );
    let row = db
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            sql,
            [Value::Uuid(Some(org))],
        ))
        .await
        .context("reading the people version")?;
    match row {
        Some(row) => row
            .try_get::<i64>("", "version")
            .context("reading the people version"),
        None => Ok(0),
    }
}

/// The kept sums of a cycle's heatmap, when they were computed at people version
/// `version` (`None` otherwise, or when none were kept).
pub async fn kept_heatmap<C: ConnectionTrait>(
    db: &C,
    org: Uuid,
    cycle: Uuid,
    key: HeatmapKey,
    version: i64,
) -> Result<Option<Vec<HeatmapSums>>> {
    let backend = db.get_database_backend();
    let p = |i| placeholder(backend, i);
    let sql = format!(
        "SELECT sums FROM heatmap_snapshots \
         WHERE organization_id = {} AND cycle_id = {} AND group_by = {} AND people_version = {}",
        p(1),
        p(2),
        p(3),
        p(4)
    );
    let values = [
        Value::Uuid(Some(org)),
        Value::Uuid(Some(cycle)),
        Value::from(key.as_str()),
        Value::BigInt(Some(version)),
    ];
    let row = db
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            backend, sql, values,
        ))
        .await
        .context("reading a kept heatmap")?;
    let Some(row) = row else {
        return Ok(None);
    };
    let sums: String = row.try_get("", "sums").context("reading a kept heatmap")?;
    serde_json::from_str(&sums)
        .map(Some)
        .context("reading a kept heatmap")
}

/// Keeps a cycle's heatmap sums, computed at people version `version` (read before
/// the sums were: a move committed in between leaves them stamped as stale).
pub async fn keep_heatmap<C: ConnectionTrait>(
    db: &C,
    org: Uuid,
    cycle: Uuid,
    key: HeatmapKey,
    version: i64,
    sums: &[HeatmapSums],
) -> Result<()> {
    let backend = db.get_database_backend();
    let p = |i| placeholder(backend, i);
    let sql = format!(
        "INSERT INTO heatmap_snapshots (organization_id, cycle_id, group_by, people_version, sums) \
         VALUES ({}, {}, {}, {}, {}) \
         ON CONFLICT (cycle_id, group_by) DO UPDATE \
         SET people_version = excluded.people_version, sums = excluded.sums",
        p(1),
        p(2),
        p(3),
        p(4),
        p(5)
    );
    let json = serde_json::to_string(sums).context("keeping a heatmap")?;
    let values = [
        Value::Uuid(Some(org)),
        Value::Uuid(Some(cycle)),
        Value::from(key.as_str()),
        Value::BigInt(Some(version)),
        Value::from(json),
    ];
    db.execute_raw(sea_orm::Statement::from_sql_and_values(
        backend, sql, values,
    ))
    .await
    .context("keeping a heatmap")?;
    Ok(())
}

/// The placeholder of bind parameter `i` (1-based) on `backend`.
pub(super) fn placeholder(backend: sea_orm::DatabaseBackend, i: usize) -> String {
    match backend {
        sea_orm::DatabaseBackend::Postgres => format!("${i}"),
        _ => format!("?{i}"),
    }
}

/// Writes the imported fields of `leaders` (all of `org`) in multi-row updates.
pub async fn update_leaders<C: ConnectionTrait>(
    db: &C,
    org: Uuid,
    leaders: &[&entity::leader::Model],
) -> Result<()> {
    const COLS: usize = 8;
    let backend = db.get_database_backend();
    for chunk in leaders.chunks(3_500) {
        let mut values: Vec<Value> = vec![Value::Uuid(Some(org))];
        let mut tuples = Vec::with_capacity(chunk.len());
        for (r, l) in chunk.iter().enumerate() {
            let base = 2 + r * COLS;
            let marks: Vec<String> = (0..COLS).map(|c| placeholder(backend, base + c)).collect();
            tuples.push(format!("({})", marks.join(", ")));
            values.extend([
                Value::Uuid(Some(l.id)),
                Value::String(Some(l.name.clone())),
                Value::String(l.email.clone()),
                Value::String(l.title.clone()),
                Value::String(l.department.clone()),
                Value::Uuid(l.manager_id),
                Value::String(Some(sea_orm::ActiveEnum::to_value(&l.status))),
                Value::ChronoDateTimeUtc(Some(l.updated_at)),
            ]);
        }
        let sql = format!(
            "UPDATE leaders SET name = v.name, email = v.email, title = v.title, \
               department = v.department, manager_id = v.manager_id, status = v.status, \
               updated_at = v.updated_at \
             FROM (SELECT column1 AS id, column2 AS name, column3 AS email, column4 AS title, \
                     column5 AS department, column6 AS manager_id, column7 AS status, \
                     column8 AS updated_at FROM (VALUES {}) AS t) AS v \
             WHERE leaders.id = v.id AND leaders.organization_id = {}",
            tuples.join(", "),
            placeholder(backend, 1)
        );
        db.execute_raw(sea_orm::Statement::from_sql_and_values(
            backend, sql, values,
        ))
        .await
        .context("updating imported leaders")?;
    }
    Ok(())
}

/// Deactivates the leaders `ids` of `org`.
pub async fn deactivate_leaders<C: ConnectionTrait>(db: &C, org: Uuid, ids: &[Uuid]) -> Result<()> {
    let backend = db.get_database_backend();
    for chunk in ids.chunks(20_000) {
        let marks: Vec<String> = (0..chunk.len())
            .map(|i| placeholder(backend, i + 3))
            .collect();
        let sql = format!(
            "UPDATE leaders SET status = 'INACTIVE', updated_at = {} \
             WHERE organization_id = {} AND id IN ({})",
            placeholder(backend, 1),
            placeholder(backend, 2),
            marks.join(", ")
        );
        let mut values = vec![
            Value::ChronoDateTimeUtc(Some(chrono::Utc::now())),
            Value::Uuid(Some(org)),
        ];
        values.extend(chunk.iter().map(|id| Value::Uuid(Some(*id))));
        db.execute_raw(sea_orm::Statement::from_sql_and_values(
            backend, sql, values,
        ))
        .await
        .context("deactivating missing leaders")?;
    }
    Ok(())
}

/// `pg_notify(channel, payload)` on PostgreSQL, in the caller's transaction: listeners
/// hear it only if that transaction commits. Not tenant data: the payload names its
/// organization, and listeners scope what they load by it.
pub async fn notify<C: ConnectionTrait>(db: &C, channel: &str, payload: &str) -> Result<()> {
    db.execute_raw(sea_orm::Statement::from_sql_and_values(
        sea_orm::DbBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [Value::from(channel), Value::from(payload)],
    ))
    .await
    .context("announcing an event")?;
    Ok(())
}
