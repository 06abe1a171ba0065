//! SCIM filter expressions (RFC 7644 §3.4.2.2): parsed into a tree, evaluated against
//! JSON (for PATCH paths such as `emails[type eq "work"]`) or turned into domain lookups.

use serde_json::Value;

use super::error::{ScimError, ScimResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Lt,
    Ge,
    Le,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Compare(String, Op, Value),
    Present(String),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `emails[type eq "work"]`: some element of a multi-valued attribute matches.
    Within(String, Box<Filter>),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    OpenBracket,
    CloseBracket,
    Word(String),
    Text(String),
}

fn invalid(detail: impl Into<String>) -> ScimError {
    ScimError::bad("invalidFilter", detail)
}

fn tokenize(s: &str) -> ScimResult<Vec<Token>> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' | ')' | '[' | ']' => {
                out.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    '[' => Token::OpenBracket,
                    _ => Token::CloseBracket,
                });
                i += 1;
            }
            '"' => {
                let start = i;
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    i += if chars[i] == '\\' { 2 } else { 1 };
                }
                if i >= chars.len() {
                    return Err(invalid("an unterminated string"));
                }
                i += 1;
                let quoted: String = chars[start..i].iter().collect();
                let text: String = serde_json::from_str(&quoted)
                    .map_err(|_| invalid(format!("a malformed string {quoted}")))?;
                out.push(Token::Text(text));
            }
            _ => {
                let start = i;
                while i < chars.len() && !chars[i].is_whitespace() && !"()[]\"".contains(chars[i]) {
                    i += 1;
                }
                out.push(Token::Word(chars[start..i].iter().collect()));
            }
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek_word(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.at), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn expect(&mut self, t: Token) -> ScimResult<()> {
        match self.next() {
            Some(got) if got == t => Ok(()),
            _ => Err(invalid(format!("expected {t:?}"))),
        }
    }

    fn or(&mut self) -> ScimResult<Filter> {
        let mut left = self.and()?;
        while self.peek_word("or") {
            self.at += 1;
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> ScimResult<Filter> {
        let mut left = self.not()?;
        while self.peek_word("and") {
            self.at += 1;
            left = Filter::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> ScimResult<Filter> {
        if self.peek_word("not") {
            self.at += 1;
            self.expect(Token::Open)?;
            let inner = self.or()?;
            self.expect(Token::Close)?;
            return Ok(Filter::Not(Box::new(inner)));
        }
        self.atom()
    }

    fn atom(&mut self) -> ScimResult<Filter> {
        let path = match self.next() {
            Some(Token::Open) => {
                let inner = self.or()?;
                self.expect(Token::Close)?;
                return Ok(inner);
            }
            Some(Token::Word(w)) => w,
            _ => return Err(invalid("expected an attribute name")),
        };
        if self.tokens.get(self.at) == Some(&Token::OpenBracket) {
            self.at += 1;
            let inner = self.or()?;
            self.expect(Token::CloseBracket)?;
            return Ok(Filter::Within(path, Box::new(inner)));
        }
        let op = match self.next() {
            Some(Token::Word(w)) => w.to_ascii_lowercase(),
            _ => return Err(invalid(format!("expected an operator after {path}"))),
        };
        let op = match op.as_str() {
            "pr" => return Ok(Filter::Present(path)),
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "co" => Op::Co,
            "sw" => Op::Sw,
            "ew" => Op::Ew,
            "gt" => Op::Gt,
            "lt" => Op::Lt,
            "ge" => Op::Ge,
            "le" => Op::Le,
            other => return Err(invalid(format!("unknown operator '{other}'"))),
        };
        let value = match self.next() {
            Some(Token::Text(t)) => Value::String(t),
            Some(Token::Word(w)) => serde_json::from_str(&w.to_ascii_lowercase())
                .map_err(|_| invalid(format!("'{w}' is not a value")))?,
            _ => return Err(invalid(format!("expected a value after {path}"))),
        };
        Ok(Filter::Compare(path, op, value))
    }
}

/// Parses a whole filter expression.
pub fn parse(s: &str) -> ScimResult<Filter> {
    let mut p = Parser {
        tokens: tokenize(s)?,
        at: 0,
    };
    let f = p.or()?;
    if p.at != p.tokens.len() {
        return Err(invalid("unexpected text after the filter"));
    }
    Ok(f)
}

/// The member of `obj` named `name`, ignoring case (SCIM attribute names are).
pub fn get_ci<'a>(obj: &'a Value, name: &str) -> Option<&'a Value> {
    obj.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// Splits `urn:…:User:manager.value` into the schema and the attribute path. The core
/// schemas' URNs are dropped (their attributes are top-level); others name an extension.
pub fn split_urn(path: &str) -> (Option<&str>, &str) {
    if !path
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
    {
        return (None, path);
    }
    let (urn, attr) = path.rsplit_once(':').unwrap_or((path, ""));
    let core = [super::USER_SCHEMA, super::GROUP_SCHEMA];
    if core.iter().any(|c| c.eq_ignore_ascii_case(urn)) {
        (None, attr)
    } else {
        (Some(urn), attr)
    }
}

fn lookup<'a>(obj: &'a Value, path: &str) -> Option<&'a Value> {
    let (urn, attr) = split_urn(path);
    let base = match urn {
        Some(urn) => get_ci(obj, urn)?,
        None => obj,
    };
    attr.split('.').try_fold(base, |v, part| get_ci(v, part))
}

