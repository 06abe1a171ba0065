//! PATCH (RFC 7644 §3.5.2): the operations are applied to the resource's SCIM JSON; the
//! caller then saves the result as it would a PUT, through the same domain functions.

use serde_json::{Map, Value};

use super::error::{ScimError, ScimResult};
use super::filter::{self, Filter};
use super::path::{Path, parse_path};

pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// Most operations in one request.
const MAX_OPERATIONS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Add,
    Replace,
    Remove,
}

/// The key of `obj` equal to `name` ignoring case, or `name` itself.
fn key_of(obj: &Map<String, Value>, name: &str) -> String {
    obj.keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| name.to_owned())
}

fn object_at<'a>(obj: &'a mut Map<String, Value>, name: &str) -> &'a mut Map<String, Value> {
    let key = key_of(obj, name);
    let slot = obj.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    match slot {
        Value::Object(m) => m,
        _ => unreachable!("just made an object"),
    }
}

/// Sets `value` at `name`: `add` appends to arrays and merges objects; `replace` merges
/// objects and replaces anything else.
fn put(obj: &mut Map<String, Value>, name: &str, value: Value, kind: Kind) {
    let key = key_of(obj, name);
    match (obj.get_mut(&key), value) {
        (Some(Value::Array(items)), Value::Array(new)) if kind == Kind::Add => {
            for v in new {
                if !items.contains(&v) {
                    items.push(v);
                }
            }
        }
        (Some(Value::Object(current)), Value::Object(new)) => {
            for (k, v) in new {
                put(current, &k, v, kind);
            }
        }
        (_, value) => {
            obj.insert(key, value);
        }
    }
}

fn remove(obj: &mut Map<String, Value>, name: &str) {
    let key = key_of(obj, name);
    obj.remove(&key);
}

/// Elements named by a value filter: `members[value eq "…"]`, `emails[type eq "work"]`.
fn apply_filtered(
    target: &mut Map<String, Value>,
    path: &Path,
    f: &Filter,
    kind: Kind,
    value: Option<Value>,
) -> ScimResult<()> {
    let key = key_of(target, &path.attr);
    let items = match target.get_mut(&key) {
        Some(Value::Array(items)) => items,
        _ if kind == Kind::Remove => return Ok(()),
        _ => {
            target.insert(key.clone(), Value::Array(Vec::new()));
            match target.get_mut(&key) {
                Some(Value::Array(items)) => items,
                _ => return Err(ScimError::bad("noTarget", "no such attribute")),
            }
        }
    };
    if kind == Kind::Remove && path.sub.is_none() {
        items.retain(|i| !filter::matches(f, i));
        return Ok(());
    }
    let mut hit = false;
    for item in items.iter_mut().filter(|i| filter::matches(f, i)) {
        hit = true;
        let Value::Object(el) = item else { continue };
        match (&path.sub, kind, value.clone()) {
            (Some(sub), Kind::Remove, _) => remove(el, sub),
            (Some(sub), _, Some(v)) => put(el, sub, v, Kind::Replace),
            (None, _, Some(Value::Object(m))) => {
                for (k, v) in m {
                    put(el, &k, v, Kind::Replace);
                }
            }
            _ => {}
        }
    }
    if hit || kind == Kind::Remove {
        return Ok(());
    }
    // Nothing matched `emails[type eq "work"].value`: create that element.
    match (f, &path.sub, value) {
        (Filter::Compare(attr, filter::Op::Eq, key), Some(sub), Some(v)) => {
            let mut el = Map::new();
            el.insert(attr.clone(), key.clone());
            el.insert(sub.clone(), v);
            items.push(Value::Object(el));
            Ok(())
        }
        _ => Err(ScimError::bad("noTarget", "the filter matches no value")),
    }
}

fn apply_path(
    resource: &mut Map<String, Value>,
    p: &str,
    kind: Kind,
    value: Option<Value>,
) -> ScimResult<()> {
    let path = parse_path(p)?;
    let target = match &path.urn {
        Some(urn) => object_at(resource, urn),
        None => resource,
    };
    if let Some(f) = &path.filter {
        return apply_filtered(target, &path, f, kind, value);
    }
    match (kind, &path.sub, value) {
        (Kind::Remove, None, Some(Value::Array(gone))) => {
            // `remove members` with the members listed (as some clients send it).
            let key = key_of(target, &path.attr);
            if let Some(Value::Array(items)) = target.get_mut(&key) {
                let ids: Vec<&Value> = gone
                    .iter()
                    .filter_map(|g| filter::get_ci(g, "value"))
                    .collect();
                items.retain(|i| filter::get_ci(i, "value").is_none_or(|v| !ids.contains(&v)));
            }
        }
        (Kind::Remove, None, _) => remove(target, &path.attr),
        (Kind::Remove, Some(sub), _) => {
            let key = key_of(target, &path.attr);
            match target.get_mut(&key) {
                Some(Value::Object(o)) => remove(o, sub),
                Some(Value::Array(items)) => items
                    .iter_mut()
                    .filter_map(Value::as_object_mut)
                    .for_each(|o| remove(o, sub)),
                _ => {}
            }
        }
        (_, _, None) => {
            return Err(ScimError::bad(
                "invalidSyntax",
                format!("'{p}' needs a value"),
            ));
        }
        (_, None, Some(v)) => put(target, &path.attr, v, kind),
        (_, Some(sub), Some(v)) => {
            let key = key_of(target, &path.attr);
            match target.get_mut(&key) {
                Some(Value::Array(items)) if !items.is_empty() => items
                    .iter_mut()
                    .filter_map(Value::as_object_mut)
                    .for_each(|o| put(o, sub, v.clone(), Kind::Replace)),
                Some(Value::Array(items)) => {
                    let mut el = Map::new();
                    el.insert(sub.clone(), v);
                    items.push(Value::Object(el));
                }
                _ => put(object_at(target, &path.attr), sub, v, Kind::Replace),
            }
        }
    }
    Ok(())
}

