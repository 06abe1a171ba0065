//! `/Users`: Leaders as SCIM users with the enterprise extension.
//!
//! `userName` is the identity provider's login name, kept in its own column; a leader
//! made elsewhere without one shows its email (else external id, else id) instead.
//! `externalId` is the leader's HRIS key; `employeeNumber` has a column of its own.
//! DELETE deactivates (leaders are never deleted: their reviews reference them).

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use entity::enums::LeaderStatus;
use entity::leader;
use serde_json::{Value, json};
use uuid::Uuid;

use super::error::{ScimError, ScimResult};
use super::filter::{Filter, Op};
use super::{ENTERPRISE_SCHEMA, Query, Scim, USER_SCHEMA, answer, audit_event, authorize, respond};
use crate::domain::people::lookup::{self, LeaderMatch};
use crate::domain::people::{self, LeaderChange, Patch};
use crate::startup::AppState;

mod fields;

use fields::Desired;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/Users", web::get().to(list))
        .route("/Users", web::post().to(create))
        .route("/Users/.search", web::post().to(search))
        .route("/Users/{id}", web::get().to(get))
        .route("/Users/{id}", web::put().to(replace))
        .route("/Users/{id}", web::patch().to(patch))
        .route("/Users/{id}", web::delete().to(delete));
    super::other_methods(cfg, &["/Users", "/Users/.search", "/Users/{id}"]);
}

/// The login name shown for `l`.
fn user_name(l: &leader::Model) -> String {
    l.user_name
        .clone()
        .or_else(|| l.email.clone())
        .or_else(|| l.external_id.clone())
        .unwrap_or_else(|| l.id.to_string())
}

pub fn to_json(scim: &Scim, l: &leader::Model) -> Value {
    let mut enterprise = json!({});
    if let Some(n) = &l.employee_number {
        enterprise["employeeNumber"] = json!(n);
    }
    if let Some(d) = &l.department {
        enterprise["department"] = json!(d);
    }
    if let Some(m) = l.manager_id {
        enterprise["manager"] =
            json!({ "value": m.to_string(), "$ref": scim.location("Users", m) });
    }
    let mut user = json!({
        "schemas": [USER_SCHEMA],
        "id": l.id.to_string(),
        "userName": user_name(l),
        "name": { "formatted": l.name },
        "displayName": l.name,
        "active": l.status == LeaderStatus::Active,
        "meta": {
            "resourceType": "User",
            "created": l.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "lastModified": l.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "location": scim.location("Users", l.id),
        },
    });
    if enterprise.as_object().is_some_and(|e| !e.is_empty()) {
        user["schemas"] = json!([USER_SCHEMA, ENTERPRISE_SCHEMA]);
        user[ENTERPRISE_SCHEMA] = enterprise;
    }
    if let Some(e) = &l.email {
        user["emails"] = json!([{ "value": e, "type": "work", "primary": true }]);
    }
    if let Some(t) = &l.title {
        user["title"] = json!(t);
    }
    if let Some(x) = &l.external_id {
        user["externalId"] = json!(x);
    }
    user
}

fn to_match(f: &Filter) -> ScimResult<LeaderMatch> {
    let unsupported = || {
        ScimError::bad(
            "invalidFilter",
            "Users filter on userName, externalId or emails.value with eq (and/or combined)",
        )
    };
    match f {
        Filter::Compare(path, Op::Eq, Value::String(v)) => {
            let (_, attr) = super::filter::split_urn(path);
            match attr.to_ascii_lowercase().as_str() {
                "username" => Ok(LeaderMatch::UserName(v.clone())),
                "externalid" => Ok(LeaderMatch::ExternalId(v.clone())),
                "emails" | "emails.value" => Ok(LeaderMatch::Email(v.clone())),
                _ => Err(unsupported()),
            }
        }
        Filter::Within(path, inner) if path.eq_ignore_ascii_case("emails") => match &**inner {
            Filter::Compare(p, Op::Eq, Value::String(v)) if p.eq_ignore_ascii_case("value") => {
                Ok(LeaderMatch::Email(v.clone()))
            }
            _ => Err(unsupported()),
        },
        Filter::And(a, b) => Ok(LeaderMatch::And(
            Box::new(to_match(a)?),
            Box::new(to_match(b)?),
        )),
        Filter::Or(a, b) => Ok(LeaderMatch::Or(
            Box::new(to_match(a)?),
            Box::new(to_match(b)?),
        )),
        _ => Err(unsupported()),
    }
}

fn parse_id(id: &str) -> ScimResult<Uuid> {
    id.parse().map_err(|_| ScimError::not_found("user"))
}

async fn list(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    answer(
        async {
            let scim = authorize(&req, &state).await?;
            page(&state, &scim, Query::parse(req.query_string())?).await
        }
        .await,
    )
}

