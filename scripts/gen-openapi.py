#!/usr/bin/env python3
"""Writes Sources/Gateway/Resources/openapi.json, the OpenAPI 3.1 description of Flowgate's API.

The document is committed; GatewayTests checks that it lists exactly the routes the server
registers, and `make test` runs schemathesis against the live server with it. Edit this file,
run it, and commit both.
"""
import json
import pathlib

def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}

def obj(props, required=(), additional=None):
    """An object schema. Responses stay open (more fields may be added); requests pass additional=False."""
    o = {"type": "object", "properties": props}
    if required:
        o["required"] = list(required)
    if additional is not None:
        o["additionalProperties"] = additional
    return o

STR = {"type": "string"}
ID = {"type": "string", "minLength": 1}
TIME = {"type": "string", "format": "date-time"}
NTIME = {"type": ["string", "null"], "format": "date-time"}
NSTR = {"type": ["string", "null"]}
ROLE = {"type": "string", "enum": ["owner", "admin", "editor", "operator", "viewer", "auditor"]}
NAME = {"type": "string", "minLength": 1, "maxLength": 200}

def page(item):
    return obj({"items": {"type": "array", "items": ref(item)}, "next": NSTR}, ["items", "next"])

schemas = {
    "Problem": obj({
        "type": STR, "title": STR, "status": {"type": "integer"}, "detail": STR, "instance": STR, "request_id": STR,
        "errors": {"type": "array", "items": {"type": "object"}}, "line": {"type": "integer"}, "column": {"type": "integer"},
    }, ["type", "title", "status", "detail"], additional=True),
    "Tenant": obj({"id": ID, "slug": STR, "name": STR, "created_at": TIME}, ["id", "slug", "name", "created_at"]),
    "TenantCreate": obj({"slug": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$"}, "name": NAME}, ["slug", "name"], additional=False),
    "TenantPatch": obj({"name": NAME}, ["name"], additional=False),
    "User": obj({"id": ID, "user_name": STR, "display_name": NSTR, "email": NSTR, "active": {"type": "boolean"},
                 "created_at": TIME, "updated_at": TIME},
                ["id", "user_name", "display_name", "email", "active", "created_at", "updated_at"]),
    "UserCreate": obj({"user_name": NAME, "display_name": NSTR, "email": NSTR}, ["user_name"], additional=False),
    "UserPatch": obj({"display_name": NSTR, "email": NSTR, "active": {"type": "boolean"}}, additional=False),
    "Group": obj({"id": ID, "name": STR, "members": {"type": "array", "items": STR}, "created_at": TIME, "updated_at": TIME},
                 ["id", "name", "members", "created_at", "updated_at"]),
    "GroupCreate": obj({"name": NAME, "members": {"type": "array", "items": STR}}, ["name"], additional=False),
    "GroupPatch": obj({"name": NAME, "members": {"type": "array", "items": STR}}, additional=False),
    "RoleBinding": obj({"id": ID, "subject_type": {"type": "string", "enum": ["user", "group"]}, "subject_id": STR,
                        "role": ROLE, "created_at": TIME}, ["id", "subject_type", "subject_id", "role", "created_at"]),
    "RoleBindingCreate": obj({"subject_type": {"type": "string", "enum": ["user", "group"]}, "subject_id": STR, "role": ROLE},
                             ["subject_type", "subject_id", "role"], additional=False),
    "Token": obj({"id": ID, "name": STR, "role": ROLE, "user_id": NSTR, "created_at": TIME, "expires_at": NTIME,
                  "revoked_at": NTIME}, ["id", "name", "role", "user_id", "created_at", "expires_at", "revoked_at"]),
    "TokenCreated": {"allOf": [ref("Token"), obj({"token": {"type": "string", "description": "Shown once; only its hash is stored."}},
                                                 ["token"])]},
    "TokenCreate": obj({"name": NAME, "role": ROLE, "expires_at": TIME, "user_id": STR}, ["name", "role"], additional=False),
    "Node": obj({"id": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_-]{0,63}$"}, "type": STR,
                 "config": {"type": "object"}, "name": STR, "position": {}, "notes": STR, "disabled": {"type": "boolean"},
                 "retry": {"type": "object", "description": "max_attempts, initial_backoff_ms, max_backoff_ms, multiplier, jitter, retry_on (retryable|any)"},
                 "timeout_ms": {"type": "integer", "minimum": 1}, "concurrency": {"type": "integer", "minimum": 1}}, ["id", "type"], additional=False),
    "Edge": obj({"from": {"type": "string", "description": "node.port (port defaults to out)"},
                 "to": {"type": "string", "description": "node.port (port defaults to in)"}, "id": STR}, ["from", "to"], additional=False),
    "WorkflowDefinition": obj({"nodes": {"type": "array", "items": ref("Node")}, "edges": {"type": "array", "items": ref("Edge")}},
                              ["nodes"], additional=False),
    "Workflow": obj({"id": ID, "name": STR, "description": STR, "version": {"type": "integer", "minimum": 1},
                     "created_at": TIME, "updated_at": TIME, "definition": ref("WorkflowDefinition")},
                    ["id", "name", "description", "version", "created_at", "updated_at"]),
    "WorkflowCreate": obj({"name": NAME, "description": STR, "definition": ref("WorkflowDefinition")}, ["name", "definition"], additional=False),
    "WorkflowReplace": obj({"name": NAME, "description": STR, "definition": ref("WorkflowDefinition"),
                            "version": {"type": "integer", "description": "Expected current version (optimistic concurrency)"}},
                           ["definition"], additional=False),
    "WorkflowVersion": obj({"version": {"type": "integer"}, "created_at": TIME, "created_by": STR, "definition": {}},
                           ["version", "created_at", "created_by", "definition"]),
    "RunCreate": obj({"input": {}}, additional=False),
    "NodeRun": obj({"status": {"type": "string", "enum": ["pending", "running", "succeeded", "failed", "skipped"]},
                    "attempts": {"type": "integer"}, "output": {}, "outputs": {"type": "object"}, "error": STR, "input": {}},
                   ["status", "attempts", "output", "outputs"]),
    "Run": obj({"id": ID, "workflow_id": ID, "workflow_version": {"type": "integer"},
                "status": {"type": "string", "enum": ["queued", "running", "succeeded", "failed"]},
                "trace_id": STR, "created_by": STR, "created_at": TIME, "updated_at": TIME, "input": {}, "error": NSTR,
                "nodes": {"type": "object", "additionalProperties": ref("NodeRun")}},
               ["id", "workflow_id", "workflow_version", "status", "trace_id", "created_at", "updated_at", "nodes"]),
    "RunSummary": obj({"id": ID, "status": STR, "workflow_version": {"type": "integer"}, "created_at": TIME, "updated_at": TIME},
                      ["id", "status", "workflow_version", "created_at", "updated_at"]),
    "RunEvent": obj({"seq": {"type": "integer"}, "type": STR, "node": NSTR, "at": TIME, "data": {"type": "object"}},
                    ["seq", "type", "node", "at", "data"]),
    "AuditEntry": obj({"seq": {"type": "integer"}, "at": TIME, "principal": STR, "action": STR, "resource": STR,
                       "decision": STR, "reasons": {"type": "array", "items": STR}, "outcome": STR, "status": {"type": "integer"},
                       "request_id": STR, "source_ip": STR, "detail": {"type": "object"}, "prev_hash": STR, "hash": STR},
                      ["seq", "at", "principal", "action", "resource", "decision", "reasons", "outcome", "status",
                       "request_id", "source_ip", "detail", "prev_hash", "hash"]),
    "Port": obj({"name": STR, "schema": {}, "description": STR}, ["name", "schema", "description"]),
    "Quotas": obj({"tenant_requests_per_second": {"type": "integer", "minimum": 1, "maximum": 1000000},
                   "tenant_burst": {"type": "integer", "minimum": 1, "maximum": 10000000},
                   "principal_requests_per_second": {"type": "integer", "minimum": 1, "maximum": 1000000},
                   "principal_burst": {"type": "integer", "minimum": 1, "maximum": 10000000},
                   "max_concurrent_runs": {"type": "integer", "minimum": 1, "maximum": 10000},
                   "max_queued_runs": {"type": "integer", "minimum": 0, "maximum": 1000000}}),
    "QuotasUpdate": obj({"tenant_requests_per_second": {"type": "integer", "minimum": 1, "maximum": 1000000},
                   "tenant_burst": {"type": "integer", "minimum": 1, "maximum": 10000000},
                   "principal_requests_per_second": {"type": "integer", "minimum": 1, "maximum": 1000000},
                   "principal_burst": {"type": "integer", "minimum": 1, "maximum": 10000000},
                   "max_concurrent_runs": {"type": "integer", "minimum": 1, "maximum": 10000},
                   "max_queued_runs": {"type": "integer", "minimum": 0, "maximum": 1000000}}, additional=False),
    "TenantPolicy": obj({"id": STR, "version": {"type": "integer"}, "text": STR, "created_by": STR, "updated_at": TIME,
                         "versions": {"type": "array", "items": {"type": "object"}}},
                        ["id", "version", "text", "created_by", "updated_at"]),
    "TenantPolicyCreate": obj({"id": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,128}$"}, "text": {"type": "string", "minLength": 1}},
                              ["id", "text"], additional=False),
    "TenantPolicyUpdate": obj({"text": {"type": "string", "minLength": 1}}, ["text"], additional=False),
    "EntityRef": obj({"type": STR, "id": STR}, ["type", "id"]),
    "SimulateRequest": obj({"principal": ref("EntityRef"), "action": STR, "resource": ref("EntityRef"), "context": {"type": "object"}},
                           ["principal", "action", "resource"], additional=False),
    "SimulateResult": obj({"decision": {"type": "string", "enum": ["allow", "deny"]}, "determining": {"type": "array", "items": STR},
                           "errors": {"type": "array", "items": STR}, "not_applicable": {"type": "array", "items": STR},
                           "policies": {"type": "array", "items": obj({"id": STR, "effect": STR, "outcome": STR}, ["id", "effect", "outcome"])}},
                          ["decision", "determining", "errors", "policies", "not_applicable"]),
    "VaultRef": obj({"path": {"type": "string", "minLength": 1}, "field": {"type": "string", "minLength": 1},
                     "version": {"type": ["integer", "null"], "minimum": 1}}, ["path", "field"], additional=False),
    "Secret": obj({"id": ID, "name": STR, "kind": {"type": "string", "enum": ["value", "vault"]}, "version": {"type": "integer"},
                   "workflow_ids": {"type": ["array", "null"], "items": STR}, "rotation_interval_seconds": {"type": ["integer", "null"]},
                   "generated": {"type": "boolean"}, "last_rotated_at": TIME, "created_at": TIME, "updated_at": TIME,
                   "versions": {"type": "array", "items": {"type": "object"}}},
                  ["id", "name", "kind", "version", "workflow_ids", "rotation_interval_seconds", "generated", "created_at", "updated_at"]),
    "SecretCreate": obj({"name": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$"},
                         "value": {"type": "string", "minLength": 4, "writeOnly": True}, "vault": ref("VaultRef"),
                         "generate": {"type": "boolean"}, "workflow_ids": {"type": ["array", "null"], "items": STR},
                         "rotation_interval_seconds": {"type": ["integer", "null"], "minimum": 60}}, ["name"], additional=False),
    "SecretUpdate": obj({"value": {"type": "string", "minLength": 4, "writeOnly": True}, "vault": ref("VaultRef"),
                         "workflow_ids": {"type": ["array", "null"], "items": STR},
                         "rotation_interval_seconds": {"type": ["integer", "null"], "minimum": 60}}, additional=False),
    "SecretRotate": obj({"value": {"type": "string", "minLength": 4, "writeOnly": True},
                         "overlap_seconds": {"type": "integer", "minimum": 0, "maximum": 2592000}}, additional=False),
    "DeadLetter": obj({"id": ID, "run_id": ID, "workflow_id": ID, "node_id": STR, "item_index": {"type": ["integer", "null"]},
                       "error": STR, "attempts": {"type": "integer"}, "status": {"type": "string", "enum": ["open", "redriven"]},
                       "created_at": TIME, "redriven_at": NTIME},
                      ["id", "run_id", "workflow_id", "node_id", "item_index", "error", "attempts", "status", "created_at", "redriven_at"]),
    "TestRunRequest": obj({"definition": ref("WorkflowDefinition"), "input": {},
                           "nodes": {"type": "array", "items": STR, "minItems": 1, "maxItems": 1000,
                                     "description": "Run only these nodes (a subgraph); its entry nodes get input"}}, additional=False),
    "TestRun": obj({"dry_run": {"type": "boolean"}, "workflow_id": ID, "status": STR, "trace_id": STR, "input": {}, "error": NSTR,
                    "nodes": {"type": "object", "additionalProperties": ref("NodeRun")}}, ["dry_run", "status", "nodes"]),
    "Retention": obj({"max_age_days": {"type": ["integer", "null"], "minimum": 1, "maximum": 36500},
                      "max_runs": {"type": ["integer", "null"], "minimum": 1, "maximum": 100000000}}, additional=False),
    "WebhookAccepted": obj({"run_id": ID, "status": STR, "created": {"type": "boolean"}}, ["run_id", "status", "created"]),
    "NodeType": obj({"name": STR, "title": STR, "category": STR, "description": STR,
                     "inputs": {"type": "array", "items": ref("Port")}, "outputs": {"type": "array", "items": ref("Port")},
                     "config_schema": {"type": "object"}},
                    ["name", "title", "category", "description", "inputs", "outputs", "config_schema"]),
}
for name in ["Tenant", "User", "Group", "RoleBinding", "Token", "Workflow", "AuditEntry"]:
    schemas[name + "Page"] = page(name)

def problem(desc):
    return {"description": desc, "content": {"application/problem+json": {"schema": ref("Problem")}}}

def json_response(desc, schema, headers=None):
    r = {"description": desc, "content": {"application/json": {"schema": schema}}}
    if headers:
        r["headers"] = headers
    return r

ERRORS = {
    "400": problem("Malformed request (bad JSON, bad query parameter)"),
    "401": problem("Missing, unknown, expired or revoked token"),
    "403": problem("Denied by policy"),
    "404": problem("Unknown resource, or a resource of another tenant"),
    "405": problem("Method not supported on this path"),
    "409": problem("Conflict with existing data (taken name, stale version)"),
    "413": problem("Body larger than the configured limit"),
    "422": problem("Well-formed but invalid input; `errors` names each field, node or edge"),
    "429": problem("A quota is used up; see Retry-After and the RateLimit-* headers"),
    "502": problem("The key provider or Vault/OpenBao failed"),
    "503": problem("Storage unavailable"),
}

def op(summary, ok_code, ok, body=None, errors=("400", "401", "403", "404", "422", "503"), params=(), op_id=None):
    responses = {ok_code: ok}
    for code in tuple(errors) + ("429",):
        responses[code] = ERRORS[code]
    o = {"summary": summary, "operationId": op_id, "responses": responses}
    if params:
        o["parameters"] = list(params)
    if body is not None:
        o["requestBody"] = body
        responses.setdefault("413", ERRORS["413"])
    return o

def jbody(schema, required=True, yaml=False):
    content = {"application/json": {"schema": schema}}
    if yaml:
        content["application/yaml"] = {"schema": schema}
    return {"required": required, "content": content}

def path_param(name, desc):
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}, "description": desc}

