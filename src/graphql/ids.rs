//! Opaque global ids: a kind tag and a UUID, base64url-encoded (22 characters).
//! Clients never build them; a malformed id or one of the wrong kind is `BAD_USER_INPUT`.

use async_graphql::ID;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

use crate::error::Error;

/// The kind of object an id names. The tags are part of every id ever issued: never
/// renumber them, only add.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Organization = 1,
    User = 2,
    Membership = 3,
    ApiKey = 4,
    Leader = 5,
    Team = 6,
    Framework = 7,
    Behavior = 8,
    Indicator = 9,
    AssessmentCycle = 10,
    Assessment = 11,
    Review = 12,
    DevelopmentPlan = 13,
    Goal = 14,
    Action = 15,
    CheckIn = 16,
    PlanSupporter = 17,
    AuditEvent = 18,
    WebhookEndpoint = 19,
    WebhookDelivery = 20,
}

impl Kind {
    fn from_tag(tag: u8) -> Option<Self> {
        Some(match tag {
            1 => Kind::Organization,
            2 => Kind::User,
            3 => Kind::Membership,
            4 => Kind::ApiKey,
            5 => Kind::Leader,
            6 => Kind::Team,
            7 => Kind::Framework,
            8 => Kind::Behavior,
            9 => Kind::Indicator,
            10 => Kind::AssessmentCycle,
            11 => Kind::Assessment,
            12 => Kind::Review,
            13 => Kind::DevelopmentPlan,
            14 => Kind::Goal,
            15 => Kind::Action,
            16 => Kind::CheckIn,
            17 => Kind::PlanSupporter,
            18 => Kind::AuditEvent,
            19 => Kind::WebhookEndpoint,
            20 => Kind::WebhookDelivery,
            _ => return None,
        })
    }

    pub fn type_name(self) -> &'static str {
        match self {
            Kind::Organization => "Organization",
            Kind::User => "User",
            Kind::Membership => "Membership",
            Kind::ApiKey => "ApiKey",
            Kind::Leader => "Leader",
            Kind::Team => "Team",
            Kind::Framework => "Framework",
            Kind::Behavior => "Behavior",
            Kind::Indicator => "Indicator",
            Kind::AssessmentCycle => "AssessmentCycle",
            Kind::Assessment => "Assessment",
            Kind::Review => "Review",
            Kind::DevelopmentPlan => "DevelopmentPlan",
            Kind::Goal => "Goal",
            Kind::Action => "Action",
            Kind::CheckIn => "CheckIn",
            Kind::PlanSupporter => "PlanSupporter",
            Kind::AuditEvent => "AuditEvent",
            Kind::WebhookEndpoint => "WebhookEndpoint",
            Kind::WebhookDelivery => "WebhookDelivery",
        }
    }
}

/// Encodes `id` as the global id of an object of `kind`.
pub fn encode(kind: Kind, id: Uuid) -> ID {
    let mut raw = [0u8; 17];
    raw[0] = kind as u8;
    raw[1..].copy_from_slice(id.as_bytes());
    ID(URL_SAFE_NO_PAD.encode(raw))
}

/// Writes the id of `kind` `id` as a JSON string. Base64url needs no escaping.
pub fn write(kind: Kind, id: Uuid, out: &mut Vec<u8>) {
    let mut raw = [0u8; 17];
    raw[0] = kind as u8;
    raw[1..].copy_from_slice(id.as_bytes());
    let mut text = [0u8; 23];
    out.push(b'"');
    // 17 bytes are 23 characters unpadded, always.
    if let Ok(n) = URL_SAFE_NO_PAD.encode_slice(raw, &mut text) {
        out.extend_from_slice(&text[..n]);
    }
    out.push(b'"');
}

/// Decodes any global id into its kind and UUID.
pub fn decode_any(id: &str) -> Result<(Kind, Uuid), Error> {
    let bad = || Error::BadUserInput(format!("'{}' is not a valid id", truncate(id)));
    if id.len() != 23 {
        return Err(bad());
    }
    let raw = URL_SAFE_NO_PAD.decode(id).map_err(|_| bad())?;
    let kind = raw
        .first()
        .and_then(|t| Kind::from_tag(*t))
        .ok_or_else(bad)?;
    let uuid = Uuid::from_slice(&raw[1..]).map_err(|_| bad())?;
    Ok((kind, uuid))
}

/// Decodes a global id that must name an object of `kind`.
pub fn decode(kind: Kind, id: &str) -> Result<Uuid, Error> {
    match decode_any(id)? {
        (k, uuid) if k == kind => Ok(uuid),
        _ => Err(Error::BadUserInput(format!(
            "'{}' is not the id of a {}",
            truncate(id),
            kind.type_name()
        ))),
    }
}

fn truncate(s: &str) -> &str {
    match s.char_indices().nth(40) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_written_as_json_is_the_encoded_id() {
        let uuid = Uuid::now_v7();
        let mut out = Vec::new();
        write(Kind::Team, uuid, &mut out);
        let shown = encode(Kind::Team, uuid);
        assert_eq!(out, serde_json::to_vec(shown.as_str()).unwrap());
    }

    #[test]
    fn an_id_round_trips_with_its_kind() {
        let uuid = Uuid::now_v7();
        let id = encode(Kind::Membership, uuid);
        assert_eq!(id.len(), 23);
        assert_eq!(decode(Kind::Membership, &id).ok(), Some(uuid));
        assert!(decode(Kind::User, &id).is_err());
    }

    #[test]
    fn garbage_and_unknown_kinds_are_refused() {
        for bad in [
            "",
            "abc",
            "!!!!!!!!!!!!!!!!!!!!!!!",
            &"A".repeat(23),
            &"x".repeat(500),
        ] {
            assert!(
                matches!(decode_any(bad), Err(Error::BadUserInput(_))),
                "{bad}"
            );
        }
    }
}
