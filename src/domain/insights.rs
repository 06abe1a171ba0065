//! Organization views over assessments: a cycle heatmap by department, team or manager,
//! and one leader's trend on a behavior across released cycles. Both obey the anonymity
//! threshold, on subjects and on raters behind every number.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use entity::enums::{CycleStatus, Role};
use entity::{assessment, assessment_cycle, behavior, leader, result_aggregate, team};
use sea_orm::{ColumnTrait, QueryFilter};
use uuid::Uuid;

use crate::auth::RequestContext;
use crate::domain::cycles::MANAGERS;
use crate::domain::results::{self, Aggregate};
use crate::error::{Context, Error, Result};
use crate::startup::AppState;
use crate::tenancy::{self, HeatmapKey, HeatmapSums};

#[derive(Debug, Clone)]
pub struct Cell {
    pub behavior_id: Uuid,
    pub mean: Option<f64>,
    pub subjects: i64,
    pub raters: i64,
    pub suppressed: bool,
}

#[derive(Debug, Clone)]
pub struct Row {
    pub key: String,
    pub label: String,
    pub subjects: i64,
    pub cells: Vec<Cell>,
}

pub struct Heatmap {
    pub behaviors: Vec<behavior::Model>,
    pub rows: Vec<Row>,
}

/// How long this process keeps a heatmap's sums in memory (to bound its memory; the
/// sums are correct for as long as the people version they carry is current).
const HEATMAP_TTL: std::time::Duration = std::time::Duration::from_secs(300);

type SumsKey = (Uuid, Uuid, HeatmapKey);
/// When kept, at which people version, and the sums.
type Kept = (std::time::Instant, i64, Arc<Vec<HeatmapSums>>);

/// Heatmap sums of closed cycles. A closed cycle's reviews can no longer change, so only
/// people moving between departments, managers and teams change its sums; database
/// triggers then bump the organization's people version (`tenancy::people_version`).
/// Sums are kept in the database (`heatmap_snapshots`) and here, each with the version
/// they were computed at, and used only while that version is current.
#[derive(Default)]
pub struct HeatmapCache {
    entries: std::sync::Mutex<HashMap<SumsKey, Kept>>,
    /// One computation at a time: a dashboard's burst of requests waits for the first
    /// instead of running the same large query once each.
    computing: tokio::sync::Mutex<()>,
}

impl HeatmapCache {
    fn get(&self, key: &SumsKey, version: i64) -> Option<Arc<Vec<HeatmapSums>>> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(key)
            .filter(|(at, v, _)| *v == version && at.elapsed() < HEATMAP_TTL)
            .map(|(_, _, sums)| sums.clone())
    }

    fn put(&self, key: SumsKey, version: i64, sums: Arc<Vec<HeatmapSums>>) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.retain(|_, (at, _, _)| at.elapsed() < HEATMAP_TTL);
        entries.insert(key, (std::time::Instant::now(), version, sums));
    }
}

/// Computes a cycle's heatmap sums and keeps them in the database, stamped with the
/// people version read before them (so a move committed meanwhile leaves them stale).
pub async fn compute_and_keep<C: sea_orm::ConnectionTrait>(
    db: &C,
    org: Uuid,
    cycle_id: Uuid,
    key: HeatmapKey,
) -> Result<(i64, Vec<HeatmapSums>)> {
    let version = tenancy::people_version(db, org).await?;
    let sums = tenancy::heatmap_sums(db, org, cycle_id, key).await?;
    tenancy::keep_heatmap(db, org, cycle_id, key, version, &sums).await?;
    Ok((version, sums))
}

/// Every grouping of a closed cycle's heatmap, computed and kept: run when a cycle
/// closes, so that the first dashboard to ask does not wait for the computation.
pub async fn keep_all<C: sea_orm::ConnectionTrait>(
    db: &C,
    org: Uuid,
    cycle_id: Uuid,
) -> Result<()> {
    for key in [
        HeatmapKey::Department,
        HeatmapKey::Manager,
        HeatmapKey::Team,
    ] {
        compute_and_keep(db, org, cycle_id, key).await?;
    }
    Ok(())
}