LIMIT = {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}
AFTER = {"name": "after", "in": "query", "schema": {"type": "string"}}
TENANT = path_param("tenant", "Tenant slug or id")
NO_CONTENT = {"description": "Done"}
LOCATION = {"Location": {"schema": {"type": "string"}}}

T = "/api/v1/tenants/{tenant}"
paths = {
    "/healthz": {"get": {"summary": "Liveness", "operationId": "healthz", "security": [],
                          "responses": {"200": json_response("Alive", obj({"status": STR}, ["status"]))}}},
    "/readyz": {"get": {"summary": "Readiness (checks the database)", "operationId": "readyz", "security": [],
                         "responses": {"200": json_response("Ready", obj({"status": STR, "database": STR}, ["status"])),
                                       "503": json_response("Not ready", obj({"status": STR, "database": STR}, ["status"]))}}},
    "/metrics": {"get": {"summary": "Prometheus metrics", "operationId": "metrics", "security": [],
                          "responses": {"200": {"description": "Prometheus text exposition",
                                                "content": {"text/plain": {"schema": STR}}}}}},
    "/openapi.json": {"get": {"summary": "This document", "operationId": "openapi", "security": [],
                               "responses": {"200": json_response("OpenAPI 3.1", {"type": "object"})}}},
    "/api/v1/tenants": {
        "post": op("Create a tenant (platform admin)", "201", json_response("Created", ref("Tenant"), LOCATION),
                   jbody(ref("TenantCreate")), ("400", "401", "403", "409", "422", "503"), op_id="createTenant"),
        "get": op("List tenants (platform admin)", "200", json_response("Tenants", ref("TenantPage")),
                  errors=("400", "401", "403", "503"), params=(LIMIT, AFTER), op_id="listTenants"),
    },
    "/api/v1/audit": {
        "get": op("Platform audit log (platform admin)", "200", json_response("Entries", ref("AuditEntryPage")),
                  errors=("400", "401", "403", "503"), params=(LIMIT, AFTER), op_id="platformAudit"),
    },
    "/api/v1/node-types": {
        "get": op("The node type catalog", "200", json_response("Node types", obj({"items": {"type": "array", "items": ref("NodeType")}}, ["items"])),
                  errors=("401", "403", "503"), op_id="listNodeTypes"),
    },
    T: {
        "parameters": [TENANT],
        "get": op("Read the tenant", "200", json_response("Tenant", ref("Tenant")), errors=("401", "403", "404", "503"), op_id="getTenant"),
        "patch": op("Rename the tenant", "200", json_response("Tenant", ref("Tenant")), jbody(ref("TenantPatch")), op_id="patchTenant"),
    },
}

