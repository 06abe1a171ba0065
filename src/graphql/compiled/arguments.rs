//! A plan's `leaders` arguments, with variables put in, read exactly as the schema reads
//! them. Whatever the schema would refuse or read otherwise is `None`, and the general
//! executor answers it.

use async_graphql::{Name, Variables};
use async_graphql_value::ConstValue;
use entity::enums::LeaderStatus;
use uuid::Uuid;

use super::Plan;
use crate::domain::people::directory::{LeaderFilter, LeaderOrderField};
use crate::graphql::ids::{self, Kind};

pub(super) struct Arguments {
    pub(super) filter: LeaderFilter,
    pub(super) field: LeaderOrderField,
    pub(super) descending: bool,
    pub(super) first: Option<i32>,
    pub(super) after: Option<String>,
    pub(super) last: Option<i32>,
    pub(super) before: Option<String>,
}

/// The `leaders` arguments with variables put in. `None` for anything that is not
/// exactly what the schema accepts, which the general executor then refuses.
pub(super) fn read(plan: &Plan, variables: &Variables) -> Option<Arguments> {
    let mut args = Arguments {
        filter: LeaderFilter::default(),
        field: LeaderOrderField::Name,
        descending: false,
        first: None,
        after: None,
        last: None,
        before: None,
    };
    for (name, value) in &plan.arguments {
        let value = value
            .clone()
            .into_const_with(|var| variable(plan, variables, &var))
            .ok()?;
        match name.as_str() {
            "first" => args.first = int(value)?,
            "last" => args.last = int(value)?,
            "after" => args.after = string(value)?,
            "before" => args.before = string(value)?,
            "orderBy" => {
                if let Some((field, descending)) = order(value)? {
                    args.field = field;
                    args.descending = descending;
                }
            }
            "filter" => args.filter = filter(value)?.unwrap_or_default(),
            _ => return None,
        }
    }
    Some(args)
}

/// A variable's value: as sent, else its default, else null when it may be null.
fn variable(plan: &Plan, variables: &Variables, name: &Name) -> Result<ConstValue, ()> {
    let def = plan
        .variables
        .iter()
        .find(|d| d.name.node == *name)
        .ok_or(())?;
    match variables.get(name) {
        Some(ConstValue::Null) if !def.var_type.node.nullable => Err(()),
        Some(value) => Ok(value.clone()),
        None => def.default_value().cloned().ok_or(()),
    }
}

/// An optional `Int`. The outer `None` means "not as the schema reads it".
fn int(v: ConstValue) -> Option<Option<i32>> {
    match v {
        ConstValue::Null => Some(None),
        ConstValue::Number(n) => Some(Some(i32::try_from(n.as_i64()?).ok()?)),
        _ => None,
    }
}

fn string(v: ConstValue) -> Option<Option<String>> {
    match v {
        ConstValue::Null => Some(None),
        ConstValue::String(s) => Some(Some(s)),
        _ => None,
    }
}

/// An enum value: a name in the query, a string in JSON variables.
fn enum_name(v: &ConstValue) -> Option<&str> {
    match v {
        ConstValue::Enum(n) => Some(n.as_str()),
        ConstValue::String(s) => Some(s.as_str()),
        _ => None,
    }
}

fn order(v: ConstValue) -> Option<Option<(LeaderOrderField, bool)>> {
    let map = match v {
        ConstValue::Null => return Some(None),
        ConstValue::Object(map) => map,
        _ => return None,
    };
    let (mut field, mut descending) = (None, false);
    for (k, v) in &map {
        match k.as_str() {
            "field" => {
                field = Some(match enum_name(v)? {
                    "NAME" => LeaderOrderField::Name,
                    "CREATED_AT" => LeaderOrderField::CreatedAt,
                    "DEPARTMENT" => LeaderOrderField::Department,
                    _ => return None,
                })
            }
            "direction" => {
                descending = match enum_name(v)? {
                    "ASC" => false,
                    "DESC" => true,
                    _ => return None,
                }
            }
            _ => return None,
        }
    }
    Some(Some((field?, descending)))
}

fn filter(v: ConstValue) -> Option<Option<LeaderFilter>> {
    let map = match v {
        ConstValue::Null => return Some(None),
        ConstValue::Object(map) => map,
        _ => return None,
    };
    let mut f = LeaderFilter::default();
    for (k, v) in map {
        match k.as_str() {
            "status" => {
                f.status = match &v {
                    ConstValue::Null => None,
                    v => Some(match enum_name(v)? {
                        "ACTIVE" => LeaderStatus::Active,
                        "INACTIVE" => LeaderStatus::Inactive,
                        _ => return None,
                    }),
                }
            }
            "department" => f.department = string(v)?,
            "search" => f.search = string(v)?,
            "teamId" => f.team_id = id(v, Kind::Team)?,
            "managerId" => f.manager_id = id(v, Kind::Leader)?,
            _ => return None,
        }
    }
    Some(Some(f))
}

fn id(v: ConstValue, kind: Kind) -> Option<Option<Uuid>> {
    match string(v)? {
        None => Some(None),
        Some(s) => Some(Some(ids::decode(kind, &s).ok()?)),
    }
}
