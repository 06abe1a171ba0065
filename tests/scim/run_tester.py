"""Runs scim2-tester against a colead server's /scim/v2 and prints every check.

Usage: python run_tester.py <base-url> <bearer-token>
  e.g. python run_tester.py http://127.0.0.1:8080/scim/v2 "$TOKEN"
Needs: pip install scim2-tester httpx2
Exit status: 0 when no check failed or errored.
"""

import sys
from collections import Counter

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server


def main() -> int:
    base, token = sys.argv[1], sys.argv[2]
    http = Client(base_url=base, headers={"Authorization": f"Bearer {token}"})
    client = SyncSCIMClient(http)
    results = check_server(client)
    counts = Counter()
    for r in results:
        counts[r.status.name] += 1
        where = f"[{r.resource_type}] " if r.resource_type else ""
        line = f"{r.status.name:<8} {where}{r.title}"
        if r.status not in (Status.SUCCESS,) and r.reason:
            line += f"\n         -> {r.reason}"
        print(line)
    print(dict(counts))
    bad = counts.get("ERROR", 0) + counts.get("CRITICAL", 0)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