def collection(name, item, create, label, create_errors=("400", "401", "403", "404", "409", "422", "503"), created=None):
    paths[f"{T}/{name}"] = {
        "parameters": [TENANT],
        "post": op(f"Create a {label}", "201", json_response("Created", ref(created or item)), jbody(ref(create)), create_errors,
                   op_id=f"create{item}"),
        "get": op(f"List {label}s", "200", json_response("Page", ref(item + "Page")), errors=("400", "401", "403", "404", "503"),
                  params=(LIMIT, AFTER), op_id=f"list{item}s"),
    }

collection("users", "User", "UserCreate", "user")
paths[f"{T}/users/{{id}}"] = {
    "parameters": [TENANT, path_param("id", "User id")],
    "get": op("Read a user", "200", json_response("User", ref("User")), errors=("401", "403", "404", "503"), op_id="getUser"),
    "patch": op("Update a user (deactivating revokes their tokens)", "200", json_response("User", ref("User")), jbody(ref("UserPatch")), op_id="patchUser"),
    "delete": op("Delete a user", "204", NO_CONTENT, errors=("401", "403", "404", "503"), op_id="deleteUser"),
}
collection("groups", "Group", "GroupCreate", "group")
paths[f"{T}/groups/{{id}}"] = {
    "parameters": [TENANT, path_param("id", "Group id")],
    "get": op("Read a group", "200", json_response("Group", ref("Group")), errors=("401", "403", "404", "503"), op_id="getGroup"),
    "patch": op("Rename a group or replace its members", "200", json_response("Group", ref("Group")), jbody(ref("GroupPatch")),
                ("400", "401", "403", "404", "409", "422", "503"), op_id="patchGroup"),
    "delete": op("Delete a group", "204", NO_CONTENT, errors=("401", "403", "404", "503"), op_id="deleteGroup"),
}
collection("role-bindings", "RoleBinding", "RoleBindingCreate", "role binding")
paths[f"{T}/role-bindings/{{id}}"] = {
    "parameters": [TENANT, path_param("id", "Role binding id")],
    "get": op("Read a role binding", "200", json_response("Role binding", ref("RoleBinding")), errors=("401", "403", "404", "503"), op_id="getRoleBinding"),
    "delete": op("Delete a role binding", "204", NO_CONTENT, errors=("401", "403", "404", "503"), op_id="deleteRoleBinding"),
}
collection("tokens", "Token", "TokenCreate", "API token", created="TokenCreated")
paths[f"{T}/tokens/{{id}}"] = {
    "parameters": [TENANT, path_param("id", "Token id")],
    "get": op("Read a token's metadata", "200", json_response("Token", ref("Token")), errors=("401", "403", "404", "503"), op_id="getToken"),
    "delete": op("Revoke a token", "204", NO_CONTENT, errors=("401", "403", "404", "503"), op_id="revokeToken"),
}
paths[f"{T}/audit"] = {
    "parameters": [TENANT],
    "get": op("Page through the tenant's audit log", "200", json_response("Entries", ref("AuditEntryPage")),
              errors=("400", "401", "403", "404", "503"),
              params=(LIMIT, AFTER, {"name": "action", "in": "query", "schema": STR},
                      {"name": "principal", "in": "query", "schema": STR}, {"name": "outcome", "in": "query", "schema": STR}),
              op_id="tenantAudit"),
}
paths[f"{T}/quotas"] = {
    "parameters": [TENANT],
    "get": op("The tenant's quotas", "200", json_response("Quotas", ref("Quotas")), errors=("401", "403", "404", "503"), op_id="getQuotas"),
    "put": op("Set the tenant's quotas (platform admin)", "200", json_response("Quotas", ref("Quotas")), jbody(ref("QuotasUpdate")),
              op_id="putQuotas"),
}
paths[f"{T}/policies"] = {
    "parameters": [TENANT],
    "get": op("The tenant's policies (and the built-in defaults)", "200",
              json_response("Policies", obj({"items": {"type": "array", "items": ref("TenantPolicy")}, "defaults": {"type": "array"}}, ["items"])),
              errors=("401", "403", "404", "503"), op_id="listPolicies"),
    "post": op("Add a policy (checked against the schema; 422 names line and column)", "201", json_response("Created", ref("TenantPolicy")),
               jbody(ref("TenantPolicyCreate")), ("400", "401", "403", "404", "409", "422", "503"), op_id="createPolicy"),
}
paths[f"{T}/policies/{{id}}"] = {
    "parameters": [TENANT, path_param("id", "Policy id")],
    "get": op("A policy with its version history", "200", json_response("Policy", ref("TenantPolicy")), errors=("401", "403", "404", "503"), op_id="getPolicy"),
    "put": op("Replace a policy (new version)", "200", json_response("Policy", ref("TenantPolicy")), jbody(ref("TenantPolicyUpdate")), op_id="updatePolicy"),
    "delete": op("Delete a policy (recorded as a version)", "204", NO_CONTENT, errors=("401", "403", "404", "503"), op_id="deletePolicy"),
}
paths[f"{T}/authorize"] = {
    "parameters": [TENANT],
    "post": op("Simulate a request and explain the decision", "200", json_response("Decision", ref("SimulateResult")),
               jbody(ref("SimulateRequest")), op_id="simulateAuthorization"),
}
paths[f"{T}/secrets"] = {
    "parameters": [TENANT],
    "post": op("Create a secret (value, Vault reference, or generated); the value is never returned", "201",
               json_response("Created", ref("Secret")), jbody(ref("SecretCreate")), ("400", "401", "403", "404", "409", "422", "502", "503"),
               op_id="createSecret"),
    "get": op("List secrets (metadata only)", "200", json_response("Page", obj({"items": {"type": "array", "items": ref("Secret")}, "next": NSTR}, ["items", "next"])),
              errors=("400", "401", "403", "404", "503"), params=(LIMIT, AFTER), op_id="listSecrets"),
}
paths[f"{T}/secrets/{{id}}"] = {
    "parameters": [TENANT, path_param("id", "Secret id")],
    "get": op("A secret's metadata and versions (never the value)", "200", json_response("Secret", ref("Secret")),
              errors=("401", "403", "404", "503"), op_id="getSecret"),
    "put": op("Replace the value (new version) or metadata", "200", json_response("Secret", ref("Secret")), jbody(ref("SecretUpdate")),
              ("400", "401", "403", "404", "422", "502", "503"), op_id="updateSecret"),
    "delete": op("Delete a secret", "204", NO_CONTENT, errors=("401", "403", "404", "503"), op_id="deleteSecret"),
}
paths[f"{T}/secrets/{{id}}/rotate"] = {
    "parameters": [TENANT, path_param("id", "Secret id")],
    "post": op("Rotate: a new value (generated secrets get a fresh one); the old stays valid for overlap_seconds", "200",
               json_response("Secret", ref("Secret")), jbody(ref("SecretRotate"), required=False), ("400", "401", "403", "404", "422", "502", "503"),
               op_id="rotateSecret"),
}
paths[f"{T}/workflows"] = {
    "parameters": [TENANT],
    "post": op("Create a workflow (version 1); JSON, or YAML on import", "201",
               json_response("Created", ref("Workflow"), LOCATION), jbody(ref("WorkflowCreate"), yaml=True), op_id="createWorkflow"),
    "get": op("List workflows", "200", json_response("Page", ref("WorkflowPage")), errors=("400", "401", "403", "404", "503"),
              params=(LIMIT, AFTER), op_id="listWorkflows"),
}
WF = path_param("id", "Workflow id")
paths[f"{T}/workflows/{{id}}"] = {
    "parameters": [TENANT, WF],
    "get": op("Read a workflow with its current definition", "200", json_response("Workflow", ref("Workflow")),
              errors=("401", "403", "404", "503"), op_id="getWorkflow"),
    "put": op("Replace the definition (creates a new version)", "200", json_response("Workflow", ref("Workflow")),
              jbody(ref("WorkflowReplace"), yaml=True), ("400", "401", "403", "404", "409", "422", "503"), op_id="replaceWorkflow"),
    "delete": op("Delete a workflow", "204", NO_CONTENT, errors=("401", "403", "404", "503"), op_id="deleteWorkflow"),
}
paths[f"{T}/workflows/{{id}}/versions"] = {
    "parameters": [TENANT, WF],
    "get": op("List versions", "200", json_response("Versions", obj({"items": {"type": "array", "items": ref("WorkflowVersion")}}, ["items"])),
              errors=("401", "403", "404", "503"), op_id="listWorkflowVersions"),
}
paths[f"{T}/workflows/{{id}}/versions/{{version}}"] = {
    "parameters": [TENANT, WF, path_param("version", "Version number")],
    "get": op("Read one version", "200", json_response("Version", ref("WorkflowVersion")), errors=("401", "403", "404", "503"),
              op_id="getWorkflowVersion"),
}
IDEM = {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string", "minLength": 1, "maxLength": 255},
        "description": "The same key returns the same run"}