/// The sums of a closed cycle's heatmap at the current people version: from this
/// process, else as kept in the database, else computed (one at a time) and kept.
async fn current_sums(
    state: &AppState,
    org: Uuid,
    cycle_id: Uuid,
    key: HeatmapKey,
) -> Result<Arc<Vec<HeatmapSums>>> {
    let cache_key = (org, cycle_id, key);
    let version = tenancy::people_version(&state.db, org).await?;
    if let Some(sums) = state.heatmaps.get(&cache_key, version) {
        return Ok(sums);
    }
    if let Some(sums) = tenancy::kept_heatmap(&state.db, org, cycle_id, key, version).await? {
        let sums = Arc::new(sums);
        state.heatmaps.put(cache_key, version, sums.clone());
        return Ok(sums);
    }
    let _turn = state.heatmaps.computing.lock().await;
    // Whoever held the turn may have computed these meanwhile.
    if let Some(sums) = state.heatmaps.get(&cache_key, version) {
        return Ok(sums);
    }
    let (version, sums) = compute_and_keep(&state.db, org, cycle_id, key).await?;
    let sums = Arc::new(sums);
    state.heatmaps.put(cache_key, version, sums.clone());
    Ok(sums)
}

/// The mean others-score per behavior per group (HR and ADMIN, once the cycle is closed).
pub async fn heatmap(
    state: &AppState,
    ctx: &RequestContext,
    cycle_id: Uuid,
    key: HeatmapKey,
) -> Result<Heatmap> {
    let org = ctx.require(MANAGERS)?.organization_id;
    let cycle = tenancy::find::<assessment_cycle::Entity, _>(&state.db, org, cycle_id)
        .await?
        .ok_or(Error::NotFound("cycle"))?;
    if !matches!(cycle.status, CycleStatus::Closed | CycleStatus::Released) {
        return Err(Error::BadUserInput(
            "the heatmap is available once the cycle is closed".to_owned(),
        ));
    }
    let behaviors =
        crate::domain::frameworks::behaviors_of(&state.db, org, &[cycle.framework_id]).await?;
    let sums = current_sums(state, org, cycle_id, key).await?;
    let threshold = i64::from(cycle.anonymity_threshold);
    let mut groups: BTreeMap<String, HashMap<Uuid, (i64, i64, f64)>> = BTreeMap::new();
    for (g, b, subjects, raters, total) in sums.iter() {
        groups
            .entry(g.clone())
            .or_default()
            .insert(*b, (*subjects, *raters, *total));
    }
    let labels = labels(state, org, key, groups.keys()).await?;
    let rows = groups
        .into_iter()
        .map(|(g, cells)| {
            let subjects = cells.values().map(|c| c.0).max().unwrap_or(0);
            let cells = behaviors
                .iter()
                .map(|b| {
                    let (s, r, total) = cells.get(&b.id).copied().unwrap_or((0, 0, 0.0));
                    let suppressed = s < threshold || r < threshold;
                    Cell {
                        behavior_id: b.id,
                        mean: (!suppressed && r > 0).then(|| total / r as f64),
                        subjects: s,
                        raters: r,
                        suppressed,
                    }
                })
                .collect();
            let label = labels.get(&g).cloned().unwrap_or_else(|| {
                if g.is_empty() {
                    "(none)".to_owned()
                } else {
                    g.clone()
                }
            });
            Row {
                key: g,
                label,
                subjects,
                cells,
            }
        })
        .collect();
    Ok(Heatmap { behaviors, rows })
}

/// Readable names for group keys: manager and team names; departments are their own.
async fn labels(
    state: &AppState,
    org: Uuid,
    key: HeatmapKey,
    keys: impl Iterator<Item = &String>,
) -> Result<HashMap<String, String>> {
    let ids: Vec<Uuid> = keys.filter_map(|k| k.parse().ok()).collect();
    Ok(match key {
        HeatmapKey::Department => HashMap::new(),
        HeatmapKey::Manager => tenancy::find_many::<leader::Entity, _>(&state.db, org, ids)
            .await?
            .into_iter()
            .map(|l| (l.id.to_string(), l.name))
            .collect(),
        HeatmapKey::Team => tenancy::find_many::<team::Entity, _>(&state.db, org, ids)
            .await?
            .into_iter()
            .map(|t| (t.id.to_string(), t.name))
            .collect(),
    })
}

