//! `/Groups`: Teams as SCIM groups whose `members` are users (leaders) by id.

use std::collections::HashSet;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use entity::team;
use serde_json::{Value, json};
use uuid::Uuid;

use super::error::{ScimError, ScimResult};
use super::filter::{Filter, Op, get_ci};
use super::{GROUP_SCHEMA, Query, Scim, answer, audit_event, authorize, respond};
use crate::domain::people::Patch;
use crate::domain::people::lookup;
use crate::domain::people::teams::{self, MAX_MEMBERS_PER_CALL};
use crate::startup::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/Groups", web::get().to(list))
        .route("/Groups", web::post().to(create))
        .route("/Groups/.search", web::post().to(search))
        .route("/Groups/{id}", web::get().to(get))
        .route("/Groups/{id}", web::put().to(replace))
        .route("/Groups/{id}", web::patch().to(patch))
        .route("/Groups/{id}", web::delete().to(delete));
    super::other_methods(cfg, &["/Groups", "/Groups/.search", "/Groups/{id}"]);
}

fn to_json(scim: &Scim, t: &team::Model, members: &[Uuid]) -> Value {
    let members: Vec<Value> = members
        .iter()
        .map(|m| json!({ "value": m.to_string(), "$ref": scim.location("Users", m) }))
        .collect();
    json!({
        "schemas": [GROUP_SCHEMA],
        "id": t.id.to_string(),
        "displayName": t.name,
        "members": members,
        "meta": {
            "resourceType": "Group",
            "created": t.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "lastModified": t.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "location": scim.location("Groups", t.id),
        },
    })
}

/// What a request says the group should be.
struct Desired {
    name: String,
    members: Vec<Uuid>,
}

fn invalid(detail: impl Into<String>) -> ScimError {
    ScimError::bad("invalidValue", detail)
}

impl Desired {
    fn parse(group: &Value) -> ScimResult<Self> {
        let name = match get_ci(group, "displayName") {
            Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
            _ => return Err(invalid("displayName is required")),
        };
        let items = match get_ci(group, "members") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items.clone(),
            Some(_) => return Err(invalid("members must be a list")),
        };
        let mut seen = HashSet::new();
        let mut members = Vec::new();
        for m in &items {
            let id = get_ci(m, "value")
                .and_then(Value::as_str)
                .and_then(|v| v.parse::<Uuid>().ok())
                .ok_or_else(|| invalid("each member needs the value of a user's id"))?;
            if seen.insert(id) {
                members.push(id);
            }
        }
        Ok(Self { name, members })
    }
}

fn display_name(f: &Filter) -> ScimResult<&str> {
    match f {
        Filter::Compare(path, Op::Eq, Value::String(v))
            if super::filter::split_urn(path)
                .1
                .eq_ignore_ascii_case("displayName") =>
        {
            Ok(v)
        }
        _ => Err(ScimError::bad(
            "invalidFilter",
            "Groups filter on displayName eq only",
        )),
    }
}

async fn members_of(
    state: &AppState,
    scim: &Scim,
    teams: &[Uuid],
) -> ScimResult<Vec<(Uuid, Uuid)>> {
    Ok(lookup::team_members(state, &scim.ctx, teams).await?)
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

/// `POST /Groups/.search`: the list's parameters in a body.
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
    let filter = q.filter.as_deref().map(super::filter::parse).transpose()?;
    let name = filter.as_ref().map(display_name).transpose()?;
    let page = lookup::teams(state, &scim.ctx, name, q.start_index - 1, q.count).await?;
    let ids: Vec<Uuid> = page.items.iter().map(|t| t.id).collect();
    let links = members_of(state, scim, &ids).await?;
    let items = page
        .items
        .iter()
        .map(|t| {
            let m: Vec<Uuid> = links
                .iter()
                .filter(|(g, _)| *g == t.id)
                .map(|(_, l)| *l)
                .collect();
            to_json(scim, t, &m)
        })
        .collect();
    Ok(q.list_response(page.total, items))
}

