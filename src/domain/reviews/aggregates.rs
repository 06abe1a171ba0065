//! Result aggregates: a submitted review's behavior scores added to the running sums and
//! histograms, atomically in the submitting transaction.

use std::collections::HashMap;

use entity::result_aggregate;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveValue::Set, DatabaseTransaction, EntityTrait};
use uuid::Uuid;

use crate::error::{Context, Result};

/// The histogram bucket of a behavior score: rounded half up, within 1..=scale.
pub fn bucket(score: f64, scale: i32) -> i32 {
    ((score + 0.5).floor() as i32).clamp(1, scale.clamp(1, 10))
}

pub(super) async fn add_to_aggregates(
    txn: &DatabaseTransaction,
    org: Uuid,
    assessment: Uuid,
    relationship: &str,
    scores: &HashMap<Uuid, (i32, i32)>,
    scale: i32,
) -> Result<()> {
    use result_aggregate::Column as A;
    let hist = [
        A::Hist1,
        A::Hist2,
        A::Hist3,
        A::Hist4,
        A::Hist5,
        A::Hist6,
        A::Hist7,
        A::Hist8,
        A::Hist9,
        A::Hist10,
    ];
    if scores.is_empty() {
        return Ok(());
    }
    // One statement, its rows in behavior order: concurrent submissions for one subject
    // then lock the same rows in the same order and cannot deadlock.
    let mut behaviors: Vec<(&Uuid, &(i32, i32))> = scores.iter().collect();
    behaviors.sort_unstable_by_key(|(id, _)| **id);
    let rows = behaviors.into_iter().map(|(behavior_id, (sum, n))| {
        let s = f64::from(*sum) / f64::from(*n);
        let b = bucket(s, scale) as usize;
        let mut row = result_aggregate::ActiveModel {
            organization_id: Set(org),
            assessment_id: Set(assessment),
            behavior_id: Set(*behavior_id),
            relationship: Set(relationship.to_owned()),
            rater_count: Set(1),
            score_sum: Set(s),
            score_sum_sq: Set(s * s),
            hist1: Set(0),
            hist2: Set(0),
            hist3: Set(0),
            hist4: Set(0),
            hist5: Set(0),
            hist6: Set(0),
            hist7: Set(0),
            hist8: Set(0),
            hist9: Set(0),
            hist10: Set(0),
        };
        sea_orm::ActiveModelTrait::set(&mut row, hist[b - 1], 1.into());
        row
    });
    // Each conflicting row adds its own figures to the stored ones, atomically.
    let mut conflict = OnConflict::columns([A::AssessmentId, A::BehaviorId, A::Relationship]);
    for col in [A::RaterCount, A::ScoreSum, A::ScoreSumSq]
        .into_iter()
        .chain(hist)
    {
        conflict.value(
            col,
            Expr::col((result_aggregate::Entity, col))
                .add(Expr::col((Alias::new("excluded"), col))),
        );
    }
    result_aggregate::Entity::insert_many(rows)
        .on_conflict(conflict.to_owned())
        .exec_without_returning(txn)
        .await
        .context("updating result aggregates")?;
    Ok(())
}
