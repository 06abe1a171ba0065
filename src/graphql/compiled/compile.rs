//! Compiling a document into a [`Plan`]: walking its one operation's selection, and
//! refusing anything the plan does not cover.

use std::collections::HashSet;

use async_graphql::Positioned;
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Field, OperationType, Selection, SelectionSet,
};

use super::{ConnectionField, EdgeField, Entry, LeaderField, PageInfoField, Plan, TeamField};
use crate::domain::people::directory::{LeaderColumns, Related};

/// The plan of `doc`, when its operation is one the plan covers.
pub fn compile(doc: &ExecutableDocument) -> Option<Plan> {
    if !doc.fragments.is_empty() {
        return None;
    }
    let (operation, op) = match &doc.operations {
        DocumentOperations::Single(op) => (None, op),
        DocumentOperations::Multiple(ops) if ops.len() == 1 => {
            let (name, op) = ops.iter().next()?;
            (Some(name.clone()), op)
        }
        DocumentOperations::Multiple(_) => return None,
    };
    let op = &op.node;
    if op.ty != OperationType::Query || !op.directives.is_empty() {
        return None;
    }
    if op
        .variable_definitions
        .iter()
        .any(|v| !v.node.directives.is_empty())
    {
        return None;
    }
    let mut roots = fields(&op.selection_set)?;
    if roots.len() != 1 {
        return None;
    }
    let (root_key, root) = roots.pop()?;
    if root.name.node != "leaders" {
        return None;
    }
    let connection = selection(&root.selection_set, connection_field)?;
    let leader_fields = connection.iter().flat_map(|e| match &e.field {
        ConnectionField::Nodes(sel) => sel.iter().collect::<Vec<_>>(),
        ConnectionField::Edges(edges) => edges
            .iter()
            .flat_map(|e| match &e.field {
                EdgeField::Node(sel) => sel.iter().collect(),
                _ => Vec::new(),
            })
            .collect(),
        _ => Vec::new(),
    });
    let mut related = Related::default();
    for f in leader_fields {
        match &f.field {
            LeaderField::Manager(fields) => {
                let columns = related.managers.unwrap_or_default();
                related.managers = Some(fields.iter().fold(columns, |c, f| read(c, &f.field)));
            }
            LeaderField::Teams(_) => related.teams = true,
            field => related.leaders = read(related.leaders, field),
        }
    }
    let wants_count = connection
        .iter()
        .any(|e| matches!(e.field, ConnectionField::TotalCount));
    Some(Plan {
        operation,
        variables: op
            .variable_definitions
            .iter()
            .map(|v| v.node.clone())
            .collect(),
        root_key,
        arguments: root
            .arguments
            .iter()
            .map(|(n, v)| (n.node.clone(), v.node.clone()))
            .collect(),
        connection,
        related,
        wants_count,
    })
}

/// `columns` with the leader column that `field` shows.
fn read(columns: LeaderColumns, field: &LeaderField) -> LeaderColumns {
    use entity::leader::Column;
    let column = match field {
        LeaderField::Email => Column::Email,
        LeaderField::Title => Column::Title,
        LeaderField::Department => Column::Department,
        LeaderField::Location => Column::Location,
        LeaderField::ExternalId => Column::ExternalId,
        LeaderField::StartDate => Column::StartDate,
        // Always read, or not a column of the row.
        LeaderField::Typename
        | LeaderField::Id
        | LeaderField::Name
        | LeaderField::Status
        | LeaderField::CreatedAt
        | LeaderField::UpdatedAt
        | LeaderField::Manager(_)
        | LeaderField::Teams(_) => return columns,
    };
    columns.with(column)
}

/// A field and the bytes that open it in the response.
type Keyed<'a> = (Box<[u8]>, &'a Field);

/// The fields of a selection set with their keys; `None` when it holds fragments,
/// directives or a response key twice.
fn fields(set: &Positioned<SelectionSet>) -> Option<Vec<Keyed<'_>>> {
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(set.node.items.len());
    for item in &set.node.items {
        let Selection::Field(field) = &item.node else {
            return None;
        };
        let field = &field.node;
        if !field.directives.is_empty() {
            return None;
        }
        let key = field.alias.as_ref().unwrap_or(&field.name).node.as_str();
        if !seen.insert(key) {
            return None;
        }
        // A name is `[_A-Za-z][_0-9A-Za-z]*`: nothing in it needs escaping.
        out.push((format!("\"{key}\":").into_bytes().into_boxed_slice(), field));
    }
    Some(out)
}

fn selection<F>(
    set: &Positioned<SelectionSet>,
    each: impl Fn(&Field) -> Option<F>,
) -> Option<Vec<Entry<F>>> {
    fields(set)?
        .into_iter()
        .map(|(key, f)| {
            Some(Entry {
                key,
                field: each(f)?,
            })
        })
        .collect()
}

/// A field without arguments or subfields: a scalar.
fn scalar(f: &Field) -> bool {
    f.arguments.is_empty() && f.selection_set.node.items.is_empty()
}