async fn load(state: &AppState, scim: &Scim, id: &str) -> ScimResult<(team::Model, Vec<Uuid>)> {
    let id: Uuid = id.parse().map_err(|_| ScimError::not_found("group"))?;
    let t = teams::get(state, &scim.ctx, id)
        .await?
        .ok_or_else(|| ScimError::not_found("group"))?;
    let members = members_of(state, scim, &[id])
        .await?
        .into_iter()
        .map(|(_, l)| l)
        .collect();
    Ok((t, members))
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
            let (t, members) = load(&state, &scim, &path).await?;
            Ok(respond(
                StatusCode::OK,
                &q.project(to_json(&scim, &t, &members)),
            ))
        }
        .await,
    )
}

/// Adds and removes members in batches the domain accepts.
async fn change_members(
    state: &AppState,
    scim: &Scim,
    id: Uuid,
    current: &[Uuid],
    desired: &[Uuid],
) -> ScimResult<()> {
    let (had, wanted): (HashSet<&Uuid>, HashSet<&Uuid>) =
        (current.iter().collect(), desired.iter().collect());
    let add: Vec<Uuid> = desired
        .iter()
        .filter(|m| !had.contains(m))
        .copied()
        .collect();
    let remove: Vec<Uuid> = current
        .iter()
        .filter(|m| !wanted.contains(m))
        .copied()
        .collect();
    for chunk in add.chunks(MAX_MEMBERS_PER_CALL) {
        teams::add_members(state, &scim.ctx, id, chunk).await?;
        audit_event(state, scim, "addTeamMembers", ("team", id)).await;
    }
    for chunk in remove.chunks(MAX_MEMBERS_PER_CALL) {
        teams::remove_members(state, &scim.ctx, id, chunk).await?;
        audit_event(state, scim, "removeTeamMembers", ("team", id)).await;
    }
    Ok(())
}

async fn create(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    answer(
        async {
            let scim = authorize(&req, &state).await?;
            let desired = Desired::parse(&super::json_body(&req, payload).await?)?;
            let t = teams::create(&state, &scim.ctx, &desired.name, None).await?;
            if let Err(e) = change_members(&state, &scim, t.id, &[], &desired.members).await {
                // Unknown members refuse the whole group.
                teams::delete(&state, &scim.ctx, t.id).await?;
                return Err(e);
            }
            audit_event(&state, &scim, "createTeam", ("team", t.id)).await;
            let mut res = respond(StatusCode::CREATED, &to_json(&scim, &t, &desired.members));
            if let Ok(v) = header::HeaderValue::from_str(&scim.location("Groups", t.id)) {
                res.headers_mut().insert(header::LOCATION, v);
            }
            Ok(res)
        }
        .await,
    )
}

async fn save(
    state: &AppState,
    scim: &Scim,
    t: team::Model,
    current: &[Uuid],
    desired: Desired,
) -> ScimResult<HttpResponse> {
    let t = if desired.name != t.name {
        let t = teams::update(state, &scim.ctx, t.id, Some(&desired.name), Patch::Keep).await?;
        audit_event(state, scim, "updateTeam", ("team", t.id)).await;
        t
    } else {
        t
    };
    change_members(state, scim, t.id, current, &desired.members).await?;
    let (t, members) = load(state, scim, &t.id.to_string()).await?;
    Ok(respond(StatusCode::OK, &to_json(scim, &t, &members)))
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
            let (t, current) = load(&state, &scim, &path).await?;
            let desired = Desired::parse(&super::json_body(&req, payload).await?)?;
            save(&state, &scim, t, &current, desired).await
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
            let (t, current) = load(&state, &scim, &path).await?;
            let mut resource = to_json(&scim, &t, &current);
            super::patch::apply(&mut resource, &ops, &[])?;
            let desired = Desired::parse(&resource)?;
            save(&state, &scim, t, &current, desired).await
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
            let (t, _) = load(&state, &scim, &path).await?;
            teams::delete(&state, &scim.ctx, t.id).await?;
            audit_event(&state, &scim, "deleteTeam", ("team", t.id)).await;
            Ok(HttpResponse::NoContent().finish())
        }
        .await,
    )
}
