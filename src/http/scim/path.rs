//! PATCH paths (RFC 7644 §3.5.2): `[urn:]attr[.sub]` or `attr[filter][.sub]`.

use super::error::{ScimError, ScimResult};
use super::filter::{self, Filter, split_urn};

/// A parsed `path`: `[urn:]attr[filter][.sub]`.
pub struct Path {
    pub urn: Option<String>,
    pub attr: String,
    pub filter: Option<Filter>,
    pub sub: Option<String>,
}

fn bad_path(p: &str) -> ScimError {
    ScimError::bad(
        "invalidPath",
        format!("'{p}' is not a path this server understands"),
    )
}

pub fn parse_path(p: &str) -> ScimResult<Path> {
    let (head, filter, tail) = match p.find('[') {
        Some(open) => {
            let close = p
                .rfind(']')
                .filter(|c| *c > open)
                .ok_or_else(|| bad_path(p))?;
            let f = filter::parse(&p[open + 1..close])
                .map_err(|e| ScimError::bad("invalidPath", e.detail))?;
            (&p[..open], Some(f), &p[close + 1..])
        }
        None => (p, None, ""),
    };
    let (urn, attr) = split_urn(head);
    let (attr, mut sub) = match attr.split_once('.') {
        Some((a, s)) => (a, Some(s.to_owned())),
        None => (attr, None),
    };
    if let Some(rest) = tail.strip_prefix('.') {
        sub = Some(rest.to_owned());
    } else if !tail.is_empty() {
        return Err(bad_path(p));
    }
    if attr.is_empty() || (filter.is_some() && sub.as_deref().is_some_and(|s| s.contains('.'))) {
        return Err(bad_path(p));
    }
    Ok(Path {
        urn: urn.map(str::to_owned),
        attr: attr.to_owned(),
        filter,
        sub,
    })
}
