//! Reading a GraphQL request off the wire: `Accept` negotiation, the content type, the
//! size-limited body, GET query strings and JSON (batched) bodies, and the refusals
//! answered before any execution.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, web};
use async_graphql::{Value, Variables};
use futures_util::StreamExt;

use super::{BATCH_LIMIT, BODY_LIMIT};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json; charset=utf-8";
const APPLICATION_JSON: &str = "application/json; charset=utf-8";

/// The media type a response is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    GraphQlResponseJson,
    Json,
}

impl MediaType {
    pub(super) fn content_type(self) -> &'static str {
        match self {
            MediaType::GraphQlResponseJson => GRAPHQL_RESPONSE_JSON,
            MediaType::Json => APPLICATION_JSON,
        }
    }
}

/// Picks the response media type from `Accept`: the highest-quality acceptable range, the
/// GraphQL response type winning ties; a missing header means `application/json`.
pub fn negotiate(accept: Option<&str>) -> Option<MediaType> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Some(MediaType::Json);
    };
    let mut best: Option<(f32, MediaType)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let mime = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let media = match mime.as_str() {
            "application/graphql-response+json" => MediaType::GraphQlResponseJson,
            "application/json" | "application/*" | "*/*" => MediaType::Json,
            _ => continue,
        };
        if q <= 0.0 {
            continue;
        }
        let better = match best {
            None => true,
            Some((bq, bm)) => q > bq || (q == bq && bm == MediaType::Json && media != bm),
        };
        if better {
            best = Some((q, media));
        }
    }
    best.map(|(_, m)| m)
}

/// A refusal before any GraphQL execution: status and one error message.
pub(super) struct Refusal {
    pub(super) status: StatusCode,
    pub(super) message: String,
    pub(super) code: &'static str,
}

pub(super) fn refuse(
    status: StatusCode,
    code: &'static str,
    message: impl Into<String>,
) -> Refusal {
    Refusal {
        status,
        message: message.into(),
        code,
    }
}

/// One operation as it arrives on the wire, strictly typed so that a non-string `query`
/// or non-object `variables` is refused as a bad request.
#[derive(serde::Deserialize)]
struct WireRequest {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<serde_json::Map<String, serde_json::Value>>,
    extensions: Option<serde_json::Map<String, serde_json::Value>>,
}

impl WireRequest {
    fn into_request(self) -> Result<async_graphql::Request, Refusal> {
        // A persisted query may stand in for the text; it is filled in before parsing.
        let persisted = self
            .extensions
            .as_ref()
            .is_some_and(|e| e.contains_key("persistedQuery"));
        let query = match self.query {
            Some(q) => q,
            None if persisted => String::new(),
            None => {
                return Err(refuse(
                    StatusCode::BAD_REQUEST,
                    "BAD_USER_INPUT",
                    "the request has no `query`",
                ));
            }
        };
        let mut request = async_graphql::Request::new(query);
        request.operation_name = self.operation_name;
        if let Some(vars) = self.variables {
            request.variables = Variables::from_json(serde_json::Value::Object(vars));
        }
        if let Some(ext) = self.extensions {
            for (k, v) in ext {
                if let Ok(v) = Value::from_json(v) {
                    request.extensions.insert(k, v);
                }
            }
        }
        Ok(request)
    }
}

pub(super) fn parse_body(bytes: &[u8]) -> Result<(Vec<async_graphql::Request>, bool), Refusal> {
    let bad = |e: serde_json::Error| {
        refuse(
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            format!("the body is not a valid GraphQL request: {e}"),
        )
    };
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(bad)?;
    match value {
        serde_json::Value::Array(items) => {
            if items.is_empty() || items.len() > BATCH_LIMIT {
                return Err(refuse(
                    StatusCode::BAD_REQUEST,
                    "QUERY_TOO_COMPLEX",
                    format!("a batch holds 1 to {BATCH_LIMIT} operations"),
                ));
            }
            let requests = items
                .into_iter()
                .map(|item| {
                    serde_json::from_value::<WireRequest>(item)
                        .map_err(bad)
                        .and_then(WireRequest::into_request)
                })
                .collect::<Result<_, _>>()?;
            Ok((requests, true))
        }
        other => {
            let wire: WireRequest = serde_json::from_value(other).map_err(bad)?;
            Ok((vec![wire.into_request()?], false))
        }
    }
}

pub(super) fn parse_get(query_string: &str) -> Result<async_graphql::Request, Refusal> {
    let bad = |m: String| refuse(StatusCode::BAD_REQUEST, "BAD_USER_INPUT", m);
    let mut wire = WireRequest {
        query: None,
        operation_name: None,
        variables: None,
        extensions: None,
    };
    let object = |name: &str, v: &str| match serde_json::from_str(v) {
        Ok(serde_json::Value::Object(map)) => Ok(Some(map)),
        Ok(serde_json::Value::Null) => Ok(None),
        _ => Err(bad(format!("`{name}` must be a JSON object"))),
    };
    for (key, value) in url::form_urlencoded::parse(query_string.as_bytes()) {
        match key.as_ref() {
            "query" => wire.query = Some(value.into_owned()),
            "operationName" => wire.operation_name = Some(value.into_owned()),
            "variables" => wire.variables = object("variables", &value)?,
            "extensions" => wire.extensions = object("extensions", &value)?,
            _ => {}
        }
    }
    wire.into_request()
}

pub(super) async fn read_body(mut payload: web::Payload) -> Result<web::BytesMut, Refusal> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            refuse(
                StatusCode::BAD_REQUEST,
                "BAD_USER_INPUT",
                format!("could not read the body: {e}"),
            )
        })?;
        if body.len() + chunk.len() > BODY_LIMIT {
            return Err(refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                "BAD_USER_INPUT",
                format!("the body is larger than {BODY_LIMIT} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

pub(super) fn check_content_type(req: &HttpRequest) -> Result<(), Refusal> {
    let unsupported = |m: &str| {
        refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "BAD_USER_INPUT",
            format!("{m}; send `Content-Type: application/json`"),
        )
    };
    let Some(ct) = req.headers().get(header::CONTENT_TYPE) else {
        return Err(unsupported("the request has no content type"));
    };
    let ct = ct.to_str().unwrap_or("").to_ascii_lowercase();
    let mut parts = ct.split(';').map(str::trim);
    if parts.next() != Some("application/json") {
        return Err(unsupported("unsupported content type"));
    }
    for param in parts {
        if let Some(charset) = param.strip_prefix("charset=")
            && !charset.trim_matches('"').eq_ignore_ascii_case("utf-8")
        {
            return Err(unsupported("only UTF-8 bodies are accepted"));
        }
    }
    Ok(())
}