/// `add`/`replace` without a path: each member of the value object is a path of its own;
/// an extension's URN holds an object of its attributes.
fn apply_value(
    resource: &mut Map<String, Value>,
    kind: Kind,
    value: Value,
    extensions: &[&str],
) -> ScimResult<()> {
    let Value::Object(members) = value else {
        return Err(ScimError::bad(
            "invalidValue",
            "an operation without a path needs an object value",
        ));
    };
    for (k, v) in members {
        match extensions.iter().find(|e| e.eq_ignore_ascii_case(&k)) {
            Some(urn) => {
                let Value::Object(attrs) = v else {
                    return Err(ScimError::bad(
                        "invalidValue",
                        format!("{urn} must be an object"),
                    ));
                };
                for (a, v) in attrs {
                    apply_path(resource, &format!("{urn}:{a}"), kind, Some(v))?;
                }
            }
            None => apply_path(resource, &k, kind, Some(v))?,
        }
    }
    Ok(())
}

/// Applies a PatchOp request `body` to `resource`.
pub fn apply(resource: &mut Value, body: &Value, extensions: &[&str]) -> ScimResult<()> {
    let schemas = filter::get_ci(body, "schemas").and_then(Value::as_array);
    if !schemas.is_some_and(|s| s.iter().any(|s| s.as_str() == Some(PATCH_SCHEMA))) {
        return Err(ScimError::bad(
            "invalidSyntax",
            format!("schemas must contain {PATCH_SCHEMA}"),
        ));
    }
    let Some(ops) = filter::get_ci(body, "Operations").and_then(Value::as_array) else {
        return Err(ScimError::bad("invalidSyntax", "Operations must be a list"));
    };
    if ops.len() > MAX_OPERATIONS {
        return Err(ScimError::bad(
            "tooMany",
            format!("at most {MAX_OPERATIONS} operations"),
        ));
    }
    let Value::Object(resource) = resource else {
        return Err(ScimError::bad("invalidSyntax", "not a resource"));
    };
    for op in ops {
        let kind = match filter::get_ci(op, "op")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("add") => Kind::Add,
            Some("replace") => Kind::Replace,
            Some("remove") => Kind::Remove,
            _ => {
                return Err(ScimError::bad(
                    "invalidSyntax",
                    "op must be add, replace or remove",
                ));
            }
        };
        let value = filter::get_ci(op, "value").cloned();
        let path = filter::get_ci(op, "path").and_then(Value::as_str);
        let extension = path.and_then(|p| extensions.iter().find(|e| e.eq_ignore_ascii_case(p)));
        match (path, extension) {
            // The path names a whole extension: its attributes are the value's members.
            (Some(_), Some(urn)) if kind == Kind::Remove => remove(resource, urn),
            (Some(_), Some(urn)) => {
                let mut wrapped = Map::new();
                wrapped.insert((*urn).to_owned(), value.unwrap_or(Value::Null));
                apply_value(resource, kind, Value::Object(wrapped), extensions)?;
            }
            (Some(p), None) => apply_path(resource, p, kind, value)?,
            (None, _) if kind == Kind::Remove => {
                return Err(ScimError::bad("noTarget", "remove needs a path"));
            }
            (None, _) => apply_value(resource, kind, value.unwrap_or(Value::Null), extensions)?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const EXT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    fn patch(resource: Value, ops: Value) -> Value {
        let mut r = resource;
        apply(
            &mut r,
            &json!({ "schemas": [PATCH_SCHEMA], "Operations": ops }),
            &[EXT],
        )
        .unwrap();
        r
    }

    #[test]
    fn paths_reach_sub_attributes_extensions_and_filtered_elements() {
        let r = patch(
            json!({ "name": { "formatted": "A" }, "emails": [{ "type": "work", "value": "a@x.test" }] }),
            json!([
                { "op": "replace", "path": "name.formatted", "value": "B" },
                { "op": "replace", "path": "emails[type eq \"work\"].value", "value": "b@x.test" },
                { "op": "add", "path": format!("{EXT}:department"), "value": "Ops" },
                { "op": "replace", "value": { "active": false, "title": "Lead" } },
            ]),
        );
        assert_eq!(r["name"]["formatted"], "B");
        assert_eq!(r["emails"][0]["value"], "b@x.test");
        assert_eq!(r[EXT]["department"], "Ops");
        assert_eq!(r["active"], false);
        assert_eq!(r["title"], "Lead");
    }

    #[test]
    fn members_are_added_and_removed_by_value() {
        let r = patch(
            json!({ "members": [{ "value": "a" }] }),
            json!([
                { "op": "add", "path": "members", "value": [{ "value": "b" }, { "value": "c" }] },
                { "op": "remove", "path": "members[value eq \"a\"]" },
                { "op": "remove", "path": "members", "value": [{ "value": "c" }] },
            ]),
        );
        assert_eq!(r["members"], json!([{ "value": "b" }]));
    }
}