run_create = op("Start a run of the current version", "201", json_response("Created", ref("Run"), LOCATION),
                jbody(ref("RunCreate"), required=False), params=(IDEM,), op_id="startRun")
run_create["responses"]["200"] = json_response("The run started earlier with this Idempotency-Key", ref("Run"), LOCATION)
paths[f"{T}/workflows/{{id}}/runs"] = {
    "parameters": [TENANT, WF],
    "post": run_create,
    "get": op("List runs of the workflow, newest first", "200",
              json_response("Runs", obj({"items": {"type": "array", "items": ref("RunSummary")}}, ["items"])),
              errors=("400", "401", "403", "404", "503"), params=(LIMIT, AFTER), op_id="listRuns"),
}
RUN = path_param("run", "Run id")
for base, suffix in [(f"{T}/runs/{{run}}", ""), (f"{T}/workflows/{{id}}/runs/{{run}}", "InWorkflow")]:
    params = [TENANT, RUN] if suffix == "" else [TENANT, WF, RUN]
    paths[base] = {"parameters": params,
                   "get": op("Read a run: status and per-node outputs", "200", json_response("Run", ref("Run")),
                             errors=("401", "403", "404", "503"), op_id="getRun" + suffix)}
    paths[base + "/events"] = {"parameters": params,
                               "get": op("The run's event log, in order, a page at a time", "200",
                                         json_response("Events", obj({"events": {"type": "array", "items": ref("RunEvent")},
                                                                      "next_after_seq": {"type": ["integer", "null"]}}, ["events", "next_after_seq"])),
                                         errors=("400", "401", "403", "404", "503"), op_id="getRunEvents" + suffix,
                                         params=({"name": "after_seq", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                                                 {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 10000}}))}