/// `POST /Users/.search`: the list's parameters in a body.
async fn search(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    answer(
        async {
            let scim = authorize(&req, &state).await?;
            let q = Query::from_search(&super::json_body(&req, payload).await?)?;
            page(&state, &scim, q).await
        }
        .await,
    )
}

async fn page(state: &AppState, scim: &Scim, q: Query) -> ScimResult<HttpResponse> {
    let m = match &q.filter {
        Some(f) => Some(to_match(&super::filter::parse(f)?)?),
        None => None,
    };
    let page = lookup::leaders(state, &scim.ctx, m.as_ref(), q.start_index - 1, q.count).await?;
    let items = page.items.iter().map(|l| to_json(scim, l)).collect();
    Ok(q.list_response(page.total, items))
}

async fn load(state: &AppState, scim: &Scim, id: &str) -> ScimResult<leader::Model> {
    people::get(state, &scim.ctx, parse_id(id)?)
        .await?
        .ok_or_else(|| ScimError::not_found("user"))
}

async fn get(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    answer(
        async {
            let scim = authorize(&req, &state).await?;
            let q = Query::parse(req.query_string())?;
            let l = load(&state, &scim, &path).await?;
            Ok(respond(StatusCode::OK, &q.project(to_json(&scim, &l))))
        }
        .await,
    )
}

async fn create(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    answer(
        async {
            let scim = authorize(&req, &state).await?;
            let desired = Desired::parse(&super::json_body(&req, payload).await?, None)?;
            let active = desired.active.unwrap_or(true);
            let mut l = people::create(&state, &scim.ctx, desired.into_change()).await?;
            audit_event(&state, &scim, "createLeader", ("leader", l.id)).await;
            if !active {
                l = people::set_status(&state, &scim.ctx, l.id, LeaderStatus::Inactive).await?;
                audit_event(&state, &scim, "deactivateLeader", ("leader", l.id)).await;
            }
            let location = scim.location("Users", l.id);
            let mut res = respond(StatusCode::CREATED, &to_json(&scim, &l));
            if let Ok(v) = header::HeaderValue::from_str(&location) {
                res.headers_mut().insert(header::LOCATION, v);
            }
            Ok(res)
        }
        .await,
    )
}

/// Saves `desired` over `current`: only what differs is written, through the domain.
async fn save(
    state: &AppState,
    scim: &Scim,
    current: leader::Model,
    desired: Desired,
) -> ScimResult<leader::Model> {
    let active = desired.active;
    let change = desired.diff(&current, &user_name(&current));
    let mut l = current;
    if change_is_empty(&change) {
        // Nothing to write.
    } else {
        l = people::update(state, &scim.ctx, l.id, change).await?;
        audit_event(state, scim, "updateLeader", ("leader", l.id)).await;
    }
    let status = match active {
        Some(true) => LeaderStatus::Active,
        Some(false) => LeaderStatus::Inactive,
        None => l.status,
    };
    if status != l.status {
        l = people::set_status(state, &scim.ctx, l.id, status).await?;
        let action = match status {
            LeaderStatus::Active => "reactivateLeader",
            _ => "deactivateLeader",
        };
        audit_event(state, scim, action, ("leader", l.id)).await;
    }
    Ok(l)
}

fn change_is_empty(c: &LeaderChange) -> bool {
    c.name.is_none()
        && [
            &c.email,
            &c.title,
            &c.department,
            &c.external_id,
            &c.user_name,
            &c.employee_number,
        ]
        .iter()
        .all(|p| **p == Patch::Keep)
        && c.manager_id == Patch::Keep
}

async fn replace(
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    answer(
        async {
            let scim = authorize(&req, &state).await?;
            let current = load(&state, &scim, &path).await?;
            let desired = Desired::parse(&super::json_body(&req, payload).await?, None)?;
            let l = save(&state, &scim, current, desired).await?;
            Ok(respond(StatusCode::OK, &to_json(&scim, &l)))
        }
        .await,
    )
}

async fn patch(
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    answer(
        async {
            let scim = authorize(&req, &state).await?;
            let ops = super::json_body(&req, payload).await?;
            let current = load(&state, &scim, &path).await?;
            let before = to_json(&scim, &current);
            let mut resource = before.clone();
            super::patch::apply(&mut resource, &ops, &[ENTERPRISE_SCHEMA])?;
            let desired = Desired::parse(&resource, Some(&before))?;
            let l = save(&state, &scim, current, desired).await?;
            Ok(respond(StatusCode::OK, &to_json(&scim, &l)))
        }
        .await,
    )
}

async fn delete(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    answer(
        async {
            let scim = authorize(&req, &state).await?;
            let l = load(&state, &scim, &path).await?;
            if l.status != LeaderStatus::Inactive {
                people::set_status(&state, &scim.ctx, l.id, LeaderStatus::Inactive).await?;
                audit_event(&state, &scim, "deactivateLeader", ("leader", l.id)).await;
            }
            Ok(HttpResponse::NoContent().finish())
        }
        .await,
    )
}
