//! A review's answers: validating ratings and comments against the cycle's framework and
//! storing them.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use entity::{assessment_cycle, comment, indicator, rating, review};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
};
use uuid::Uuid;

use super::{CommentInput, RatingInput};
use crate::domain::input;
use crate::error::{Context, Error, Result, UserError, UserErrorCode};
use crate::tenancy;

/// The framework's indicators by id, with their behavior.
async fn framework_indicators<C: ConnectionTrait>(
    db: &C,
    org: Uuid,
    framework: Uuid,
) -> Result<HashMap<Uuid, indicator::Model>> {
    Ok(tenancy::select_visible::<indicator::Entity>(org)
        .filter(indicator::Column::FrameworkId.eq(framework))
        .all(db)
        .await
        .context("loading indicators")?
        .into_iter()
        .map(|i| (i.id, i))
        .collect())
}

/// Validates and stores ratings and (when given) the comments, in `txn`.
pub(super) async fn store(
    txn: &DatabaseTransaction,
    org: Uuid,
    r: &review::Model,
    cycle: &assessment_cycle::Model,
    ratings: &[RatingInput],
    comments: Option<&[CommentInput]>,
) -> Result<HashMap<Uuid, indicator::Model>> {
    let indicators = framework_indicators(txn, org, cycle.framework_id).await?;
    let behaviors: HashSet<Uuid> = indicators.values().map(|i| i.behavior_id).collect();
    let mut errors = Vec::new();
    for (i, x) in ratings.iter().enumerate() {
        let idx = i.to_string();
        if !indicators.contains_key(&x.indicator_id) {
            errors.push(UserError::new(
                &["ratings", &idx, "indicatorId"],
                UserErrorCode::NotFound,
                "not an indicator of this cycle's framework",
            ));
        }
        if let Some(s) = x
            .score
            .filter(|s| !(1..=cycle.rating_scale_max).contains(s))
        {
            errors.push(UserError::new(
                &["ratings", &idx, "score"],
                UserErrorCode::OutOfRange,
                format!(
                    "a score is 1 to {} (or null for not observed), got {s}",
                    cycle.rating_scale_max
                ),
            ));
        }
    }
    for (i, c) in comments.unwrap_or_default().iter().enumerate() {
        let idx = i.to_string();
        if let Err(mut e) = input::required_text(&["comments", &idx, "body"], &c.body, 5000) {
            e.field = Some(vec![
                "input".into(),
                "comments".into(),
                idx.clone(),
                "body".into(),
            ]);
            errors.push(e);
        }
        if c.behavior_id.is_some_and(|b| !behaviors.contains(&b)) {
            errors.push(UserError::new(
                &["comments", &idx, "behaviorId"],
                UserErrorCode::NotFound,
                "not a behavior of this cycle's framework",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let now = Utc::now();
    let mut latest: HashMap<Uuid, Option<i32>> = HashMap::new();
    for x in ratings {
        latest.insert(x.indicator_id, x.score);
    }
    let rows: Vec<rating::ActiveModel> = latest
        .into_iter()
        .map(|(indicator_id, score)| rating::ActiveModel {
            organization_id: Set(org),
            review_id: Set(r.id),
            indicator_id: Set(indicator_id),
            score: Set(score),
            updated_at: Set(now),
        })
        .collect();
    if !rows.is_empty() {
        rating::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([rating::Column::ReviewId, rating::Column::IndicatorId])
                    .update_columns([rating::Column::Score, rating::Column::UpdatedAt])
                    .to_owned(),
            )
            .exec(txn)
            .await
            .context("saving ratings")?;
    }
    if let Some(comments) = comments {
        tenancy::delete_many::<comment::Entity>(org)
            .filter(comment::Column::ReviewId.eq(r.id))
            .exec(txn)
            .await
            .context("replacing comments")?;
        let rows: Vec<comment::ActiveModel> = comments
            .iter()
            .map(|c| comment::ActiveModel {
                id: Set(Uuid::now_v7()),
                organization_id: Set(org),
                review_id: Set(r.id),
                behavior_id: Set(c.behavior_id),
                body: Set(c.body.trim().to_owned()),
                created_at: Set(now),
            })
            .collect();
        if !rows.is_empty() {
            comment::Entity::insert_many(rows)
                .exec(txn)
                .await
                .context("saving comments")?;
        }
    }
    Ok(indicators)
}
