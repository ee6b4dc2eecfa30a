#!/usr/bin/env python3
"""A stand-in for the Flowgate gateway, for trying the web app in a browser without the Swift
server: plain HTTP on loopback, the app's static files under /app/ with the production
Content-Security-Policy, and the API routes the app calls, answered with data captured from a
real server (Tests/web/fixtures). It keeps workflows in memory, checks the CSRF header on every
state-changing request and replays a run's events a few at a time so live polling shows.

    python3 Tests/web/fixture_server.py [--port 8089] [--signed-out]
"""
import argparse
import copy
import json
import mimetypes
import os
import re
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

HERE = os.path.dirname(os.path.abspath(__file__))
WEB = os.path.normpath(os.path.join(HERE, "..", "..", "web"))
FIX = os.path.join(HERE, "fixtures")
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "worker-src 'self'; frame-src 'self' data:")
CSRF = "fixture-csrf-token"
XSS = "<img src=x onerror=alert(1)>"


def fixture(name):
    with open(os.path.join(FIX, name)) as f:
        return json.load(f)


CATALOG = fixture("node-types.json")
TYPES = {t["name"]: t for t in CATALOG["items"]}
DRY = fixture("dry-run.json")
RUN = fixture("run-failed.json")
EVENTS = fixture("run-failed-events.json")["events"]
CANONICAL = fixture("workflow.json")["definition"]
CANONICAL_TYPE = {n["id"]: n["type"] for n in CANONICAL["nodes"]}


class State:
    def __init__(self):
        self.workflows = {}
        self.runs = {}
        self.signed_in = True
        self.policies = {}
        self.secret_writes = []
        wid = "wf-canonical"
        definition = copy.deepcopy(CANONICAL)
        definition["nodes"][1]["name"] = "Fetch " + XSS
        self.workflows[wid] = {"id": wid, "name": "Canonical " + XSS, "description": "", "versions": [definition],
                               "created": "2026-11-27T13:02:40.894Z"}


def big_workflow(n=500):
    """n nodes in chains of ten (trigger -> set -> noop ...), laid out on a grid, for the canvas benchmark."""
    nodes, edges = [], []
    for i in range(n):
        col, row = i % 10, i // 10
        kind = "trigger.manual" if col == 0 else ("core.set" if col % 2 else "core.noop")
        nodes.append({"id": "n%d" % i, "type": kind, "config": {"fields": {"i": i}} if kind == "core.set" else {},
                      "name": "Node %d" % i, "position": {"x": col * 260, "y": row * 120}})
        if col:
            edges.append({"from": "n%d.out" % (i - 1), "to": "n%d.in" % i})
    return {"nodes": nodes, "edges": edges}


STATE = State()
STATE.workflows["wf-500"] = {"id": "wf-500", "name": "Five hundred nodes", "description": "", "versions": [big_workflow()],
                             "created": "2026-11-27T13:02:40.894Z"}


def validate(definition):
    """What the server's validator says for missing required config (enough for the UI)."""
    errors = []
    for n in definition.get("nodes", []):
        spec = TYPES.get(n.get("type"))
        if spec is None:
            errors.append({"node": n.get("id"), "field": "type", "message": 'unknown node type "%s"' % n.get("type")})
            continue
        schema = spec["config_schema"]
        config = n.get("config") or {}
        for key in schema.get("required", []):
            if key not in config:
                errors.append({"node": n["id"], "field": "config." + key, "message": "is required"})
        for key, value in config.items():
            prop = schema.get("properties", {}).get(key)
            if prop and isinstance(value, (int, float)) and "minimum" in prop and value < prop["minimum"]:
                errors.append({"node": n["id"], "field": "config." + key, "message": "must be at least %s" % prop["minimum"]})
    return errors


def remap(nodes_by_fixture_id, definition):
    """Gives each node of `definition` the fixture result of the first node of the same type."""
    out = {}
    for n in definition["nodes"]:
        for fid, ftype in CANONICAL_TYPE.items():
            if ftype == n["type"] and fid in nodes_by_fixture_id:
                out[n["id"]] = nodes_by_fixture_id[fid]
                break
    return out


