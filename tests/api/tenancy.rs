//! A second organization's token gets nothing of the first, through any door.

use serde_json::{Value, json};

use crate::helpers::spawn_app;

#[tokio::test]
async fn another_organization_sees_nothing_of_accounts() {
    let app = spawn_app().await;
    let a = app.sign_up("Alpha", "ada@alpha.test").await;
    let b = app.sign_up("Beta", "bea@beta.test").await;
    let (_, a_member) = app.add_member(&a.token, "mo@alpha.test", "MEMBER").await;
    let key = app
        .ok(
            Some(&a.token),
            "mutation { createApiKey(input: { name: \"feed\" }) { apiKey { id } } }",
            json!({}),
        )
        .await;
    let a_key = key["createApiKey"]["apiKey"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let a_ids = [
        a.org_id.clone(),
        a.user_id.clone(),
        a_member.clone(),
        a_key.clone(),
    ];

    // node and nodes: null for every object of Alpha.
    for id in &a_ids {
        let data = app
            .ok(
                Some(&b.token),
                "query($id: ID!) { node(id: $id) { id } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(data["node"], Value::Null, "{id}");
    }
    let data = app
        .ok(
            Some(&b.token),
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({ "ids": a_ids }),
        )
        .await;
    assert_eq!(data["nodes"], json!([null, null, null, null]));

    // Lists: Beta's connections hold only Beta.
    let data = app.ok(Some(&b.token), "{ organization { id members { totalCount nodes { user { email } } } apiKeys { totalCount } } }", json!({})).await;
    assert_eq!(data["organization"]["id"], b.org_id.as_str());
    assert_eq!(data["organization"]["members"]["totalCount"], 1);
    assert_eq!(
        data["organization"]["members"]["nodes"][0]["user"]["email"],
        "bea@beta.test"
    );
    assert_eq!(data["organization"]["apiKeys"]["totalCount"], 0);

    // Mutations on Alpha's ids: not found, and nothing changes.
    let (_, body) = app.gql(Some(&b.token), "mutation($m: ID!) { updateMembership(input: { membershipId: $m, role: ADMIN }) { membership { role } } }", json!({ "m": a_member })).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
    let (_, body) = app.gql(Some(&b.token), "mutation($m: ID!) { removeMember(input: { membershipId: $m }) { removedMembershipId } }", json!({ "m": a_member })).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
    let (_, body) = app
        .gql(
            Some(&b.token),
            "mutation($k: ID!) { revokeApiKey(input: { apiKeyId: $k }) { apiKey { id } } }",
            json!({ "k": a_key }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
    let (_, body) = app.gql(Some(&b.token), "mutation($o: ID!) { switchOrganization(input: { organizationId: $o }) { token { accessToken } userErrors { code } } }", json!({ "o": a.org_id })).await;
    assert_eq!(
        body["data"]["switchOrganization"]["userErrors"][0]["code"],
        "NOT_FOUND"
    );

    let data = app
        .ok(
            Some(&a.token),
            "query($id: ID!) { node(id: $id) { ... on Membership { role status } } }",
            json!({ "id": a_member }),
        )
        .await;
    assert_eq!(
        data["node"],
        json!({ "role": "MEMBER", "status": "ACTIVE" })
    );
    let data = app
        .ok(
            Some(&a.token),
            "query($id: ID!) { node(id: $id) { ... on ApiKey { revokedAt } } }",
            json!({ "id": a_key }),
        )
        .await;
    assert_eq!(data["node"]["revokedAt"], Value::Null);
}
