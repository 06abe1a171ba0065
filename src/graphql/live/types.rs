//! The event types of subscriptions.

use async_graphql::{Object, SimpleObject};
use chrono::{DateTime, Utc};
use sea_orm::ActiveEnum;
use uuid::Uuid;

use crate::domain::live::{self, ReviewProgress};
use crate::events::Event;
use crate::graphql::cycles::{Assessment, AssessmentCycle, CycleStatus};

/// Review counts of an assessment or a cycle.
#[derive(SimpleObject)]
pub struct ReviewCounts {
    /// Every review assigned, whatever its status.
    invited: i64,
    submitted: i64,
    declined: i64,
    /// Neither submitted nor declined yet.
    pending: i64,
}

impl From<live::ReviewCounts> for ReviewCounts {
    fn from(c: live::ReviewCounts) -> Self {
        Self {
            invited: c.invited,
            submitted: c.submitted,
            declined: c.declined,
            pending: c.invited - c.submitted - c.declined,
        }
    }
}

/// A review of a cycle was submitted. Deliberately without the review, its rater or
/// their relationship to the subject: only the assessment and the counts after it.
pub struct ReviewSubmitted {
    progress: ReviewProgress,
    occurred_at: DateTime<Utc>,
}

impl ReviewSubmitted {
    pub fn new(progress: ReviewProgress, event: Uuid) -> Self {
        Self {
            progress,
            occurred_at: occurred_at(event),
        }
    }
}

#[Object]
impl ReviewSubmitted {
    async fn cycle(&self) -> AssessmentCycle {
        AssessmentCycle(self.progress.cycle.clone())
    }
    /// The assessment (one subject's 360) the review belongs to.
    async fn assessment(&self) -> Assessment {
        Assessment(self.progress.assessment.clone())
    }
    /// The assessment's reviews after this submission.
    async fn assessment_reviews(&self) -> ReviewCounts {
        self.progress.of_assessment.into()
    }
    /// The cycle's reviews after this submission.
    async fn cycle_reviews(&self) -> ReviewCounts {
        self.progress.of_cycle.into()
    }
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.occurred_at
    }
}

/// A cycle moved to another status.
#[derive(SimpleObject)]
pub struct CycleStatusChanged {
    /// The cycle as it is now.
    pub cycle: AssessmentCycle,
    /// The status it moved to.
    pub status: CycleStatus,
    pub occurred_at: DateTime<Utc>,
}

/// The new status an event names.
pub fn cycle_status(e: &Event) -> Option<CycleStatus> {
    let name = e.data.get("status")?.as_str()?.to_owned();
    entity::enums::CycleStatus::try_from_value(&name)
        .ok()
        .map(Into::into)
}

/// When an event happened: its id is a UUIDv7, stamped when it was recorded.
pub fn occurred_at(event: Uuid) -> DateTime<Utc> {
    event
        .get_timestamp()
        .and_then(|t| {
            let (secs, nanos) = t.to_unix();
            DateTime::from_timestamp(secs as i64, nanos)
        })
        .unwrap_or_else(Utc::now)
}
