//! The event types an endpoint may subscribe to (API.md, "Webhook events"), and the
//! parsing of a subscription list.

use crate::error::{UserError, UserErrorCode};

/// Every event type the outbox records, in the order the API documents them.
pub const KNOWN: [&str; 10] = [
    "leader.created",
    "leader.updated",
    "leader.deactivated",
    "review.submitted",
    "cycle.opened",
    "cycle.closed",
    "cycle.released",
    "plan.created",
    "plan.updated",
    "goal.achieved",
];

/// A non-empty list of known event types, without duplicates, in the order given;
/// each unknown name is refused at its own index.
pub fn parse(field: &str, raw: &[String]) -> Result<Vec<String>, Vec<UserError>> {
    if raw.is_empty() {
        return Err(vec![UserError::new(
            &[field],
            UserErrorCode::Required,
            "subscribe to at least one event type",
        )]);
    }
    let mut events: Vec<String> = Vec::with_capacity(raw.len());
    let mut errors = Vec::new();
    for (i, name) in raw.iter().enumerate() {
        let name = name.trim();
        if !KNOWN.contains(&name) {
            errors.push(UserError::new(
                &[field, &i.to_string()],
                UserErrorCode::InvalidFormat,
                format!(
                    "'{}' is not an event type; known ones are {}",
                    name.chars().take(64).collect::<String>(),
                    KNOWN.join(", ")
                ),
            ));
        } else if !events.iter().any(|e| e == name) {
            events.push(name.to_owned());
        }
    }
    if errors.is_empty() {
        Ok(events)
    } else {
        Err(errors)
    }
}

/// The stored form of a subscription list: a JSON array.
pub fn encode(events: &[String]) -> String {
    serde_json::Value::from(events.to_vec()).to_string()
}

/// The subscription list of a stored endpoint (an unreadable one subscribes to nothing).
pub fn decode(stored: &str) -> Vec<String> {
    serde_json::from_str(stored).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_events_are_kept_once_and_unknown_ones_refused_at_their_index() {
        let ok = parse("events", &["plan.created".into(), "plan.created".into()]);
        assert_eq!(ok, Ok(vec!["plan.created".to_owned()]));
        let errs = parse("events", &["plan.created".into(), "plan.deleted".into()])
            .err()
            .unwrap_or_default();
        assert_eq!(errs.len(), 1);
        assert_eq!(
            errs[0].field,
            Some(vec!["input".into(), "events".into(), "1".into()])
        );
        assert!(parse("events", &[]).is_err());
        assert_eq!(
            decode(&encode(&["goal.achieved".into()])),
            ["goal.achieved"]
        );
    }
}
