"""Runs scim2-tester's check_server against a live Flowgate SCIM endpoint.

Usage: scim_check.py BASE_URL TOKEN   (BASE_URL like http://127.0.0.1:8080/scim/v2/acme)
Prints every check as one line and a summary; exits 1 if any check did not pass.
"""
import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

PASSING = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE, Status.SKIPPED}


def main():
    base_url, token = sys.argv[1], sys.argv[2]
    http = Client(base_url=base_url.rstrip("/") + "/", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    client = SyncSCIMClient(http)
    client.discover()
    results = check_server(client)
    failed = 0
    counts = {}
    for r in results:
        counts[r.status.name] = counts.get(r.status.name, 0) + 1
        ok = r.status in PASSING
        failed += 0 if ok else 1
        print(f"{'PASS' if ok else 'FAIL'} {r.status.name:<10} {r.resource_type or '-':<8} {r.title}" + ("" if ok else f" :: {r.reason}"))
    print(f"scim2-tester: {len(results)} checks, {len(results) - failed} passed, {failed} failed; by status {counts}")
    sys.exit(1 if failed or not results else 0)


if __name__ == "__main__":
    main()
