//! Input parsed into domain values at the edge: each check returns a user error with the
//! field path it concerns.

use crate::error::{UserError, UserErrorCode};

/// A syntactically plausible email, lowercased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &[&str], raw: &str) -> Result<Self, UserError> {
        let s = raw.trim().to_lowercase();
        let bad = || {
            UserError::new(
                field,
                UserErrorCode::InvalidFormat,
                format!("'{}' is not a valid email address", raw.trim()),
            )
        };
        if s.is_empty() {
            return Err(UserError::new(
                field,
                UserErrorCode::Required,
                "an email address is required",
            ));
        }
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(bad)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@');
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return Err(bad());
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A required, trimmed text of at most `max` characters.
pub fn required_text(field: &[&str], raw: &str, max: usize) -> Result<String, UserError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(UserError::new(
            field,
            UserErrorCode::Required,
            "must not be blank",
        ));
    }
    if s.chars().count() > max {
        return Err(UserError::new(
            field,
            UserErrorCode::TooLong,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(s.to_owned())
}

/// An optional text: blank becomes `None`.
pub fn optional_text(
    field: &[&str],
    raw: Option<&str>,
    max: usize,
) -> Result<Option<String>, UserError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => required_text(field, s, max).map(Some),
    }
}

/// An organization slug: 2 to 63 of `a-z`, `0-9` and `-`, not starting or ending with `-`.
pub fn slug(field: &[&str], raw: &str) -> Result<String, UserError> {
    let s = raw.trim().to_lowercase();
    let ok = (2..=63).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if ok {
        Ok(s)
    } else {
        Err(UserError::new(
            field,
            UserErrorCode::InvalidFormat,
            "a slug is 2 to 63 lowercase letters, digits and dashes",
        ))
    }
}

/// A slug made from a name ("Acme Corp." → "acme-corp").
pub fn slugify(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    let mut out: String = out.chars().take(50).collect();
    if out.len() < 2 {
        out = format!("org{out}");
    }
    out
}

/// Collects the errors of several checks, so that one response reports them all.
#[derive(Default)]
pub struct Checks(Vec<UserError>);

impl Checks {
    pub fn take<T>(&mut self, r: Result<T, UserError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    pub fn push(&mut self, e: UserError) {
        self.0.push(e);
    }

    /// `Ok` when every check passed.
    pub fn finish(self) -> crate::error::Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(crate::error::Error::Invalid(self.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(
            Email::parse(&[], " Ada@Example.COM ")
                .ok()
                .map(Email::into_string),
            Some("ada@example.com".into())
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@x.io",
            "a b@x.io",
            "ada@localhost",
            "ada@x..io",
        ] {
            assert!(Email::parse(&["email"], bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn slugs_are_made_from_names() {
        assert_eq!(slugify("Acme Corp."), "acme-corp");
        assert_eq!(slugify("!"), "org");
        assert!(slug(&[], "acme-corp").is_ok());
        assert!(slug(&[], "-acme").is_err());
    }
}
