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
    let p = |i: usize| match backend {
        sea_orm::DatabaseBackend::Postgres => format!("${i}"),
        _ => format!("?{i}"),
    };
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    let (p1, p2) = match backend {
        sea_orm::DatabaseBackend::Postgres => ("$1", "$2"),
        _ => ("?1", "?2"),
    };
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
