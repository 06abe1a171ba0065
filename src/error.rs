//! The domain error, the user-error shape that mutations return as data, and the mapping
//! of both to GraphQL error codes.

use async_graphql::ErrorExtensions;

/// Codes of business-rule refusals returned in a payload's `userErrors`.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserErrorCode {
    /// A required value is missing or blank.
    Required,
    /// A value has the wrong format (an email, an id, a slug).
    InvalidFormat,
    /// A value is too short.
    TooShort,
    /// A value is too long.
    TooLong,
    /// A number is outside the allowed range.
    OutOfRange,
    /// A value that must be unique is already taken.
    Taken,
    /// A referenced object does not exist (or is not visible).
    NotFound,
    /// The object's state does not allow this change.
    InvalidState,
    /// The change would break a rule, such as a manager loop.
    Invalid,
    /// Credentials or a token were refused.
    InvalidCredentials,
    /// The principal may not make this change.
    Forbidden,
    /// Too many items in one request.
    LimitExceeded,
}

/// One refusal of a mutation's input, with the path of the input field it concerns.
#[derive(async_graphql::SimpleObject, Debug, Clone, PartialEq, Eq)]
pub struct UserError {
    /// The path of the input field concerned, e.g. `["input", "email"]`; null when the
    /// error concerns the input as a whole.
    pub field: Option<Vec<String>>,
    /// What is wrong, for people.
    pub message: String,
    /// What is wrong, for programs.
    pub code: UserErrorCode,
}

impl UserError {
    pub fn new(field: &[&str], code: UserErrorCode, message: impl Into<String>) -> Self {
        Self {
            field: (!field.is_empty()).then(|| {
                std::iter::once("input")
                    .chain(field.iter().copied())
                    .map(str::to_owned)
                    .collect()
            }),
            message: message.into(),
            code,
        }
    }
}

/// What a domain function can fail with.
///
/// It deliberately does not implement `Display`: async-graphql converts anything that
/// does into an error without a code, so a stray `?` would bypass the mapping below.
#[derive(Debug)]
pub enum Error {
    /// No principal; the reason when a presented token was refused.
    Unauthenticated(Option<&'static str>),
    Forbidden,
    NotFound(&'static str),
    BadUserInput(String),
    /// Business-rule refusals: returned as `userErrors` data by mutations.
    Invalid(Vec<UserError>),
    /// Too many attempts: try again after this long.
    RateLimited(std::time::Duration),
    /// The work took longer than the service allows, and was cancelled.
    Timeout,
    Unexpected {
        context: String,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn invalid(field: &[&str], code: UserErrorCode, message: impl Into<String>) -> Self {
        Self::Invalid(vec![UserError::new(field, code, message)])
    }

    /// The message a client may see.
    pub fn message(&self) -> String {
        match self {
            Error::Unauthenticated(reason) => {
                reason.unwrap_or("authentication required").to_owned()
            }
            Error::Forbidden => "not allowed".to_owned(),
            Error::NotFound(what) => format!("{what} not found"),
            Error::BadUserInput(m) => m.clone(),
            Error::Invalid(errors) => errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            Error::RateLimited(wait) => format!(
                "too many attempts; try again in {} s",
                retry_after_secs(*wait)
            ),
            Error::Timeout => "the request took too long and was cancelled".to_owned(),
            Error::Unexpected { .. } => "internal error".to_owned(),
        }
    }

    /// The whole story, for the log.
    pub fn report(&self) -> String {
        match self {
            Error::Unexpected { context, source } => format!("{context}: {}", chain(&**source)),
            other => other.message(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Error::Unauthenticated(_) => "UNAUTHENTICATED",
            Error::Forbidden => "FORBIDDEN",
            Error::NotFound(_) => "NOT_FOUND",
            Error::BadUserInput(_) | Error::Invalid(_) => "BAD_USER_INPUT",
            Error::RateLimited(_) => "RATE_LIMITED",
            Error::Timeout => "TIMEOUT",
            Error::Unexpected { .. } => "INTERNAL",
        }
    }
}

/// Whole seconds to wait, rounded up and at least one (for `Retry-After`).
pub fn retry_after_secs(wait: std::time::Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// True when PostgreSQL cancelled a statement (the statement timeout, SQLSTATE 57014).
fn is_statement_timeout(source: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(source);
    while let Some(e) = cur {
        if let Some(sea_orm::DbErr::Query(sea_orm::RuntimeErr::SqlxError(sqlx)))
        | Some(sea_orm::DbErr::Exec(sea_orm::RuntimeErr::SqlxError(sqlx))) =
            e.downcast_ref::<sea_orm::DbErr>()
            && sqlx
                .as_database_error()
                .and_then(|d| d.code())
                .is_some_and(|c| c == "57014")
        {
            return true;
        }
        cur = e.source();
    }
    false
}

/// Adds context to any error, turning it into [`Error::Unexpected`].
pub trait Context<T> {
    fn context(self, context: impl Into<String>) -> Result<T>;
    fn with_context(self, context: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: std::error::Error + Send + Sync + 'static> Context<T> for std::result::Result<T, E> {
    fn context(self, context: impl Into<String>) -> Result<T> {
        self.map_err(|e| Error::Unexpected {
            context: context.into(),
            source: Box::new(e),
        })
    }
    fn with_context(self, context: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| Error::Unexpected {
            context: context(),
            source: Box::new(e),
        })
    }
}

/// A unique-constraint violation (a lost race against a concurrent insert) becomes the
/// TAKEN user error that the caller's own check would have given; anything else is
/// unexpected.
pub fn taken_or_unexpected(
    e: sea_orm::DbErr,
    field: &[&str],
    message: impl Into<String>,
    context: impl Into<String>,
) -> Error {
    if matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    ) {
        Error::invalid(field, UserErrorCode::Taken, message)
    } else {
        Error::Unexpected {
            context: context.into(),
            source: Box::new(e),
        }
    }
}

/// The full chain of causes, for the log.
pub fn chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut cur = err.source();
    while let Some(e) = cur {
        out.push_str(": ");
        out.push_str(&e.to_string());
        cur = e.source();
    }
    out
}

impl From<Error> for async_graphql::Error {
    fn from(err: Error) -> Self {
        let err = match err {
            Error::Unexpected { source, .. } if is_statement_timeout(&*source) => Error::Timeout,
            other => other,
        };
        let code = err.code();
        if let Error::Unexpected { .. } = &err {
            tracing::error!(error = %err.report(), "unexpected error");
        }
        let retry = match &err {
            Error::RateLimited(wait) => Some(retry_after_secs(*wait)),
            _ => None,
        };
        // The HTTP layer replaces an internal error's message with one naming the request id.
        async_graphql::Error::new(err.message()).extend_with(|_, e| {
            e.set("code", code);
            if let Some(secs) = retry {
                e.set("retryAfter", secs);
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_cause_from_clients() {
        let io = std::io::Error::other("password=hunter2 in connection string");
        let err: Result<()> = Err(io).context("connecting");
        let gql: async_graphql::Error = err
            .err()
            .map(Into::into)
            .unwrap_or_else(|| async_graphql::Error::new("no error"));
        assert_eq!(gql.message, "internal error");
        let code = gql.extensions.as_ref().and_then(|e| e.get("code")).cloned();
        assert_eq!(code, Some(async_graphql::Value::from("INTERNAL")));
    }
}
