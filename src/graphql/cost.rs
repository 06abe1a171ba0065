//! Query analysis before execution: depth, aliases, root fields, directives and the
//! requested cost, from the parsed document and an index of the schema's fields.
//!
//! The cost model counts the objects a response can hold: every field of an object type
//! costs 1, a list inside a connection (`edges`, `nodes`) costs its page size (`first` or
//! `last`, 20 when neither is given) times its children, `nodes(ids:)` costs one per id,
//! any other list counts as 5, and each mutation field costs 10 more. The actual cost
//! counts the objects the response really holds, on the same scale; when it is larger
//! than the estimate (a long list), the difference is charged after the fact.

use std::collections::{HashMap, HashSet};

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Field, OperationDefinition, OperationType, Selection,
    SelectionSet, TypeKind, TypeSystemDefinition,
};
use async_graphql::{Name, Variables};
use async_graphql_value::Value;

/// The page size a connection has when the query does not say.
pub const DEFAULT_PAGE: u64 = 20;
/// What every mutation field costs on top of its selection.
pub const MUTATION_COST: u64 = 10;
/// The size assumed for a list that is not a page of a connection (`teams`,
/// `reportingLine`, `userErrors`…).
pub const DEFAULT_LIST: u64 = 5;
/// Most selections visited when expanding fragments; beyond it the query is too complex.
const VISIT_BUDGET: u64 = 100_000;
/// Deepest chain of fragment spreads followed; beyond it the query is too complex.
const SPREAD_DEPTH: usize = 32;

/// The ceilings an operation must stay under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub depth: u64,
    pub cost: u64,
    pub aliases: u64,
    pub root_fields: u64,
    pub directives: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            depth: 12,
            cost: 10_000,
            aliases: 100,
            root_fields: 50,
            directives: 50,
        }
    }
}

/// What one operation asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shape {
    pub depth: u64,
    pub cost: u64,
    pub aliases: u64,
    pub root_fields: u64,
    pub directives: u64,
    pub mutation_fields: u64,
    /// True when the operation asks for `__schema` or `__type`.
    pub introspection: bool,
}

impl Shape {
    /// The first limit this shape exceeds: its name, the figure and the ceiling.
    pub fn exceeded(&self, limits: &Limits) -> Option<(&'static str, u64, u64)> {
        [
            ("depth", self.depth, limits.depth),
            ("requestedQueryCost", self.cost, limits.cost),
            ("aliases", self.aliases, limits.aliases),
            ("rootFields", self.root_fields, limits.root_fields),
            ("directives", self.directives, limits.directives),
        ]
        .into_iter()
        .find(|(_, value, max)| value > max)
    }
}

#[derive(Debug)]
struct FieldInfo {
    type_name: String,
    list: bool,
}

/// The fields of every object and interface type, and which types are composite.
#[derive(Debug, Default)]
pub struct SchemaIndex {
    fields: HashMap<String, HashMap<String, FieldInfo>>,
    composite: HashSet<String>,
}

impl SchemaIndex {
    /// Indexes the schema from its SDL.
    pub fn from_sdl(sdl: &str) -> Self {
        let mut index = Self::default();
        let Ok(doc) = async_graphql::parser::parse_schema(sdl) else {
            return index;
        };
        for def in doc.definitions {
            let TypeSystemDefinition::Type(ty) = def else {
                continue;
            };
            let name = ty.node.name.node.to_string();
            let fields = match &ty.node.kind {
                TypeKind::Object(o) => &o.fields,
                TypeKind::Interface(i) => &i.fields,
                TypeKind::Union(_) => {
                    index.composite.insert(name);
                    continue;
                }
                _ => continue,
            };
            let map = fields
                .iter()
                .map(|f| {
                    let mut ty = &f.node.ty.node;
                    let mut list = false;
                    while let async_graphql::parser::types::BaseType::List(inner) = &ty.base {
                        list = true;
                        ty = inner;
                    }
                    let type_name = match &ty.base {
                        async_graphql::parser::types::BaseType::Named(n) => n.to_string(),
                        async_graphql::parser::types::BaseType::List(_) => String::new(),
                    };
                    (f.node.name.node.to_string(), FieldInfo { type_name, list })
                })
                .collect();
            index.composite.insert(name.clone());
            index.fields.insert(name, map);
        }
        index
    }

    /// The shape of the operation that `name` selects, or `None` when the document
    /// names no runnable operation (validation reports that).
    pub fn analyze(
        &self,
        doc: &ExecutableDocument,
        name: Option<&str>,
        variables: &Variables,
    ) -> Option<Shape> {
        let op = match (&doc.operations, name) {
            (DocumentOperations::Single(op), _) => &op.node,
            (DocumentOperations::Multiple(ops), Some(n)) => &ops.get(n)?.node,
            (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
                &ops.values().next()?.node
            }
            (DocumentOperations::Multiple(_), None) => return None,
        };
        let root = match op.ty {
            OperationType::Query => "Query",
            OperationType::Mutation => "Mutation",
            OperationType::Subscription => "Subscription",
        };
        let mut walk = Walk {
            index: self,
            doc,
            op,
            variables,
            shape: Shape::default(),
            visits: 0,
            stack: Vec::new(),
        };
        walk.shape.directives = op.directives.len() as u64;
        let cost = walk.selections(&op.selection_set.node, root, None, 0);
        walk.shape.cost = cost.saturating_add(walk.shape.mutation_fields * MUTATION_COST);
        if walk.visits > VISIT_BUDGET {
            walk.shape.cost = u64::MAX;
        }
        Some(walk.shape)
    }
}