/// One released cycle's figures for a leader on one behavior key.
#[derive(Debug, Clone)]
pub struct TrendPoint {
    pub cycle: assessment_cycle::Model,
    pub behavior: behavior::Model,
    pub result: results::BehaviorResult,
}

/// A leader's self and others scores on `behavior_key` across released cycles, even when
/// the framework version changed (behaviors are matched by key). Four statements.
pub async fn trend(
    state: &AppState,
    ctx: &RequestContext,
    leader_id: Uuid,
    behavior_key: &str,
) -> Result<Vec<TrendPoint>> {
    let p = ctx.principal()?;
    let org = p.organization_id;
    let subject = tenancy::find::<leader::Entity, _>(&state.db, org, leader_id)
        .await?
        .ok_or(Error::NotFound("leader"))?;
    let settings = tenancy::organization(&state.db, org)
        .await?
        .ok_or(Error::NotFound("organization"))?;
    let allowed = MANAGERS.contains(&p.role)
        || (p.role == Role::Member
            && p.leader_id.is_some()
            && (p.leader_id == Some(subject.id)
                || (settings.manager_can_view_results && p.leader_id == subject.manager_id)));
    if !allowed {
        return Err(Error::Forbidden);
    }
    trend_points(state, org, leader_id, behavior_key).await
}

/// The trend without the permission check, for callers that made their own.
pub async fn trend_points(
    state: &AppState,
    org: Uuid,
    leader_id: Uuid,
    behavior_key: &str,
) -> Result<Vec<TrendPoint>> {
    let assessments = tenancy::select::<assessment::Entity>(org)
        .filter(assessment::Column::SubjectId.eq(leader_id))
        .all(&state.db)
        .await
        .context("loading assessments")?;
    let cycles: HashMap<Uuid, assessment_cycle::Model> =
        tenancy::find_many::<assessment_cycle::Entity, _>(
            &state.db,
            org,
            assessments.iter().map(|a| a.cycle_id),
        )
        .await?
        .into_iter()
        .filter(|c| c.status == CycleStatus::Released)
        .map(|c| (c.id, c))
        .collect();
    let frameworks: Vec<Uuid> = cycles.values().map(|c| c.framework_id).collect();
    let behaviors: HashMap<Uuid, behavior::Model> =
        tenancy::select_visible::<behavior::Entity>(org)
            .filter(behavior::Column::Key.eq(behavior_key.trim().to_ascii_uppercase()))
            .filter(behavior::Column::FrameworkId.is_in(frameworks))
            .all(&state.db)
            .await
            .context("loading behaviors by key")?
            .into_iter()
            .map(|b| (b.framework_id, b))
            .collect();
    let wanted: Vec<&assessment::Model> = assessments
        .iter()
        .filter(|a| {
            cycles
                .get(&a.cycle_id)
                .is_some_and(|c| behaviors.contains_key(&c.framework_id))
        })
        .collect();
    let rows = tenancy::select::<result_aggregate::Entity>(org)
        .filter(result_aggregate::Column::AssessmentId.is_in(wanted.iter().map(|a| a.id)))
        .filter(result_aggregate::Column::BehaviorId.is_in(behaviors.values().map(|b| b.id)))
        .all(&state.db)
        .await
        .context("loading aggregates")?;
    let mut points: Vec<TrendPoint> = wanted
        .into_iter()
        .filter_map(|a| {
            let cycle = cycles.get(&a.cycle_id)?.clone();
            let behavior = behaviors.get(&cycle.framework_id)?.clone();
            let groups: Vec<Aggregate> = rows
                .iter()
                .filter(|r| r.assessment_id == a.id && r.behavior_id == behavior.id)
                .filter_map(|r| Aggregate::from_row(r, cycle.rating_scale_max))
                .collect();
            let result = results::behavior_result(
                behavior.clone(),
                &groups,
                i64::from(cycle.anonymity_threshold),
                cycle.rating_scale_max,
            );
            Some(TrendPoint {
                cycle,
                behavior,
                result,
            })
        })
        .collect();
    points.sort_by_key(|p| (p.cycle.released_at, p.cycle.id));
    Ok(points)
}
