//! Discovery (RFC 7644 §4): `ServiceProviderConfig`, `ResourceTypes` and `Schemas`,
//! describing exactly the attributes and features this server supports.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use super::error::ScimError;
use super::{
    ENTERPRISE_SCHEMA, GROUP_SCHEMA, MAX_RESULTS, Query, Scim, USER_SCHEMA, answer, authorize,
    respond,
};
use crate::startup::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/ServiceProviderConfig",
        web::get().to(service_provider_config),
    )
    .route("/ResourceTypes", web::get().to(resource_types))
    .route("/ResourceTypes/{id}", web::get().to(resource_type))
    .route("/Schemas", web::get().to(schemas))
    .route("/Schemas/{id}", web::get().to(schema));
    super::other_methods(
        cfg,
        &[
            "/ServiceProviderConfig",
            "/ResourceTypes",
            "/ResourceTypes/{id}",
            "/Schemas",
            "/Schemas/{id}",
        ],
    );
}

/// One attribute's definition; `sub` are the sub-attributes of a complex one.
fn attr(
    name: &str,
    kind: &str,
    multi: bool,
    required: bool,
    mutability: &str,
    sub: Vec<Value>,
) -> Value {
    let mut a = json!({
        "name": name,
        "type": kind,
        "multiValued": multi,
        "description": name,
        "required": required,
        "caseExact": false,
        "mutability": mutability,
        "returned": "default",
        "uniqueness": "none",
    });
    if !sub.is_empty() {
        a["subAttributes"] = json!(sub);
    }
    a
}

fn text(name: &str) -> Value {
    attr(name, "string", false, false, "readWrite", vec![])
}

/// A reference to a resource (the server derives it from the value; what a client
/// sends is not kept).
fn reference(types: &[&str]) -> Value {
    let mut r = attr("$ref", "reference", false, false, "readWrite", vec![]);
    r["referenceTypes"] = json!(types);
    r
}

fn schema_json(scim: &Scim, id: &str, name: &str, attributes: Vec<Value>) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": id,
        "name": name,
        "description": name,
        "attributes": attributes,
        "meta": { "resourceType": "Schema", "location": scim.location("Schemas", id) },
    })
}

fn user_attributes() -> Vec<Value> {
    let mut user_name = attr("userName", "string", false, true, "readWrite", vec![]);
    user_name["uniqueness"] = json!("server");
    let mut external_id = text("externalId");
    external_id["caseExact"] = json!(true);
    let emails = vec![
        text("value"),
        // One work email is kept: its type is always "work".
        attr("type", "string", false, false, "readOnly", vec![]),
        attr("primary", "boolean", false, false, "readWrite", vec![]),
    ];
    let name = vec![text("formatted")];
    vec![
        user_name,
        attr("name", "complex", false, false, "readWrite", name),
        text("displayName"),
        text("title"),
        attr("active", "boolean", false, false, "readWrite", vec![]),
        attr("emails", "complex", true, false, "readWrite", emails),
        external_id,
    ]
}

fn enterprise_attributes() -> Vec<Value> {
    let manager = vec![text("value"), reference(&["User"])];
    vec![
        text("employeeNumber"),
        text("department"),
        attr("manager", "complex", false, false, "readWrite", manager),
    ]
}

fn group_attributes() -> Vec<Value> {
    let mut display_name = text("displayName");
    display_name["required"] = json!(true);
    let mut value = attr("value", "string", false, true, "immutable", vec![]);
    value["caseExact"] = json!(true);
    let members = vec![value, reference(&["User"])];
    vec![
        display_name,
        attr("members", "complex", true, false, "readWrite", members),
    ]
}

fn all_schemas(scim: &Scim) -> Vec<Value> {
    vec![
        schema_json(scim, USER_SCHEMA, "User", user_attributes()),
        schema_json(
            scim,
            ENTERPRISE_SCHEMA,
            "EnterpriseUser",
            enterprise_attributes(),
        ),
        schema_json(scim, GROUP_SCHEMA, "Group", group_attributes()),
    ]
}

fn all_resource_types(scim: &Scim) -> Vec<Value> {
    let kind = |name: &str, endpoint: &str, schema: &str, extensions: Value| {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": name,
            "name": name,
            "description": format!("{name}s"),
            "endpoint": endpoint,
            "schema": schema,
            "schemaExtensions": extensions,
            "meta": { "resourceType": "ResourceType", "location": scim.location("ResourceTypes", name) },
        })
    };
    vec![
        kind(
            "User",
            "/Users",
            USER_SCHEMA,
            json!([{ "schema": ENTERPRISE_SCHEMA, "required": false }]),
        ),
        kind("Group", "/Groups", GROUP_SCHEMA, json!([])),
    ]
}

async fn service_provider_config(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    answer(
        async {
            let scim = authorize(&req, &state).await?;
            Ok(respond(
                StatusCode::OK,
                &json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
                    "patch": { "supported": true },
                    "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
                    "filter": { "supported": true, "maxResults": MAX_RESULTS },
                    "changePassword": { "supported": false },
                    "sort": { "supported": false },
                    "etag": { "supported": false },
                    "authenticationSchemes": [{
                        "type": "oauthbearertoken",
                        "name": "OAuth Bearer Token",
                        "description": "A JWT from POST /oauth/token (client credentials of an API key)",
                        "primary": true,
                    }],
                    "meta": {
                        "resourceType": "ServiceProviderConfig",
                        "location": format!("{}/ServiceProviderConfig", scim.base),
                    },
                }),
            ))
        }
        .await,
    )
}

fn one_of(items: Vec<Value>, id: &str, what: &str) -> Result<HttpResponse, ScimError> {
    items
        .into_iter()
        .find(|i| i["id"].as_str().is_some_and(|i| i.eq_ignore_ascii_case(id)))
        .map(|i| respond(StatusCode::OK, &i))
        .ok_or_else(|| ScimError::not_found(what))
}

fn listed(req: &HttpRequest, items: Vec<Value>) -> Result<HttpResponse, ScimError> {
    let q = Query::parse(req.query_string())?;
    if q.filter.is_some() {
        return Err(ScimError::new(
            StatusCode::FORBIDDEN,
            None,
            "discovery endpoints are not filtered",
        ));
    }
    Ok(q.list_response(items.len() as u64, items))
}

async fn resource_types(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    answer(async { listed(&req, all_resource_types(&authorize(&req, &state).await?)) }.await)
}

async fn resource_type(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    answer(
        async {
            one_of(
                all_resource_types(&authorize(&req, &state).await?),
                &path,
                "resource type",
            )
        }
        .await,
    )
}

async fn schemas(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    answer(async { listed(&req, all_schemas(&authorize(&req, &state).await?)) }.await)
}

async fn schema(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    answer(
        async {
            one_of(
                all_schemas(&authorize(&req, &state).await?),
                &path,
                "schema",
            )
        }
        .await,
    )
}
