"""Differential-test oracle: replays generated Cedar cases through the reference engine.

Usage: cedar_oracle.py CASES.json
Reads {"scenarios": [{"policies", "entities", "requests": [{"request", "ours"}]}], "schema",
"validations": [{"policy", "valid"}]} written by DifferentialTests.swift, authorizes every request
and validates every policy with cedarpy (the Rust engine), and prints one JSON object:
{"compared": N, "disagreements": [...], "validated": M, "validationDisagreements": [...]}.
"""
import json
import re
import sys

import cedarpy

POLICY_ID = re.compile(r"policy `([^`]*)`")


def reference(results):
    out = []
    for r in results:
        decision = {"Allow": "allow", "Deny": "deny"}.get(r.decision.name, "nodecision")
        errors = sorted({m.group(1) for e in r.diagnostics.errors for m in [POLICY_ID.search(str(e))] if m})
        out.append({"decision": decision, "reason": sorted(r.diagnostics.reasons), "errors": errors})
    return out


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)
    compared = 0
    disagreements = []
    for index, scenario in enumerate(cases["scenarios"]):
        requests = [item["request"] for item in scenario["requests"]]
        results = reference(cedarpy.is_authorized_batch(requests, scenario["policies"], scenario["entities"]))
        for item, theirs in zip(scenario["requests"], results):
            compared += 1
            ours = item["ours"]
            if ours.get("parseError"):
                agree = theirs["decision"] == "nodecision"
            else:
                agree = (
                    ours["decision"] == theirs["decision"]
                    and sorted(ours["reason"]) == theirs["reason"]
                    and sorted(ours["errors"]) == theirs["errors"]
                )
            if not agree and len(disagreements) < 20:
                disagreements.append({"scenario": index, "policies": scenario["policies"], "request": item["request"], "ours": ours, "reference": theirs})
    validated = 0
    validation_disagreements = []
    schema = cases.get("schema")
    if schema is not None:
        handle = cedarpy.Schema.from_str(schema)
        for item in cases.get("validations", []):
            validated += 1
            theirs = cedarpy.validate_policies(item["policy"], handle).validation_passed
            if theirs != item["valid"] and len(validation_disagreements) < 20:
                validation_disagreements.append({"policy": item["policy"], "ours": item["valid"], "reference": theirs})
    print(json.dumps({
        "compared": compared,
        "disagreements": disagreements,
        "validated": validated,
        "validationDisagreements": validation_disagreements,
    }))


if __name__ == "__main__":
    main()
