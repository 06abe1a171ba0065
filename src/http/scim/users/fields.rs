//! A SCIM user's attributes read into the leader they describe, and the change that
//! turns a stored leader into it.

use entity::leader;
use serde_json::Value;
use uuid::Uuid;

use super::super::ENTERPRISE_SCHEMA;
use super::super::error::{ScimError, ScimResult};
use super::super::filter::get_ci;
use crate::domain::people::{LeaderChange, Patch};

/// What a request says the leader should be. `None` means absent (cleared on save).
#[derive(Debug, Default)]
pub struct Desired {
    pub user_name: String,
    pub name: String,
    pub email: Option<String>,
    pub title: Option<String>,
    pub department: Option<String>,
    pub external_id: Option<String>,
    pub employee_number: Option<String>,
    pub manager: Option<Uuid>,
    /// Absent leaves the status as it is (a new user is active).
    pub active: Option<bool>,
}

fn invalid(detail: impl Into<String>) -> ScimError {
    ScimError::bad("invalidValue", detail)
}

/// A string attribute; blank or null is absent, another type is refused.
fn text(v: Option<&Value>, name: &str) -> ScimResult<Option<String>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(_) => Err(invalid(format!("{name} must be a string"))),
    }
}

fn boolean(v: Option<&Value>) -> ScimResult<Option<bool>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        // Some identity providers send "True"/"False".
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(_) => Err(invalid("active must be a boolean")),
    }
}

/// The primary email, else the first.
fn email(v: Option<&Value>) -> ScimResult<Option<String>> {
    let items = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(invalid("emails must be a list")),
    };
    let primary = items
        .iter()
        .find(|e| get_ci(e, "primary").and_then(Value::as_bool) == Some(true))
        .or_else(|| items.first());
    match primary {
        Some(e) => text(get_ci(e, "value"), "emails.value"),
        None => Ok(None),
    }
}

fn manager(v: Option<&Value>) -> ScimResult<Option<Uuid>> {
    let id = match v {
        Some(Value::Object(_)) => text(v.and_then(|m| get_ci(m, "value")), "manager.value")?,
        other => text(other, "manager")?,
    };
    id.map(|id| {
        id.parse::<Uuid>()
            .map_err(|_| invalid(format!("manager '{id}' is not a user of this organization")))
    })
    .transpose()
}

impl Desired {
    /// Reads `user`; `before` is the resource a PATCH started from, so that a change to
    /// `name.formatted` alone wins over the unchanged `displayName` (both are the name).
    pub fn parse(user: &Value, before: Option<&Value>) -> ScimResult<Self> {
        let user_name = text(get_ci(user, "userName"), "userName")?
            .ok_or_else(|| invalid("userName is required"))?;
        let name_obj = get_ci(user, "name");
        let formatted = text(
            name_obj.and_then(|n| get_ci(n, "formatted")),
            "name.formatted",
        )?;
        let parts = ["givenName", "middleName", "familyName"]
            .iter()
            .map(|p| text(name_obj.and_then(|n| get_ci(n, p)), p))
            .collect::<ScimResult<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let display = text(get_ci(user, "displayName"), "displayName")?;
        let only_formatted_changed = before.is_some_and(|b| {
            b["displayName"].as_str() == display.as_deref()
                && b["name"]["formatted"].as_str() != formatted.as_deref()
        });
        let (first, second) = if only_formatted_changed {
            (formatted, display)
        } else {
            (display, formatted)
        };
        let name = first
            .or(second)
            .or((!parts.is_empty()).then_some(parts))
            .unwrap_or_else(|| user_name.clone());
        let ext = get_ci(user, ENTERPRISE_SCHEMA);
        let field = |n: &str| ext.and_then(|e| get_ci(e, n));
        Ok(Self {
            name,
            email: email(get_ci(user, "emails"))?,
            title: text(get_ci(user, "title"), "title")?,
            external_id: text(get_ci(user, "externalId"), "externalId")?,
            department: text(field("department"), "department")?,
            employee_number: text(field("employeeNumber"), "employeeNumber")?,
            manager: manager(field("manager"))?,
            active: boolean(get_ci(user, "active"))?,
            user_name,
        })
    }

    /// The fields of a new leader.
    pub fn into_change(self) -> LeaderChange {
        let set = |v: Option<String>| v.map_or(Patch::Keep, Patch::Set);
        LeaderChange {
            name: Some(self.name),
            email: set(self.email),
            title: set(self.title),
            department: set(self.department),
            external_id: set(self.external_id),
            employee_number: set(self.employee_number),
            manager_id: self.manager.map_or(Patch::Keep, Patch::Set),
            user_name: Patch::Set(self.user_name),
            ..Default::default()
        }
    }

    /// What to change in `current` (shown with `shown_user_name`) to make it this.
    pub fn diff(self, current: &leader::Model, shown_user_name: &str) -> LeaderChange {
        fn patch<T: PartialEq>(new: Option<T>, old: Option<&T>) -> Patch<T> {
            match (new, old) {
                (None, None) => Patch::Keep,
                (None, Some(_)) => Patch::Clear,
                (Some(n), Some(o)) if n == *o => Patch::Keep,
                (Some(n), _) => Patch::Set(n),
            }
        }
        let email = self.email.map(|e| e.to_lowercase());
        LeaderChange {
            name: (self.name != current.name).then_some(self.name),
            email: patch(email, current.email.as_ref()),
            title: patch(self.title, current.title.as_ref()),
            department: patch(self.department, current.department.as_ref()),
            external_id: patch(self.external_id, current.external_id.as_ref()),
            employee_number: patch(self.employee_number, current.employee_number.as_ref()),
            manager_id: patch(self.manager, current.manager_id.as_ref()),
            user_name: if self.user_name == shown_user_name {
                Patch::Keep
            } else {
                Patch::Set(self.user_name)
            },
            ..Default::default()
        }
    }
}