fn connection_field(f: &Field) -> Option<ConnectionField> {
    if !f.arguments.is_empty() {
        return None;
    }
    Some(match f.name.node.as_str() {
        "__typename" if scalar(f) => ConnectionField::Typename,
        "totalCount" if scalar(f) => ConnectionField::TotalCount,
        "pageInfo" => ConnectionField::PageInfo(selection(&f.selection_set, page_info_field)?),
        "nodes" => ConnectionField::Nodes(selection(&f.selection_set, leader_field)?),
        "edges" => ConnectionField::Edges(selection(&f.selection_set, edge_field)?),
        _ => return None,
    })
}

fn page_info_field(f: &Field) -> Option<PageInfoField> {
    if !scalar(f) {
        return None;
    }
    Some(match f.name.node.as_str() {
        "__typename" => PageInfoField::Typename,
        "hasPreviousPage" => PageInfoField::HasPreviousPage,
        "hasNextPage" => PageInfoField::HasNextPage,
        "startCursor" => PageInfoField::StartCursor,
        "endCursor" => PageInfoField::EndCursor,
        _ => return None,
    })
}

fn edge_field(f: &Field) -> Option<EdgeField> {
    if !f.arguments.is_empty() {
        return None;
    }
    Some(match f.name.node.as_str() {
        "__typename" if scalar(f) => EdgeField::Typename,
        "cursor" if scalar(f) => EdgeField::Cursor,
        "node" => EdgeField::Node(selection(&f.selection_set, leader_field)?),
        _ => return None,
    })
}

fn leader_scalar(f: &Field) -> Option<LeaderField> {
    if !scalar(f) {
        return None;
    }
    Some(match f.name.node.as_str() {
        "__typename" => LeaderField::Typename,
        "id" => LeaderField::Id,
        "name" => LeaderField::Name,
        "email" => LeaderField::Email,
        "title" => LeaderField::Title,
        "department" => LeaderField::Department,
        "location" => LeaderField::Location,
        "externalId" => LeaderField::ExternalId,
        "startDate" => LeaderField::StartDate,
        "status" => LeaderField::Status,
        "createdAt" => LeaderField::CreatedAt,
        "updatedAt" => LeaderField::UpdatedAt,
        _ => return None,
    })
}

fn leader_field(f: &Field) -> Option<LeaderField> {
    match f.name.node.as_str() {
        "manager" if f.arguments.is_empty() => Some(LeaderField::Manager(selection(
            &f.selection_set,
            leader_scalar,
        )?)),
        "teams" if f.arguments.is_empty() => {
            Some(LeaderField::Teams(selection(&f.selection_set, team_field)?))
        }
        _ => leader_scalar(f),
    }
}

fn team_field(f: &Field) -> Option<TeamField> {
    if !scalar(f) {
        return None;
    }
    Some(match f.name.node.as_str() {
        "__typename" => TeamField::Typename,
        "id" => TeamField::Id,
        "name" => TeamField::Name,
        "description" => TeamField::Description,
        "createdAt" => TeamField::CreatedAt,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(q: &str) -> Option<Plan> {
        compile(&async_graphql::parser::parse_query(q).unwrap())
    }

    #[test]
    fn the_directory_page_compiles() {
        let p = plan(
            "query D($after: String) { people: leaders(first: 50, after: $after) { nodes { id name \
             manager { id name } teams { id name } } pageInfo { hasNextPage endCursor } } }",
        )
        .unwrap();
        assert_eq!(&*p.root_key, b"\"people\":");
        assert!(p.related.managers.is_some() && p.related.teams);
        assert!(p.runs(None) && p.runs(Some("D")) && !p.runs(Some("E")));
        let p = plan("{ leaders { edges { cursor node { id } } totalCount } }").unwrap();
        assert!(p.related.managers.is_none() && !p.related.teams);
        assert_eq!(p.related.leaders, LeaderColumns::REQUIRED);
    }

    #[test]
    fn a_plan_reads_the_columns_its_fields_show() {
        use entity::leader::Column;
        let p = plan(
            "{ leaders { nodes { id email boss: manager { name title } } \
             edges { node { startDate } } } }",
        )
        .unwrap();
        let leaders = LeaderColumns::REQUIRED
            .with(Column::Email)
            .with(Column::StartDate);
        assert_eq!(p.related.leaders, leaders);
        assert!(!leaders.has(Column::Title) && !leaders.has(Column::ManagerId));
        assert_eq!(
            p.related.managers,
            Some(LeaderColumns::REQUIRED.with(Column::Title))
        );
    }

    #[test]
    fn anything_else_is_left_to_the_general_executor() {
        for q in [
            "{ leaders { nodes { id } } teams { nodes { id } } }",
            "{ leaders { nodes { id @include(if: true) } } }",
            "{ leaders { nodes { ... on Leader { id } } } }",
            "{ leaders { nodes { ...F } } } fragment F on Leader { id }",
            "{ leaders { nodes { id id } } }",
            "{ leaders { nodes { a: id a: name } } }",
            "{ leaders { nodes { manager { manager { id } } } } }",
            "{ leaders { nodes { manager { teams { id } } } } }",
            "{ leaders { nodes { assessments { id } } } }",
            "{ leaders { nodes { directReports { totalCount } } } }",
            "mutation { leaders { nodes { id } } }",
            "query A { leaders { nodes { id } } } query B { leaders { nodes { id } } }",
            "query @x { leaders { nodes { id } } }",
            "{ __typename }",
        ] {
            assert!(plan(q).is_none(), "{q}");
        }
    }
}
