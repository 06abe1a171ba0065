//! Running a plan: its arguments read exactly as the schema reads them, the page and
//! its relations fetched by the domain functions the resolvers use, and the answer
//! written as JSON in the order and under the keys the operation asked for.

use std::collections::HashMap;
use std::io::Write;

use async_graphql::{Name, ScalarType, Variables};
use async_graphql_value::ConstValue;
use entity::enums::LeaderStatus;
use entity::{leader, team};
use uuid::Uuid;

use super::{ConnectionField, EdgeField, Entry, LeaderField, PageInfoField, Plan, TeamField};
use crate::auth::RequestContext;
use crate::domain::pagination::Page;
use crate::domain::people::directory::{self, LeaderFilter, LeaderOrderField};
use crate::domain::people::{READERS, teams};
use crate::graphql::connection;
use crate::graphql::ids::{self, Kind};
use crate::startup::AppState;
use crate::tenancy;

/// A compiled answer: the `data` object's JSON, and how many objects it holds (the
/// actual cost, counted as `cost::actual_cost` counts a response).
pub struct Compiled {
    pub data: Vec<u8>,
    pub objects: u64,
}

struct Arguments {
    filter: LeaderFilter,
    field: LeaderOrderField,
    descending: bool,
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
}

/// Answers the plan's operation, or `None` when the general executor must: an argument
/// or a caller the plan does not cover, or any error (which the general executor then
/// reports as it always does).
pub async fn run(
    plan: &Plan,
    state: &AppState,
    ctx: &RequestContext,
    variables: &Variables,
) -> Option<Compiled> {
    // A review token reads names only; the general executor filters for it.
    if ctx.review_scope().is_some() {
        return None;
    }
    let org = ctx.require(READERS).ok()?.organization_id;
    let args = arguments(plan, variables)?;
    let page_args = connection::args(args.first, args.after, args.last, args.before).ok()?;
    let page = directory::list(
        state,
        ctx,
        &args.filter,
        args.field,
        args.descending,
        &page_args,
    )
    .await
    .ok()?;
    let db = &state.db;
    let managers = async {
        if !plan.wants_managers {
            return Ok(HashMap::new());
        }
        let mut ids: Vec<Uuid> = page
            .items
            .iter()
            .filter_map(|(_, l)| l.manager_id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = tenancy::leaders_by_id(db, org, ids).await?;
        Ok::<_, crate::error::Error>(rows.into_iter().map(|l| (l.id, l)).collect())
    };
    let teams = async {
        let mut out: HashMap<Uuid, Vec<team::Model>> = HashMap::new();
        if !plan.wants_teams || page.items.is_empty() {
            return Ok(out);
        }
        let ids: Vec<Uuid> = page.items.iter().map(|(_, l)| l.id).collect();
        for (leader, team) in teams::teams_of(db, org, &ids).await? {
            out.entry(leader).or_default().push(team);
        }
        for list in out.values_mut() {
            list.sort_by_key(|t| t.id);
        }
        Ok::<_, crate::error::Error>(out)
    };
    let wants_count = plan
        .connection
        .iter()
        .any(|e| matches!(e.field, ConnectionField::TotalCount));
    let count = async {
        if wants_count {
            directory::count(db, org, &args.filter).await.map(Some)
        } else {
            Ok(None)
        }
    };
    let (managers, teams, count) = tokio::join!(managers, teams, count);
    let relations = Relations {
        managers: managers.ok()?,
        teams: teams.ok()?,
    };
    let mut out = Writer {
        buf: Vec::with_capacity(256 + page.items.len() * 320),
        objects: 0,
    };
    out.raw(b"{");
    out.raw(&plan.root_key);
    out.connection(&plan.connection, &page, &relations, count.ok()?)?;
    out.raw(b"}");
    Some(Compiled {
        data: out.buf,
        objects: out.objects,
    })
}

/// The `leaders` arguments with variables put in. `None` for anything that is not
/// exactly what the schema accepts, which the general executor then refuses.
fn arguments(plan: &Plan, variables: &Variables) -> Option<Arguments> {
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

struct Relations {
    managers: HashMap<Uuid, leader::Model>,
    teams: HashMap<Uuid, Vec<team::Model>>,
}

struct Writer {
    buf: Vec<u8>,
    objects: u64,
}

impl Writer {
    fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Opens the field `entry` of an object: a comma unless it is the first.
    fn key<F>(&mut self, i: usize, entry: &Entry<F>) {
        if i > 0 {
            self.buf.push(b',');
        }
        self.buf.extend_from_slice(&entry.key);
    }

    fn open_object(&mut self) {
        self.objects += 1;
        self.buf.push(b'{');
    }

    fn string(&mut self, s: &str) -> Option<()> {
        serde_json::to_writer(&mut self.buf, s).ok()
    }

    fn opt_string(&mut self, s: Option<&str>) -> Option<()> {
        match s {
            Some(s) => self.string(s),
            None => {
                self.raw(b"null");
                Some(())
            }
        }
    }

    /// A string that needs no escaping (base64url ids and cursors, type names).
    fn plain(&mut self, s: &str) {
        self.buf.push(b'"');
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(b'"');
    }

    fn bool(&mut self, b: bool) {
        self.raw(if b { b"true" } else { b"false" });
    }

    /// A scalar written as its GraphQL type writes itself (dates and times).
    fn scalar(&mut self, v: &impl ScalarType) -> Option<()> {
        serde_json::to_writer(&mut self.buf, &v.to_value()).ok()
    }

    fn connection(
        &mut self,
        fields: &[Entry<ConnectionField>],
        page: &Page<leader::Model>,
        rel: &Relations,
        count: Option<u64>,
    ) -> Option<()> {
        self.open_object();
        for (i, e) in fields.iter().enumerate() {
            self.key(i, e);
            match &e.field {
                ConnectionField::Typename => self.plain("LeaderConnection"),
                ConnectionField::TotalCount => write!(self.buf, "{}", count?).ok()?,
                ConnectionField::PageInfo(sel) => self.page_info(sel, page),
                ConnectionField::Nodes(sel) => {
                    self.buf.push(b'[');
                    for (n, (_, l)) in page.items.iter().enumerate() {
                        if n > 0 {
                            self.buf.push(b',');
                        }
                        self.leader(sel, l, rel)?;
                    }
                    self.buf.push(b']');
                }
                ConnectionField::Edges(sel) => {
                    self.buf.push(b'[');
                    for (n, (cursor, l)) in page.items.iter().enumerate() {
                        if n > 0 {
                            self.buf.push(b',');
                        }
                        self.open_object();
                        for (j, e) in sel.iter().enumerate() {
                            self.key(j, e);
                            match &e.field {
                                EdgeField::Typename => self.plain("LeaderEdge"),
                                EdgeField::Cursor => self.plain(&cursor.encode()),
                                EdgeField::Node(sel) => self.leader(sel, l, rel)?,
                            }
                        }
                        self.buf.push(b'}');
                    }
                    self.buf.push(b']');
                }
            }
        }
        self.buf.push(b'}');
        Some(())
    }

    fn page_info(&mut self, fields: &[Entry<PageInfoField>], page: &Page<leader::Model>) {
        self.open_object();
        let cursor = |item: Option<&(crate::domain::pagination::Cursor, leader::Model)>| {
            item.map(|(c, _)| c.encode())
        };
        for (i, e) in fields.iter().enumerate() {
            self.key(i, e);
            match &e.field {
                PageInfoField::Typename => self.plain("PageInfo"),
                PageInfoField::HasPreviousPage => self.bool(page.has_previous),
                PageInfoField::HasNextPage => self.bool(page.has_next),
                PageInfoField::StartCursor => match cursor(page.items.first()) {
                    Some(c) => self.plain(&c),
                    None => self.raw(b"null"),
                },
                PageInfoField::EndCursor => match cursor(page.items.last()) {
                    Some(c) => self.plain(&c),
                    None => self.raw(b"null"),
                },
            }
        }
        self.buf.push(b'}');
    }

    fn leader(
        &mut self,
        fields: &[Entry<LeaderField>],
        l: &leader::Model,
        rel: &Relations,
    ) -> Option<()> {
        self.open_object();
        for (i, e) in fields.iter().enumerate() {
            self.key(i, e);
            match &e.field {
                LeaderField::Typename => self.plain("Leader"),
                LeaderField::Id => ids::write(Kind::Leader, l.id, &mut self.buf),
                LeaderField::Name => self.string(&l.name)?,
                LeaderField::Email => self.opt_string(l.email.as_deref())?,
                LeaderField::Title => self.opt_string(l.title.as_deref())?,
                LeaderField::Department => self.opt_string(l.department.as_deref())?,
                LeaderField::Location => self.opt_string(l.location.as_deref())?,
                LeaderField::ExternalId => self.opt_string(l.external_id.as_deref())?,
                LeaderField::StartDate => match &l.start_date {
                    Some(d) => self.scalar(d)?,
                    None => self.raw(b"null"),
                },
                LeaderField::Status => self.plain(match l.status {
                    LeaderStatus::Active => "ACTIVE",
                    LeaderStatus::Inactive => "INACTIVE",
                }),
                LeaderField::CreatedAt => self.scalar(&l.created_at)?,
                LeaderField::UpdatedAt => self.scalar(&l.updated_at)?,
                LeaderField::Manager(sel) => {
                    match l.manager_id.and_then(|m| rel.managers.get(&m)) {
                        Some(m) => self.leader(sel, m, rel)?,
                        None => self.raw(b"null"),
                    }
                }
                LeaderField::Teams(sel) => {
                    self.buf.push(b'[');
                    for (n, t) in rel.teams.get(&l.id).into_iter().flatten().enumerate() {
                        if n > 0 {
                            self.buf.push(b',');
                        }
                        self.team(sel, t)?;
                    }
                    self.buf.push(b']');
                }
            }
        }
        self.buf.push(b'}');
        Some(())
    }

    fn team(&mut self, fields: &[Entry<TeamField>], t: &team::Model) -> Option<()> {
        self.open_object();
        for (i, e) in fields.iter().enumerate() {
            self.key(i, e);
            match &e.field {
                TeamField::Typename => self.plain("Team"),
                TeamField::Id => ids::write(Kind::Team, t.id, &mut self.buf),
                TeamField::Name => self.string(&t.name)?,
                TeamField::Description => self.opt_string(t.description.as_deref())?,
                TeamField::CreatedAt => self.scalar(&t.created_at)?,
            }
        }
        self.buf.push(b'}');
        Some(())
    }
}
