#!/usr/bin/env bash
# Property-based fuzzing of /graphql with schemathesis (pip install schemathesis):
# starts colead on a throwaway SQLite database, signs up an admin, seeds a few leaders,
# and runs every generated query and mutation with the admin's token. Any 5xx fails.
# Usage: tests/schemathesis/run.sh [seconds]   (default 120)
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_BUDGET="${1:-120}"
PORT="${COLEAD_FUZZ_PORT:-18080}"
DIR=$(mktemp -d)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$DIR"' EXIT

cargo build -q
COLEAD_DATABASE_URL="sqlite://$DIR/fuzz.db?mode=rwc" COLEAD_BIND="127.0.0.1:$PORT" \
  COLEAD_RATE_LIMIT=off COLEAD_LOG=warn target/debug/colead serve > "$DIR/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done

gql() {
  curl -fs "http://127.0.0.1:$PORT/graphql" -H 'content-type: application/json' "$@"
}
TOKEN=$(gql -d '{"query":"mutation { signUp(input: { organizationName: \"Fuzz\", name: \"Fuzz Admin\", email: \"fuzz@example.com\", password: \"correct horse battery staple\" }) { token { accessToken } } }"}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["signUp"]["token"]["accessToken"])')
for n in Ada Grace Edsger; do
  gql -H "authorization: Bearer $TOKEN" \
    -d "{\"query\":\"mutation { createLeader(input: { name: \\\"$n\\\" }) { leader { id } } }\"}" >/dev/null
done

schemathesis run "http://127.0.0.1:$PORT/graphql" \
  -H "Authorization: Bearer $TOKEN" \
  --checks not_a_server_error \
  --max-time "$SECONDS_BUDGET" \
  --workers 2
status=$?
if grep -q "panicked" "$DIR/server.log"; then
  echo "the server panicked:" >&2
  grep -A5 panicked "$DIR/server.log" >&2
  exit 1
fi
exit $status