LETTER = path_param("letter", "Dead letter id")
paths[f"{T}/dead-letters"] = {
    "parameters": [TENANT],
    "get": op("Dead letters: steps and items that exhausted their retries, newest first", "200",
              json_response("Dead letters", obj({"items": {"type": "array", "items": ref("DeadLetter")}}, ["items"])),
              errors=("400", "401", "403", "404", "503"),
              params=(LIMIT, {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["open", "all"]}}),
              op_id="listDeadLetters"),
}
paths[f"{T}/dead-letters/{{letter}}"] = {
    "parameters": [TENANT, LETTER],
    "get": op("Read a dead letter", "200", json_response("Dead letter", ref("DeadLetter")), errors=("401", "403", "404", "503"),
              op_id="getDeadLetter"),
}
paths[f"{T}/dead-letters/{{letter}}/redrive"] = {
    "parameters": [TENANT, LETTER],
    "post": op("Re-drive: run the failed step or item again in its run", "202", json_response("The run, resumed", ref("Run")),
               errors=("401", "403", "404", "409", "503"), op_id="redriveDeadLetter"),
}
paths[f"{T}/workflows/{{id}}/test"] = {
    "parameters": [TENANT, WF],
    "post": op("Dry run of the workflow (or the nodes named) with a sample input: sinks report what they would write, nothing is stored",
               "200", json_response("Each node's input and output", ref("TestRun")), jbody(ref("TestRunRequest")), op_id="testWorkflow"),
}
paths[f"{T}/retention"] = {
    "parameters": [TENANT],
    "get": op("The tenant's run retention", "200", json_response("Retention", ref("Retention")), errors=("401", "403", "404", "503"),
              op_id="getRetention"),
    "put": op("Set the run retention (finished runs older than max_age_days, or beyond the newest max_runs, are deleted)", "200",
              json_response("Retention", ref("Retention")), jbody(ref("Retention")), op_id="putRetention"),
}
paths[f"{T}/runs/{{run}}/stream"] = {
    "parameters": [TENANT, path_param("run", "Run id")],
    "get": op("The run's events as server-sent events until it has ended (at most a minute per stream; reconnect with Last-Event-ID)",
              "200", {"description": "text/event-stream: id = sequence number, event = type, data = the event",
                      "content": {"text/event-stream": {"schema": STR}}},
              errors=("400", "401", "403", "404", "503"),
              params=({"name": "Last-Event-ID", "in": "header", "required": False, "schema": {"type": "string", "pattern": "^[0-9]{1,18}$"}},
                      {"name": "after_seq", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 0, "maximum": 999999999999999999}}),
              op_id="streamRunEvents"),
}
paths["/hooks/{tenant}/{path}"] = {
    "parameters": [TENANT, path_param("path", "The webhook trigger's path (may contain '/')")],
    "post": {"summary": "Webhook trigger: starts the workflow whose trigger.webhook node has this path",
             "operationId": "webhook", "security": [],
             "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string", "minLength": 1, "maxLength": 200}},
                            {"name": "X-Flowgate-Signature-256", "in": "header", "required": False, "schema": {"type": "string"},
                             "description": "sha256=<hex HMAC-SHA256 of the body>, required when the trigger names a secret"}],
             "requestBody": {"required": False, "content": {"application/json": {"schema": {}}, "text/plain": {"schema": STR}}},
             "responses": {"202": json_response("Run started", ref("WebhookAccepted"), LOCATION),
                           "400": ERRORS["400"], "401": problem("Missing or wrong signature"), "403": ERRORS["403"],
                           "404": problem("No such tenant or webhook"), "413": ERRORS["413"], "429": ERRORS["429"], "503": ERRORS["503"]}},
}

