#!/bin/sh
# Prints an INTEGRATION access token for a fresh organization on a running colead:
# signUp -> createApiKey -> POST /oauth/token. Usage: ./get_token.sh [http://127.0.0.1:8080]
set -eu
BASE=${1:-http://127.0.0.1:8080}
SUFFIX=$(date +%s)
gql() {
  curl -sf "$BASE/graphql" -H 'content-type: application/json' -H 'accept: application/json' "$@"
}
ADMIN=$(gql -d "{\"query\":\"mutation { signUp(input: { organizationName: \\\"SCIM check $SUFFIX\\\", name: \\\"Ada\\\", email: \\\"ada$SUFFIX@scim.test\\\", password: \\\"correct horse battery staple\\\" }) { token { accessToken } } }\"}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["signUp"]["token"]["accessToken"])')
KEY=$(gql -H "authorization: Bearer $ADMIN" -d '{"query":"mutation { createApiKey(input: { name: \"scim2-tester\" }) { clientId clientSecret } }"}')
ID=$(echo "$KEY" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["createApiKey"]["clientId"])')
SECRET=$(echo "$KEY" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["createApiKey"]["clientSecret"])')
curl -sf "$BASE/oauth/token" -d grant_type=client_credentials -d "client_id=$ID" --data-urlencode "client_secret=$SECRET" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