def id_map(definition):
    m = {}
    for n in definition["nodes"]:
        for fid, ftype in CANONICAL_TYPE.items():
            if ftype == n["type"] and fid not in m:
                m[fid] = n["id"]
                break
    return m


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        if os.environ.get("FIXTURE_LOG"):
            super().log_message(fmt, *args)

    def send(self, status, body=None, content_type="application/json", headers=None):
        data = b""
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Content-Security-Policy", CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-store")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def problem(self, status, title, detail, **extra):
        body = {"type": "https://flowgate.dev/problems/x", "title": title, "status": status, "detail": detail}
        body.update(extra)
        self.send(status, body, "application/problem+json")

    def body(self):
        raw = self.raw_body
        return json.loads(raw) if raw.strip() else {}

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_PUT(self):
        self.route("PUT")

    def do_DELETE(self):
        self.route("DELETE")

    def static(self, path):
        rel = "index.html" if path == "/" else path[len("/app/"):]
        full = os.path.normpath(os.path.join(WEB, rel))
        if not full.startswith(WEB + os.sep) or not os.path.isfile(full):
            return self.problem(404, "Not found", "no such file")
        ctype = mimetypes.guess_type(full)[0] or "application/octet-stream"
        if full.endswith(".js") or full.endswith(".mjs"):
            ctype = "text/javascript"
        with open(full, "rb") as f:
            self.send(200, f.read(), ctype + ("; charset=utf-8" if ctype.startswith("text/") else ""))

    def route(self, method):
        # Read the whole body first, so a keep-alive connection never sees leftovers.
        n = int(self.headers.get("Content-Length") or 0)
        self.raw_body = self.rfile.read(n) if n else b""
        url = urlparse(self.path)
        path = url.path
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if method == "GET" and (path == "/" or path.startswith("/app/")):
            return self.static(path)
        if path == "/login":
            STATE.signed_in = True
            return self.send(303, b"", "text/plain", {"Location": "/"})
        if not path.startswith("/api/v1/"):
            return self.problem(404, "Not found", "the requested resource was not found")
        if path == "/api/v1/node-types" and method == "GET":
            return self.send(200, CATALOG)
        if not STATE.signed_in:
            return self.problem(401, "Unauthorized", "sign in first")
        if method != "GET" and self.headers.get("X-CSRF-Token") != CSRF:
            return self.problem(403, "Forbidden", "missing or wrong CSRF token")
        if path == "/api/v1/session" and method == "GET":
            return self.send(200, {"tenant": "acme", "principal": {"id": "u1", "name": "Ada " + XSS, "roles": ["owner"]}, "csrf_token": CSRF})
        if path == "/api/v1/session/logout" and method == "POST":
            STATE.signed_in = False
            return self.send(204)
        m = re.match(r"^/api/v1/tenants/([^/]+)/(.*)$", path)
        if not m or m.group(1) != "acme":
            return self.problem(404, "Not found", "tenant was not found")
        return self.tenant_route(method, m.group(2).split("/"), query)

    def workflow_json(self, w, with_definition=True):
        o = {"id": w["id"], "name": w["name"], "description": w["description"], "version": len(w["versions"]),
             "created_at": w["created"], "updated_at": w["created"]}
        if with_definition:
            o["definition"] = w["versions"][-1]
        return o

    def tenant_route(self, method, parts, query):
        if parts == ["workflows"] and method == "GET":
            return self.send(200, {"items": [self.workflow_json(w, False) for w in STATE.workflows.values()], "next": None})
        if parts == ["workflows"] and method == "POST":
            body = self.body()
            errors = validate(body.get("definition", {}))
            if errors:
                return self.problem(422, "Invalid input", "the workflow definition is invalid", errors=errors)
            wid = str(uuid.uuid4())
            STATE.workflows[wid] = {"id": wid, "name": body.get("name", ""), "description": body.get("description", ""),
                                    "versions": [body["definition"]], "created": time.strftime("%Y-%m-%dT%H:%M:%SZ")}
            return self.send(201, self.workflow_json(STATE.workflows[wid]))
        if len(parts) >= 2 and parts[0] == "workflows":
            w = STATE.workflows.get(parts[1])
            if not w:
                return self.problem(404, "Not found", "workflow was not found")
            if len(parts) == 2 and method == "GET":
                return self.send(200, self.workflow_json(w))
            if len(parts) == 2 and method == "PUT":
                body = self.body()
                if body.get("version") not in (None, len(w["versions"])):
                    return self.problem(409, "Conflict", "the workflow has a newer version")
                errors = validate(body.get("definition", {}))
                if errors:
                    return self.problem(422, "Invalid input", "the workflow definition is invalid", errors=errors)
                w["versions"].append(body["definition"])
                if body.get("name"):
                    w["name"] = body["name"]
                return self.send(200, self.workflow_json(w))
            if parts[2:] == ["versions"]:
                return self.send(200, {"items": [{"version": i + 1, "created_at": w["created"], "created_by": "User::\"u1\"", "definition": d}
                                                 for i, d in enumerate(w["versions"])]})
            if parts[2:] == ["test"] and method == "POST":
                body = self.body()
                definition = body.get("definition") or w["versions"][-1]
                errors = validate(definition)
                if errors:
                    return self.problem(422, "Invalid input", "the workflow definition is invalid", errors=errors)
                result = copy.deepcopy(DRY)
                result["nodes"] = remap(DRY["nodes"], definition)
                if body.get("nodes"):
                    result["nodes"] = {k: v for k, v in result["nodes"].items() if k in body["nodes"]}
                for n in result["nodes"].values():
                    for out in (n.get("output"), (n.get("outputs") or {}).get("out")):
                        if isinstance(out, dict) and isinstance(out.get("body"), dict):
                            out["body"]["note"] = XSS
                return self.send(200, result)
            if parts[2:] == ["runs"] and method == "POST":
                rid = str(uuid.uuid4())
                STATE.runs[rid] = {"workflow": w["id"], "definition": w["versions"][-1], "started": time.time()}
                return self.send(201, self.run_json(rid))
            if parts[2:] == ["runs"] and method == "GET":
                return self.send(200, {"items": [{"id": rid, "status": self.run_json(rid)["status"], "workflow_version": 1,
                                                  "created_at": "2026-11-27T13:02:41Z", "updated_at": "2026-11-27T13:02:41Z"}
                                                 for rid, r in STATE.runs.items() if r["workflow"] == w["id"]]})
        if len(parts) >= 2 and parts[0] == "runs":
            if parts[1] not in STATE.runs:
                return self.problem(404, "Not found", "run was not found")
            if len(parts) == 2:
                return self.send(200, self.run_json(parts[1]))
            if parts[2:] == ["events"]:
                return self.send(200, self.events_json(parts[1], int(query.get("after_seq", 0))))
        if parts[:1] == ["dead-letters"] and method == "POST":
            return self.send(200, {"status": "redriven"})
        if parts == ["dead-letters"]:
            return self.send(200, {"items": [{"id": "dl1", "run_id": rid, "workflow_id": STATE.runs[rid]["workflow"], "node_id": "sink",
                                              "item_index": None, "error": "HTTP 501 " + XSS, "attempts": 3, "status": "open",
                                              "created_at": "2026-11-27T13:02:45Z", "redriven_at": None} for rid in STATE.runs], "next": None})
        if parts == ["quotas"]:
            return self.send(200, {"requests_per_second": 50, "principal_requests_per_second": 10, "concurrent_runs": 4, "queued_runs": 1000})
        if parts == ["scim-tokens"] and method == "GET":
            return self.send(200, {"items": [{"id": "s1", "name": "okta " + XSS, "created_at": "2026-11-27T13:02:41Z", "expires_at": None, "revoked_at": None}], "next": None})
        if parts == ["secrets"] and method == "POST":
            body = self.body()
            STATE.secret_writes.append(body)
            return self.send(201, {"id": str(uuid.uuid4()), "name": body.get("name"), "version": 1, "kind": "value"})
        if parts[:1] == ["secrets"] and parts[2:] == ["rotate"] and method == "POST":
            STATE.secret_writes.append(self.body())
            return self.send(200, {"id": parts[1], "version": 2})
        if parts == ["secrets"]:
            return self.send(200, fixture("secrets.json"))
        if parts == ["tokens"] and method == "POST":
            body = self.body()
            return self.send(201, {"id": str(uuid.uuid4()), "name": body.get("name"), "role": body.get("role"), "token": "fgt_" + "0" * 43})
        if parts == ["tokens"]:
            return self.send(200, fixture("tokens.json"))
        if parts == ["audit"]:
            a = fixture("audit.json")
            for e in a["items"]:
                e["detail"]["note"] = XSS
            if query.get("action"):
                a["items"] = [e for e in a["items"] if e.get("action") == query["action"]]
            return self.send(200, a)
        if parts == ["policies"] and method == "GET":
            return self.send(200, {"items": list(STATE.policies.values()),
                                   "defaults": [{"file": "example.cedar", "text": "permit (principal, action, resource); // " + XSS}]})
        if parts[:1] == ["policies"] and method in ("POST", "PUT"):
            body = self.body()
            pid = body.get("id") if method == "POST" else parts[1]
            text = body.get("text", "")
            if "permit" not in text and "forbid" not in text:
                return self.problem(422, "Invalid input", "text: expected permit or forbid",
                                    errors=[{"field": "text", "message": "expected permit or forbid", "line": 1, "column": 1}])
            old = STATE.policies.get(pid)
            STATE.policies[pid] = {"id": pid, "version": (old["version"] + 1) if old else 1, "text": text, "created_by": "User::\"u1\"",
                                   "updated_at": "2026-11-27T13:02:41Z"}
            return self.send(201 if method == "POST" else 200, STATE.policies[pid])
        if parts[:1] == ["policies"] and method == "DELETE":
            STATE.policies.pop(parts[1], None)
            return self.send(204)
        if parts == ["authorize"] and method == "POST":
            body = self.body()
            allowed = body.get("action", "").endswith(".read")
            return self.send(200, {"decision": "allow" if allowed else "deny", "determining": ["role-viewer"] if allowed else [],
                                   "errors": [], "policies": [{"id": "role-viewer " + XSS, "effect": "permit", "outcome": "satisfied" if allowed else "scope_mismatch"}],
                                   "not_applicable": []})
        return self.problem(404, "Not found", "the requested resource was not found")

    def visible_events(self, rid):
        # Four more events each second since the run started.
        r = STATE.runs[rid]
        shown = min(len(EVENTS), 2 + int((time.time() - r["started"]) * 4))
        ids = id_map(r["definition"])
        out = []
        for e in EVENTS[:shown]:
            e = copy.deepcopy(e)
            if e.get("node"):
                e["node"] = ids.get(e["node"], e["node"])
            if isinstance(e.get("data"), dict) and e["data"].get("node"):
                e["data"]["node"] = ids.get(e["data"]["node"], e["data"]["node"])
            out.append(e)
        return out

    def events_json(self, rid, after):
        events = [e for e in self.visible_events(rid) if e["seq"] > after]
        return {"events": events[:5], "next_after_seq": events[4]["seq"] if len(events) > 5 else None}

    def run_json(self, rid):
        events = self.visible_events(rid)
        r = STATE.runs[rid]
        done = len(events) == len(EVENTS)
        body = copy.deepcopy(RUN)
        body["id"] = rid
        body["workflow_id"] = r["workflow"]
        body["status"] = RUN["status"] if done else "running"
        ids = id_map(r["definition"])
        body["nodes"] = {ids.get(k, k): v for k, v in RUN["nodes"].items()} if done else {}
        return body


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=8089)
    p.add_argument("--signed-out", action="store_true")
    args = p.parse_args()
    STATE.signed_in = not args.signed_out
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print("fixture server on http://127.0.0.1:%d" % args.port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