# Single sign-on: identity providers (tenant admins), the browser's session, and the
# sign-in endpoints each provider has under /sso/{tenant}/{idp}/.
schemas["IdentityProvider"] = obj({
    "id": ID, "type": {"type": "string", "enum": ["oidc", "saml"]}, "name": STR, "login_url": STR,
    "issuer": STR, "client_id": STR, "client_secret_name": STR, "scopes": {"type": "array", "items": STR}, "groups_claim": NSTR,
    "token_endpoint_auth": STR, "redirect_uri": STR,
    "entity_id": STR, "sso_url": STR, "certificate_count": {"type": "integer"}, "allow_idp_initiated": {"type": "boolean"},
    "groups_attribute": NSTR, "sp_entity_id": STR, "acs_url": STR, "metadata_url": STR,
    "created_at": TIME, "updated_at": TIME}, ["id", "type", "name", "login_url", "created_at", "updated_at"])
OIDC_CREATE = obj({"type": {"const": "oidc"}, "name": NAME, "issuer": {"type": "string", "format": "uri"}, "client_id": {"type": "string", "minLength": 1},
                   "client_secret": {"type": "string", "minLength": 1}, "client_secret_name": STR, "scopes": {"type": "array", "items": STR},
                   "groups_claim": NSTR, "token_endpoint_auth": {"type": "string", "enum": ["client_secret_basic", "client_secret_post"]},
                   "userinfo": {"type": "boolean"}}, ["type", "name", "issuer", "client_id"], additional=False)
SAML_CREATE = obj({"type": {"const": "saml"}, "name": NAME, "entity_id": {"type": "string", "minLength": 1}, "sso_url": {"type": "string", "format": "uri"},
                   "certificate_pem": STR, "metadata_xml": STR, "metadata_url": {"type": "string", "format": "uri"}, "allow_idp_initiated": {"type": "boolean"}, "groups_attribute": NSTR,
                   "email_attribute": NSTR, "name_attribute": NSTR}, ["type", "name"], additional=False)
schemas["SSOSettings"] = obj({"jit_provisioning": {"type": "boolean"}, "session_idle_minutes": {"type": "integer", "minimum": 1, "maximum": 1440},
                              "session_absolute_minutes": {"type": "integer", "minimum": 5, "maximum": 43200}})
schemas["Session"] = obj({"principal": obj({"type": STR, "id": STR, "name": STR, "roles": {"type": "array", "items": STR},
                                            "groups": {"type": "array", "items": STR}}, ["type", "id", "name", "roles", "groups"]),
                          "tenant": NSTR, "tenant_id": STR, "tenant_name": STR,
                          "session": {"type": ["object", "null"]}, "csrf_token": STR}, ["principal", "tenant", "session"])
paths[f"{T}/identity-providers"] = {
    "parameters": [TENANT],
    "post": op("Add an identity provider (OIDC or SAML); an OIDC client secret is kept as a tenant secret", "201",
               json_response("Created", ref("IdentityProvider"), LOCATION), jbody({"oneOf": [OIDC_CREATE, SAML_CREATE]}),
               ("400", "401", "403", "404", "409", "422", "503"), op_id="createIdentityProvider"),
    "get": op("List identity providers", "200", json_response("Providers", obj({"items": {"type": "array", "items": ref("IdentityProvider")}}, ["items"])),
              errors=("401", "403", "404", "503"), op_id="listIdentityProviders"),
}
paths[f"{T}/identity-providers/{{id}}"] = {
    "parameters": [TENANT, path_param("id", "Identity provider id")],
    "get": op("Read an identity provider", "200", json_response("Provider", ref("IdentityProvider")), errors=("401", "403", "404", "503"),
              op_id="getIdentityProvider"),
    "delete": op("Remove an identity provider: its linked identities go, its sessions end", "204", NO_CONTENT,
                 errors=("401", "403", "404", "503"), op_id="deleteIdentityProvider"),
}
paths[f"{T}/sso-settings"] = {
    "parameters": [TENANT],
    "get": op("Single sign-on settings (just-in-time users, session lifetimes)", "200", json_response("Settings", ref("SSOSettings")),
              errors=("401", "403", "404", "503"), op_id="getSSOSettings"),
    "put": op("Change single sign-on settings (fields given are replaced)", "200", json_response("Settings", ref("SSOSettings")),
              jbody({**ref("SSOSettings")}), op_id="putSSOSettings"),
}
paths[f"{T}/users/{{id}}/identities"] = {
    "parameters": [TENANT, path_param("id", "User id")],
    "post": op("Link a user to an identity (subject or NameID) at one of the tenant's providers", "201",
               json_response("Linked", obj({"user_id": STR, "identity_provider": STR, "subject": STR})),
               jbody(obj({"identity_provider": {"type": "string", "minLength": 1}, "subject": {"type": "string", "minLength": 1, "maxLength": 1024}},
                         ["identity_provider", "subject"], additional=False)),
               ("400", "401", "403", "404", "409", "422", "503"), op_id="linkIdentity"),
}
paths["/api/v1/session"] = {
    "get": op("Who the caller is; for a browser session also its CSRF token (send it as X-CSRF-Token)", "200",
              json_response("Session", ref("Session")), errors=("401", "503"), op_id="getSession"),
}
paths["/api/v1/session/logout"] = {
    "post": op("End the browser session (needs X-CSRF-Token)", "204", NO_CONTENT, errors=("400", "401", "403", "503"), op_id="logout"),
}
paths["/login"] = {"get": {
    "summary": "Redeem a one-time sign-in link (printed on the first start of the embedded default): sets the session cookie",
    "operationId": "signInLink", "security": [],
    "parameters": [{"name": "code", "in": "query", "required": False, "schema": STR},
                   {"name": "tenant", "in": "query", "required": False, "schema": STR, "description": "Tenant slug (default: default)"}],
    "responses": {"303": {"description": "Signed in", "headers": {"Location": {"schema": STR}, "Set-Cookie": {"schema": STR}}},
                  "400": ERRORS["400"], "401": problem("Unknown, used or expired link"), "503": ERRORS["503"]}}}