fn compare(actual: &Value, op: Op, expected: &Value) -> bool {
    if let Value::Array(items) = actual {
        return items.iter().any(|i| compare(i, op, expected));
    }
    match (actual, expected) {
        (Value::String(a), Value::String(e)) => {
            let (a, e) = (a.to_lowercase(), e.to_lowercase());
            match op {
                Op::Eq => a == e,
                Op::Ne => a != e,
                Op::Co => a.contains(&e),
                Op::Sw => a.starts_with(&e),
                Op::Ew => a.ends_with(&e),
                Op::Gt => a > e,
                Op::Lt => a < e,
                Op::Ge => a >= e,
                Op::Le => a <= e,
            }
        }
        (a, e) => match op {
            Op::Eq => a == e,
            Op::Ne => a != e,
            _ => false,
        },
    }
}

/// Whether `obj` (a resource or an element of a multi-valued attribute) matches `f`.
pub fn matches(f: &Filter, obj: &Value) -> bool {
    match f {
        Filter::Compare(path, op, expected) => match lookup(obj, path) {
            Some(actual) => compare(actual, *op, expected),
            None => *op == Op::Ne,
        },
        Filter::Present(path) => lookup(obj, path).is_some_and(|v| {
            !(v.is_null() || v.as_array().is_some_and(Vec::is_empty) || v.as_str() == Some(""))
        }),
        Filter::And(a, b) => matches(a, obj) && matches(b, obj),
        Filter::Or(a, b) => matches(a, obj) || matches(b, obj),
        Filter::Not(a) => !matches(a, obj),
        Filter::Within(path, inner) => match lookup(obj, path) {
            Some(Value::Array(items)) => items.iter().any(|i| matches(inner, i)),
            Some(v) => matches(inner, v),
            None => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn and_binds_tighter_than_or_and_values_keep_their_type() {
        let f = parse(r#"userName eq "a" or externalId eq "b" and active eq true"#).unwrap();
        let Filter::Or(_, right) = f else {
            panic!("not an or: {f:?}")
        };
        assert!(matches!(*right, Filter::And(_, _)));
    }

    #[test]
    fn element_filters_match_inside_arrays() {
        let f = parse(r#"emails[type eq "work" and value ew "@x.test"]"#).unwrap();
        let user = json!({ "emails": [{ "type": "work", "value": "A@X.test" }] });
        assert!(matches(&f, &user));
        assert!(!matches(&f, &json!({ "emails": [] })));
    }

    #[test]
    fn broken_filters_are_refused() {
        for bad in [
            r#"userName eq"#,
            r#"userName xx "a""#,
            r#"(userName eq "a""#,
            r#"userName eq "a" junk"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