struct Walk<'a> {
    index: &'a SchemaIndex,
    doc: &'a ExecutableDocument,
    op: &'a OperationDefinition,
    variables: &'a Variables,
    shape: Shape,
    visits: u64,
    /// Fragments being expanded, so a cycle (refused later by validation) stops here.
    stack: Vec<&'a Name>,
}

impl<'a> Walk<'a> {
    /// The cost of `set` on `parent`; `page` is the page size when `parent` is a
    /// connection. `depth` is the number of fields above.
    fn selections(
        &mut self,
        set: &'a SelectionSet,
        parent: &str,
        page: Option<u64>,
        depth: u64,
    ) -> u64 {
        let mut cost: u64 = 0;
        for selection in &set.items {
            self.visits += 1;
            if self.visits > VISIT_BUDGET {
                return u64::MAX;
            }
            let part = match &selection.node {
                Selection::Field(field) => self.field(&field.node, parent, page, depth),
                Selection::FragmentSpread(spread) => {
                    self.shape.directives += spread.node.directives.len() as u64;
                    let name = &spread.node.fragment_name.node;
                    if self.stack.len() >= SPREAD_DEPTH {
                        self.visits = VISIT_BUDGET + 1;
                        return u64::MAX;
                    }
                    match self.doc.fragments.get(name) {
                        Some(fragment) if !self.stack.contains(&name) => {
                            self.stack.push(name);
                            let on = fragment.node.type_condition.node.on.node.as_str();
                            let fragment = &fragment.node;
                            self.shape.directives += fragment.directives.len() as u64;
                            let c = self.selections(&fragment.selection_set.node, on, page, depth);
                            self.stack.pop();
                            c
                        }
                        _ => 0,
                    }
                }
                Selection::InlineFragment(inline) => {
                    self.shape.directives += inline.node.directives.len() as u64;
                    let on = inline
                        .node
                        .type_condition
                        .as_ref()
                        .map_or(parent, |c| c.node.on.node.as_str());
                    let on = on.to_owned();
                    self.selections(&inline.node.selection_set.node, &on, page, depth)
                }
            };
            cost = cost.saturating_add(part);
        }
        cost
    }

    fn field(&mut self, field: &'a Field, parent: &str, page: Option<u64>, depth: u64) -> u64 {
        let depth = depth + 1;
        self.shape.depth = self.shape.depth.max(depth);
        self.shape.directives += field.directives.len() as u64;
        if field.alias.is_some() {
            self.shape.aliases += 1;
        }
        if depth == 1 {
            self.shape.root_fields += 1;
            if parent == "Mutation" {
                self.shape.mutation_fields += 1;
            }
        }
        let name = field.name.node.as_str();
        if name == "__schema" || name == "__type" {
            self.shape.introspection = true;
        }
        if name.starts_with("__") {
            // Introspection is bounded by the schema itself: one unit, not walked.
            return u64::from(name != "__typename");
        }
        let Some(info) = self.index.fields.get(parent).and_then(|f| f.get(name)) else {
            return 0;
        };
        if !self.index.composite.contains(&info.type_name) {
            return 0;
        }
        let multiplier = if !info.list {
            1
        } else if parent.ends_with("Connection") {
            page.unwrap_or(DEFAULT_PAGE)
        } else {
            self.list_length(field, "ids").unwrap_or(DEFAULT_LIST)
        };
        let own_page = info.type_name.ends_with("Connection").then(|| {
            self.number(field, "first")
                .or_else(|| self.number(field, "last"))
                .unwrap_or(DEFAULT_PAGE)
        });
        let children = self.selections(&field.selection_set.node, &info.type_name, own_page, depth);
        multiplier.saturating_mul(children.saturating_add(1))
    }

    fn argument(&self, field: &'a Field, name: &str) -> Option<Value> {
        let value = &field.get_argument(name)?.node;
        match value {
            Value::Variable(var) => self
                .variables
                .get(var)
                .cloned()
                .or_else(|| {
                    let def = self
                        .op
                        .variable_definitions
                        .iter()
                        .find(|d| d.node.name.node == *var)?;
                    def.node.default_value.as_ref().map(|v| v.node.clone())
                })
                .map(|c| c.into_value()),
            other => Some(other.clone()),
        }
    }

    fn number(&self, field: &'a Field, name: &str) -> Option<u64> {
        match self.argument(field, name)? {
            Value::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    fn list_length(&self, field: &'a Field, name: &str) -> Option<u64> {
        match self.argument(field, name)? {
            Value::List(items) => Some(items.len() as u64),
            _ => None,
        }
    }
}

/// The actual cost of a response: the objects its `data` holds, plus the mutation fee.
pub fn actual_cost(data: &async_graphql::Value, mutation_fields: u64) -> u64 {
    use async_graphql::Value;
    fn objects(v: &Value) -> u64 {
        match v {
            Value::Object(map) => 1 + map.values().map(objects).sum::<u64>(),
            Value::List(items) => items.iter().map(objects).sum(),
            _ => 0,
        }
    }
    // The `data` object itself is not a selection.
    let found = objects(data).saturating_sub(u64::from(matches!(data, Value::Object(_))));
    found + mutation_fields * MUTATION_COST
}
