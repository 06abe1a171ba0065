//! Raters: assigned by hand or from the hierarchy, each review's relationship frozen at
//! assignment; external raters get a token scoped to their one review.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use entity::enums::{CycleStatus, LeaderStatus, Relationship, ReviewStatus};
use entity::{assessment, assessment_cycle, leader, review};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, TransactionTrait,
};
use uuid::Uuid;

use super::{MANAGERS, managed};
use crate::auth::RequestContext;
use crate::domain::input::Email;
use crate::error::{Context, Error, Result, UserError, UserErrorCode};
use crate::startup::AppState;
use crate::tenancy;

/// One rater to assign: a leader or an external email, with a relationship.
#[derive(Debug, Clone)]
pub struct RaterSpec {
    pub leader_id: Option<Uuid>,
    pub external_email: Option<String>,
    pub relationship: Relationship,
}

const OPEN_FOR_RATERS: &[CycleStatus] = &[CycleStatus::Draft, CycleStatus::Open];

fn new_review(
    org: Uuid,
    a: &assessment::Model,
    rater: Option<Uuid>,
    email: Option<String>,
    rel: Relationship,
) -> review::ActiveModel {
    let now = Utc::now();
    review::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(org),
        assessment_id: Set(a.id),
        cycle_id: Set(a.cycle_id),
        rater_id: Set(rater),
        external_email: Set(email),
        relationship: Set(rel.as_str().to_owned()),
        status: Set(ReviewStatus::Pending),
        submitted_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

async fn assessment_in_cycle(
    state: &AppState,
    ctx: &RequestContext,
    id: Uuid,
) -> Result<(assessment::Model, assessment_cycle::Model)> {
    let org = ctx.require(MANAGERS)?.organization_id;
    let a = tenancy::find::<assessment::Entity, _>(&state.db, org, id)
        .await?
        .ok_or(Error::NotFound("assessment"))?;
    let cycle = managed(state, ctx, a.cycle_id, OPEN_FOR_RATERS, "assign raters in").await?;
    Ok((a, cycle))
}

/// Assigns raters to one assessment. Every rule violation is reported with its index.
pub async fn assign(
    state: &AppState,
    ctx: &RequestContext,
    assessment_id: Uuid,
    raters: &[RaterSpec],
) -> Result<Vec<review::Model>> {
    let (a, cycle) = assessment_in_cycle(state, ctx, assessment_id).await?;
    let org = cycle.organization_id;
    let existing = tenancy::select::<review::Entity>(org)
        .filter(review::Column::AssessmentId.eq(a.id))
        .all(&state.db)
        .await
        .context("loading reviews")?;
    let mut taken_leaders: HashSet<Uuid> = existing.iter().filter_map(|r| r.rater_id).collect();
    let mut taken_emails: HashSet<String> = existing
        .iter()
        .filter_map(|r| r.external_email.clone())
        .collect();
    let leader_ids: Vec<Uuid> = raters.iter().filter_map(|r| r.leader_id).collect();
    let leaders: HashMap<Uuid, leader::Model> =
        tenancy::find_many::<leader::Entity, _>(&state.db, org, leader_ids)
            .await?
            .into_iter()
            .map(|l| (l.id, l))
            .collect();
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    for (i, r) in raters.iter().enumerate() {
        let idx = i.to_string();
        let err =
            |field: &str, code, msg: &str| UserError::new(&["raters", &idx, field], code, msg);
        match (r.leader_id, r.external_email.as_deref()) {
            (Some(_), Some(_)) | (None, None) => errors.push(err(
                "leaderId",
                UserErrorCode::Invalid,
                "give either leaderId or externalEmail",
            )),
            (Some(id), None) => {
                let Some(l) = leaders.get(&id) else {
                    errors.push(err("leaderId", UserErrorCode::NotFound, "no such leader"));
                    continue;
                };
                if l.status == LeaderStatus::Inactive {
                    errors.push(err(
                        "leaderId",
                        UserErrorCode::Invalid,
                        "an inactive leader cannot rate",
                    ));
                } else if (id == a.subject_id) != (r.relationship == Relationship::SelfRating) {
                    errors.push(err(
                        "relationship",
                        UserErrorCode::Invalid,
                        "the subject rates as SELF, and only the subject does",
                    ));
                } else if r.relationship == Relationship::External {
                    errors.push(err(
                        "relationship",
                        UserErrorCode::Invalid,
                        "EXTERNAL raters are invited by email",
                    ));
                } else if !taken_leaders.insert(id) {
                    errors.push(err(
                        "leaderId",
                        UserErrorCode::Taken,
                        "this leader already rates this subject",
                    ));
                } else {
                    rows.push(new_review(org, &a, Some(id), None, r.relationship));
                }
            }
            (None, Some(email)) => match Email::parse(&["raters", &idx, "externalEmail"], email) {
                Err(e) => errors.push(e),
                Ok(_) if r.relationship != Relationship::External => errors.push(err(
                    "relationship",
                    UserErrorCode::Invalid,
                    "a rater by email is EXTERNAL",
                )),
                Ok(e) if !taken_emails.insert(e.as_str().to_owned()) => errors.push(err(
                    "externalEmail",
                    UserErrorCode::Taken,
                    "this email already rates this subject",
                )),
                Ok(e) => rows.push(new_review(
                    org,
                    &a,
                    None,
                    Some(e.into_string()),
                    r.relationship,
                )),
            },
        }
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    insert_reviews(state, rows).await
}

async fn insert_reviews(
    state: &AppState,
    rows: Vec<review::ActiveModel>,
) -> Result<Vec<review::Model>> {
    let ids: Vec<Uuid> = rows.iter().filter_map(|r| r.id.clone().take()).collect();
    let Some(org) = rows.first().and_then(|r| r.organization_id.clone().take()) else {
        return Ok(Vec::new());
    };
    let txn = state
        .db
        .begin()
        .await
        .context("starting rater assignment")?;
    for chunk in rows.chunks(500) {
        review::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await
            .context("assigning raters")?;
    }
    txn.commit().await.context("committing rater assignment")?;
    tenancy::find_many::<review::Entity, _>(&state.db, org, ids).await
}

/// Options of automatic assignment.
pub struct AutoAssign {
    pub include_self: bool,
    pub include_manager: bool,
    pub include_direct_reports: bool,
    pub max_peers: usize,
}

/// Assigns self, manager, direct reports and up to `max_peers` peers (leaders who share
/// the subject's manager, picked by a stable per-subject shuffle) to every assessment of
/// the cycle; raters already assigned are left alone. A fixed number of queries.
pub async fn auto_assign(
    state: &AppState,
    ctx: &RequestContext,
    cycle_id: Uuid,
    opts: &AutoAssign,
) -> Result<Vec<review::Model>> {
    let cycle = managed(state, ctx, cycle_id, OPEN_FOR_RATERS, "assign raters in").await?;
    let org = cycle.organization_id;
    let assessments = tenancy::select::<assessment::Entity>(org)
        .filter(assessment::Column::CycleId.eq(cycle_id))
        .all(&state.db)
        .await
        .context("loading assessments")?;
    let people: Vec<(Uuid, Option<Uuid>)> = tenancy::select::<leader::Entity>(org)
        .filter(leader::Column::Status.eq(LeaderStatus::Active))
        .select_only()
        .column(leader::Column::Id)
        .column(leader::Column::ManagerId)
        .into_tuple()
        .all(&state.db)
        .await
        .context("loading the hierarchy")?;
    let manager_of: HashMap<Uuid, Option<Uuid>> = people.iter().copied().collect();
    let mut reports: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for (id, m) in &people {
        if let Some(m) = m {
            reports.entry(*m).or_default().push(*id);
        }
    }
    let existing: HashSet<(Uuid, Uuid)> = tenancy::select::<review::Entity>(org)
        .filter(review::Column::CycleId.eq(cycle_id))
        .filter(review::Column::RaterId.is_not_null())
        .select_only()
        .column(review::Column::AssessmentId)
        .column(review::Column::RaterId)
        .into_tuple::<(Uuid, Option<Uuid>)>()
        .all(&state.db)
        .await
        .context("loading assigned raters")?
        .into_iter()
        .filter_map(|(a, r)| r.map(|r| (a, r)))
        .collect();
    let mut rows = Vec::new();
    for a in &assessments {
        let subject = a.subject_id;
        let Some(manager) = manager_of.get(&subject) else {
            continue;
        }; // inactive subject
        let mut wanted: Vec<(Uuid, Relationship)> = Vec::new();
        if opts.include_self {
            wanted.push((subject, Relationship::SelfRating));
        }
        if opts.include_manager
            && let Some(m) = manager.filter(|m| manager_of.contains_key(m))
        {
            wanted.push((m, Relationship::Manager));
        }
        if opts.include_direct_reports {
            wanted.extend(
                reports
                    .get(&subject)
                    .into_iter()
                    .flatten()
                    .map(|r| (*r, Relationship::DirectReport)),
            );
        }
        if let Some(m) = manager {
            let mut peers: Vec<Uuid> = reports
                .get(m)
                .into_iter()
                .flatten()
                .copied()
                .filter(|p| *p != subject)
                .collect();
            peers.sort_by_key(|p| {
                p.as_u128().wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ subject.as_u128()
            });
            wanted.extend(
                peers
                    .into_iter()
                    .take(opts.max_peers)
                    .map(|p| (p, Relationship::Peer)),
            );
        }
        let mut seen = HashSet::new();
        for (rater, rel) in wanted {
            if !existing.contains(&(a.id, rater)) && seen.insert(rater) {
                rows.push(new_review(org, a, Some(rater), None, rel));
            }
        }
    }
    insert_reviews(state, rows).await
}

/// Removes a rater's review unless it has been submitted.
pub async fn remove(
    state: &AppState,
    ctx: &RequestContext,
    review_id: Uuid,
) -> Result<review::Model> {
    let org = ctx.require(MANAGERS)?.organization_id;
    let r = tenancy::find::<review::Entity, _>(&state.db, org, review_id)
        .await?
        .ok_or(Error::NotFound("review"))?;
    managed(
        state,
        ctx,
        r.cycle_id,
        OPEN_FOR_RATERS,
        "remove raters from",
    )
    .await?;
    if r.status == ReviewStatus::Submitted {
        return Err(Error::invalid(
            &["reviewId"],
            UserErrorCode::InvalidState,
            "a submitted review cannot be removed",
        ));
    }
    tenancy::delete_many::<review::Entity>(org)
        .filter(review::Column::Id.eq(r.id))
        .exec(&state.db)
        .await
        .context("removing a review")?;
    Ok(r)
}

/// A token for an external rater, valid for their one review until the cycle closes.
pub async fn invite_external(
    state: &AppState,
    ctx: &RequestContext,
    review_id: Uuid,
) -> Result<(review::Model, crate::auth::jwt::SignedToken)> {
    let org = ctx.require(MANAGERS)?.organization_id;
    let r = tenancy::find::<review::Entity, _>(&state.db, org, review_id)
        .await?
        .ok_or(Error::NotFound("review"))?;
    let cycle = managed(state, ctx, r.cycle_id, OPEN_FOR_RATERS, "invite raters to").await?;
    if r.external_email.is_none() {
        return Err(Error::invalid(
            &["reviewId"],
            UserErrorCode::Invalid,
            "only an EXTERNAL review gets an invitation token",
        ));
    }
    if matches!(r.status, ReviewStatus::Submitted | ReviewStatus::Declined) {
        return Err(Error::invalid(
            &["reviewId"],
            UserErrorCode::InvalidState,
            "the review is already finished",
        ));
    }
    let until = cycle
        .closes_at
        .unwrap_or_else(|| Utc::now() + chrono::Duration::days(30));
    let token = state.jwt.issue_review_token(r.id, org, until)?;
    Ok((r, token))
}
