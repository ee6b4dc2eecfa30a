"""SCIM benchmark over HTTP against a live Flowgate: create users, then time filter lookups and
paged lists on a tenant with many users. Prints JSON lines.

Usage: scim_bench.py BASE_URL TOKEN [CREATE_TIMED=10000] [TOTAL=100000] [LOOKUPS=1000]
"""
import json
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from httpx2 import Client

SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def create(client, start, end):
    for i in range(start, end):
        body = {"schemas": [SCHEMA], "userName": f"user{i:06d}@bench.example", "name": {"givenName": f"U{i}"},
                "emails": [{"value": f"user{i:06d}@bench.example", "type": "work", "primary": True}]}
        r = client.post("Users", json=body)
        if r.status_code != 201:
            raise SystemExit(f"create {i}: {r.status_code} {r.text[:200]}")


def main():
    base, token = sys.argv[1].rstrip("/") + "/", sys.argv[2]
    timed = int(sys.argv[3]) if len(sys.argv) > 3 else 10_000
    total = int(sys.argv[4]) if len(sys.argv) > 4 else 100_000
    lookups = int(sys.argv[5]) if len(sys.argv) > 5 else 1000
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
    client = Client(base_url=base, headers=headers, timeout=60)
    start = time.perf_counter()
    create(client, 0, timed)
    elapsed = time.perf_counter() - start
    print(json.dumps({"bench": "scim-create", "users": timed, "seconds": round(elapsed, 2),
                      "users_per_second": round(timed / elapsed, 1), "clients": 1}))
    # Fill up to the total with four clients (not timed as the create benchmark).
    workers = 4
    chunk = (total - timed + workers - 1) // workers
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda k: create(Client(base_url=base, headers=headers, timeout=60), timed + k * chunk,
                                       min(total, timed + (k + 1) * chunk)), range(workers)))
    count = client.get("Users", params={"count": 0}).json()["totalResults"]
    rng = random.Random(7)
    samples = []
    for _ in range(lookups):
        i = rng.randrange(total)
        t0 = time.perf_counter()
        r = client.get("Users", params={"filter": f'userName eq "USER{i:06d}@bench.example"'})
        samples.append((time.perf_counter() - t0) * 1000)
        if r.json().get("totalResults") != 1:
            raise SystemExit(f"lookup {i}: {r.status_code} {r.text[:200]}")
    print(json.dumps({"bench": "scim-filter-userName-eq", "users": count, "requests": lookups,
                      "p50_ms": round(pct(samples, 0.5), 2), "p99_ms": round(pct(samples, 0.99), 2)}))
    samples = []
    for _ in range(200):
        start_index = rng.randrange(1, max(2, count - 100))
        t0 = time.perf_counter()
        r = client.get("Users", params={"startIndex": start_index, "count": 100})
        samples.append((time.perf_counter() - t0) * 1000)
        if len(r.json().get("Resources", [])) != 100:
            raise SystemExit(f"page {start_index}: {r.status_code}")
    print(json.dumps({"bench": "scim-paged-list-100", "users": count, "requests": 200,
                      "p50_ms": round(pct(samples, 0.5), 2), "p99_ms": round(pct(samples, 0.99), 2)}))


if __name__ == "__main__":
    main()
