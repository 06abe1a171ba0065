//! The JSON of a plan's answer, written straight from the rows in the order and under
//! the keys the operation asked for, counting its objects as the cost counts them.

use std::collections::HashMap;
use std::io::Write;

use async_graphql::ScalarType;
use entity::enums::LeaderStatus;
use entity::{leader, team};
use uuid::Uuid;

use super::{
    Compiled, ConnectionField, EdgeField, Entry, LeaderField, PageInfoField, Plan, TeamField,
};
use crate::domain::pagination::{Cursor, Page};
use crate::graphql::ids::{self, Kind};

/// The page's managers and teams, by id and by leader.
pub(super) struct Relations {
    pub(super) managers: HashMap<Uuid, leader::Model>,
    pub(super) teams: HashMap<Uuid, Vec<team::Model>>,
}

/// The `data` object of the plan's answer for `page`.
pub(super) fn answer(
    plan: &Plan,
    page: &Page<leader::Model>,
    rel: &Relations,
    count: Option<u64>,
) -> Option<Compiled> {
    let mut out = Writer {
        buf: Vec::with_capacity(256 + page.items.len() * 320),
        objects: 0,
    };
    out.raw(b"{");
    out.raw(&plan.root_key);
    out.connection(&plan.connection, page, rel, count)?;
    out.raw(b"}");
    Some(Compiled {
        data: out.buf,
        objects: out.objects,
    })
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
        let cursor = |item: Option<&(Cursor, leader::Model)>| item.map(|(c, _)| c.encode());
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
