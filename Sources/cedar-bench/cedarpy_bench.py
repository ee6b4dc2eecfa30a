"""Measures the reference Cedar engine (cedarpy, wrapping the Rust crate) on the requests that
`cedar-bench` wrote, and prints JSON lines shaped like cedar-bench's own.

Usage: cedarpy_bench.py [CASES.json]   (default .build/cedar-bench-cases.json)

Two numbers per workload: `authz_us_*` is the engine's own `authz_duration_micros` metric
(whole microseconds, so small values round to 0 or 1), and `call_us_*` is the wall-clock time of
one `is_authorized` call from Python with pre-parsed policies, entities and schema, which
includes request conversion and the Python/Rust boundary.
"""
import json
import sys
import time

import cedarpy


def percentile(values, p):
    if not values:
        return 0
    values = sorted(values)
    index = max(0, min(len(values) - 1, int(len(values) * p + 0.999999) - 1))
    return values[index]


def line(bench, authz_us, call_ns, extra=None):
    out = {
        "bench": bench,
        "engine": "cedarpy",
        "requests": len(call_ns),
        "authz_us_p50": percentile(authz_us, 0.5),
        "authz_us_p99": percentile(authz_us, 0.99),
        "call_us_p50": percentile(call_ns, 0.5) / 1000,
        "call_us_p99": percentile(call_ns, 0.99) / 1000,
        "decisions_per_sec": int(len(call_ns) / (sum(call_ns) / 1e9)) if call_ns else 0,
    }
    out.update(extra or {})
    print(json.dumps(out, sort_keys=True))


ALLOWS = []


def measure(requests, policies, entities, schema=None, repeats=1):
    authz_us, call_ns = [], []
    ALLOWS.clear()
    for request in requests:
        for _ in range(repeats):
            start = time.perf_counter_ns()
            result = cedarpy.is_authorized(request, policies, entities, schema)
            call_ns.append(time.perf_counter_ns() - start)
            authz_us.append(result.metrics.get("authz_duration_micros", 0))
            ALLOWS.append(result.decision == cedarpy.Decision.Allow)
    return authz_us, call_ns


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else ".build/cedar-bench-cases.json"
    with open(path, encoding="utf-8") as f:
        cases = json.load(f)
    rbac = cases["rbac"]
    policies = cedarpy.PolicySet.from_str(rbac["policies"])
    entities = cedarpy.Entities.from_json_str(json.dumps(rbac["entities"]))
    authz_us, call_ns = measure(rbac["requests"], policies, entities)
    line("rbac", authz_us, call_ns, {"entities": len(rbac["entities"]), "allow_fraction": sum(ALLOWS) / len(ALLOWS)})
    if "defaults" in cases:
        d = cases["defaults"]
        schema = cedarpy.Schema.from_str(d["schema"])
        policies = cedarpy.PolicySet.from_str(d["policies"])
        entities = cedarpy.Entities.from_json_str(json.dumps(d["entities"]), schema)
        authz_us, call_ns = measure(d["requests"], policies, entities, schema)
        line("defaults", authz_us, call_ns, {"entities": len(d["entities"]), "allow_fraction": sum(ALLOWS) / len(ALLOWS)})
    if "corpus" in cases:
        all_authz, all_calls = [], []
        for test in cases["corpus"]:
            schema = cedarpy.Schema.from_str(test["schema"])
            ps = cedarpy.PolicySet.from_str(test["policies"])
            ents = cedarpy.Entities.from_json_str(test["entities"], schema)
            a, c = measure(test["requests"], ps, ents, schema)
            all_authz.extend(a)
            all_calls.extend(c)
        line("corpus", all_authz, all_calls, {"files": len(cases["corpus"])})


if __name__ == "__main__":
    main()