paths["/sso/{tenant}"] = {"parameters": [TENANT], "get": {
    "summary": "The tenant's identity providers for a sign-in page (name, protocol, login URL)", "operationId": "signInOptions",
    "security": [],
    "responses": {"200": json_response("Providers", obj({"tenant": STR, "providers": {"type": "array", "items": obj(
                      {"id": STR, "name": STR, "type": STR, "login_url": STR}, ["id", "name", "type", "login_url"])}}, ["tenant", "providers"])),
                  "404": problem("No such tenant"), "503": ERRORS["503"]}}}
SSO = "/sso/{tenant}/{idp}"
SSO_PARAMS = [TENANT, path_param("idp", "Identity provider id")]
SSO_ERRORS = {"400": ERRORS["400"], "403": problem("Sign-in refused (the detail says why)"), "404": problem("No such tenant or identity provider"),
              "503": ERRORS["503"]}
def sso_op(summary, op_id, ok_code, ok, **extra):
    o = {"summary": summary, "operationId": op_id, "security": [], "responses": {ok_code: ok, **SSO_ERRORS}}
    o.update(extra)
    return o
REDIRECT = {"description": "Redirect", "headers": {"Location": {"schema": STR}, "Set-Cookie": {"schema": STR}}}
paths[f"{SSO}/login"] = {"parameters": SSO_PARAMS, "get": sso_op(
    "Start a sign-in: redirects to the provider", "ssoLogin", "302", REDIRECT,
    parameters=[{"name": "return_to", "in": "query", "required": False, "schema": STR, "description": "A local path to continue to"}])}
paths[f"{SSO}/callback"] = {"parameters": SSO_PARAMS, "get": sso_op(
    "OIDC redirect URI: finishes the sign-in, sets the session cookie", "ssoCallback", "303", REDIRECT,
    parameters=[{"name": n, "in": "query", "required": False, "schema": STR} for n in ("code", "state", "iss", "error")])}
paths[f"{SSO}/metadata"] = {"parameters": SSO_PARAMS, "get": sso_op(
    "SAML service provider metadata (the SP entity id is this URL)", "ssoMetadata", "200",
    {"description": "Metadata", "content": {"application/samlmetadata+xml": {"schema": STR}}})}
paths[f"{SSO}/acs"] = {"parameters": SSO_PARAMS, "post": sso_op(
    "SAML assertion consumer service (HTTP-POST binding): finishes the sign-in, sets the session cookie", "ssoACS", "303", REDIRECT,
    requestBody={"required": True, "content": {"application/x-www-form-urlencoded": {"schema": obj(
        {"SAMLResponse": STR, "RelayState": STR}, ["SAMLResponse"])}}})}
paths[f"{SSO}/acs"]["post"]["responses"]["413"] = ERRORS["413"]

def link(path, method, code, target_ops, params):
    """Adds OpenAPI links from a response to the operations that use what it created, so that
    schemathesis' stateful phase reaches real resources instead of guessing ids."""
    response = paths[path][method]["responses"][code]
    response["links"] = {op_id[0].upper() + op_id[1:]: {"operationId": op_id, "parameters": params} for op_id in target_ops}

BY_ID = {"tenant": "$request.path.tenant", "id": "$response.body#/id"}
link(f"{T}/users", "post", "201", ["getUser", "patchUser", "deleteUser"], BY_ID)
link(f"{T}/groups", "post", "201", ["getGroup", "patchGroup", "deleteGroup"], BY_ID)
link(f"{T}/role-bindings", "post", "201", ["getRoleBinding", "deleteRoleBinding"], BY_ID)
link(f"{T}/tokens", "post", "201", ["getToken", "revokeToken"], BY_ID)
link(f"{T}/workflows", "post", "201", ["getWorkflow", "replaceWorkflow", "deleteWorkflow", "listWorkflowVersions", "startRun", "listRuns", "testWorkflow"], BY_ID)
link(f"{T}/policies", "post", "201", ["getPolicy", "updatePolicy", "deletePolicy"], BY_ID)
link(f"{T}/secrets", "post", "201", ["getSecret", "updateSecret", "deleteSecret", "rotateSecret"], BY_ID)
link(f"{T}/identity-providers", "post", "201", ["getIdentityProvider", "deleteIdentityProvider"], BY_ID)
RUN_LINK = {"tenant": "$request.path.tenant", "run": "$response.body#/id"}
link(f"{T}/workflows/{{id}}/runs", "post", "201", ["getRun", "getRunEvents", "streamRunEvents"], RUN_LINK)

# SCIM 2.0 (RFC 7644) per tenant: the resources are described by SCIM's own discovery
# endpoints; here the shapes are kept open and errors are SCIM error documents.
def scim_error(desc):
    return {"description": desc, "content": {"application/scim+json": {"schema": ref("SCIMError")}}}

def scim_ok(desc, code="200"):
    return {code: {"description": desc, "content": {"application/scim+json": {"schema": {"type": "object"}}}}}

SCIM_ERRORS = {c: scim_error(d) for c, d in [
    ("400", "invalidFilter, invalidPath, noTarget, invalidValue, invalidSyntax, mutability or tooMany"),
    ("401", "Missing or bad SCIM token"), ("403", "Denied by policy"), ("404", "Unknown resource, or another tenant's"),
    ("409", "uniqueness"), ("412", "If-Match does not match"), ("413", "Body too large"), ("429", "Quota used up"),
    ("503", "Storage unavailable")]}
schemas["SCIMError"] = obj({"schemas": {"type": "array", "items": STR}, "status": STR, "scimType": STR, "detail": STR},
                           ["schemas", "status"])
S = "/scim/v2/{tenant}"
SCIM_SEC = [{"scimBearer": []}]
def scim_op(summary, op_id, ok, body=False, codes=("400", "401", "403", "404", "429", "503"), params=()):
    o = {"summary": summary, "operationId": op_id, "security": SCIM_SEC, "tags": ["SCIM"],
         "responses": dict(ok, **{c: SCIM_ERRORS[c] for c in codes})}
    if body:
        o["requestBody"] = {"required": True, "content": {"application/scim+json": {"schema": {"type": "object"}},
                                                           "application/json": {"schema": {"type": "object"}}}}
    if params:
        o["parameters"] = list(params)
    return o
SCIM_LIST_PARAMS = tuple({"name": n, "in": "query", "schema": {"type": t}} for n, t in
                         [("filter", "string"), ("startIndex", "integer"), ("count", "integer"), ("sortBy", "string"),
                          ("sortOrder", "string"), ("attributes", "string"), ("excludedAttributes", "string")])
for kind in ["Users", "Groups"]:
    paths[f"{S}/{kind}"] = {
        "parameters": [TENANT],
        "post": scim_op(f"Create a {kind[:-1]}", f"scimCreate{kind[:-1]}", scim_ok("Created", "201"), body=True,
                        codes=("400", "401", "403", "404", "409", "413", "429", "503")),
        "get": scim_op(f"List or filter {kind}", f"scimList{kind}", scim_ok("ListResponse"), params=SCIM_LIST_PARAMS),
    }
    paths[f"{S}/{kind}/.search"] = {"parameters": [TENANT], "post": scim_op(f"Search {kind}", f"scimSearch{kind}", scim_ok("ListResponse"), body=True)}
    SID = path_param("id", f"{kind[:-1]} id")
    paths[f"{S}/{kind}/{{id}}"] = {
        "parameters": [TENANT, SID],
        "get": scim_op(f"Read a {kind[:-1]}", f"scimGet{kind[:-1]}", dict(scim_ok("The resource"), **{"304": {"description": "Not modified"}}),
                       params=SCIM_LIST_PARAMS[5:]),
        "put": scim_op(f"Replace a {kind[:-1]}", f"scimReplace{kind[:-1]}", scim_ok("The resource"), body=True,
                       codes=("400", "401", "403", "404", "409", "412", "413", "429", "503")),
        "patch": scim_op(f"Modify a {kind[:-1]} (PatchOp)", f"scimPatch{kind[:-1]}", scim_ok("The resource"), body=True,
                         codes=("400", "401", "403", "404", "409", "412", "413", "429", "503")),
        "delete": scim_op(f"Delete a {kind[:-1]}", f"scimDelete{kind[:-1]}", {"204": {"description": "Deleted"}},
                          codes=("401", "403", "404", "412", "429", "503")),
    }
paths[f"{S}/.search"] = {"parameters": [TENANT], "post": scim_op("Search Users and Groups", "scimSearch", scim_ok("ListResponse"), body=True)}
for name in ["ServiceProviderConfig", "ResourceTypes", "Schemas"]:
    paths[f"{S}/{name}"] = {"parameters": [TENANT], "get": scim_op(f"Discovery: {name}", f"scim{name}", scim_ok(name))}
    if name != "ServiceProviderConfig":
        paths[f"{S}/{name}/{{id}}"] = {"parameters": [TENANT, path_param("id", "Id")],
                                       "get": scim_op(f"Discovery: one of {name}", f"scim{name}One", scim_ok(name))}

schemas["SCIMToken"] = obj({"id": ID, "name": STR, "created_at": TIME, "expires_at": NTIME, "revoked_at": NTIME, "token": STR,
                            "scim_base_url": STR}, ["id", "name", "created_at"])
paths[f"{T}/scim-tokens"] = {
    "parameters": [TENANT],
    "post": op("Create a SCIM token (shown once)", "201", json_response("Created", ref("SCIMToken")),
               jbody(obj({"name": NAME}, ["name"], additional=False)), op_id="createScimToken"),
    "get": op("List SCIM tokens", "200", json_response("Tokens", obj({"items": {"type": "array", "items": ref("SCIMToken")}}, ["items"])),
              errors=("401", "403", "404", "503"), op_id="listScimTokens"),
}
paths[f"{T}/scim-tokens/{{id}}"] = {"parameters": [TENANT, path_param("id", "Token id")],
                                    "delete": op("Revoke a SCIM token", "204", NO_CONTENT, errors=("401", "403", "404", "503"), op_id="revokeScimToken")}
paths[f"{T}/scim-tokens/{{id}}/rotate"] = {"parameters": [TENANT, path_param("id", "Token id")],
    "post": op("Rotate: a new token; the old one stays valid for overlap_seconds (default 3600)", "201",
               json_response("Created", ref("SCIMToken")),
               jbody(obj({"overlap_seconds": {"type": "integer", "minimum": 0, "maximum": 2592000}}, additional=False), required=False),
               op_id="rotateScimToken")}
paths[f"{T}/group-roles"] = {
    "parameters": [TENANT],
    "get": op("The tenant's group-to-role mapping", "200", json_response("Mapping", obj({"mappings": {"type": "object"}}, ["mappings"])),
              errors=("401", "403", "404", "503"), op_id="getGroupRoles"),
    "put": op("Set the group-to-role mapping (group name -> role)", "200",
              json_response("Mapping", obj({"mappings": {"type": "object"}}, ["mappings"])),
              jbody(obj({"mappings": {"type": "object", "additionalProperties": ROLE}}, ["mappings"], additional=False)), op_id="putGroupRoles"),
}
link(f"{T}/scim-tokens", "post", "201", ["revokeScimToken", "rotateScimToken"], BY_ID)

doc = {
    "openapi": "3.1.0",
    "info": {"title": "Flowgate API", "version": "1.0.0",
             "description": "Tenant-scoped, policy-governed, audited workflow API. Errors are RFC 9457 problem details."},
    "servers": [{"url": "/"}],
    "security": [{"bearerAuth": []}],
    "paths": paths,
    "components": {"schemas": schemas,
                   "securitySchemes": {"scimBearer": {"type": "http", "scheme": "bearer", "description": "A tenant's SCIM token (fgs_...)"},
                                       "bearerAuth": {"type": "http", "scheme": "bearer",
                                                      "description": "API token (fgt_... for tenants, fgp_... for platform admins)"}}},
}
out = pathlib.Path(__file__).resolve().parent.parent / "Sources/Gateway/Resources/openapi.json"
out.write_text(json.dumps(doc, indent=1, sort_keys=False) + "\n")
print(f"wrote {out}")
