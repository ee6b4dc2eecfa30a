import Crypto
import Engine
import Foundation
import HTTPTypes
import Hummingbird
import Identity
import JSON
import Policy
import Secrets
import Store

/// Resolves `/hooks/{tenant}/{path}` to its webhook trigger and checks the call's signature;
/// on success the request acts as the trigger's principal (whoever saved the workflow), so the
/// audit, rate-limit and authorization steps after it treat it like any other caller. A
/// tenant or path that does not exist, and a bad signature, all answer alike.
struct WebhookMiddleware: RouterMiddleware {
    typealias Context = FlowgateRequestContext
    let identity: IdentityService
    let policies: PolicyBook
    let secrets: SecretService
    let store: Store

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let name = context.parameters.get("tenant") ?? ""
        let path = context.parameters.getCatchAll().joined(separator: "/")
        guard WebhookTriggerNode.isValidPath(path), let tenant = try await identity.resolveTenant(name),
              let trigger = try await store.read({ try await TriggerRepository($0, tenant: tenant.id).webhook(path: path) })
        else { throw Problem.notFound("webhook") }
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        let (config, principal) = Triggers.decode(trigger)
        if let secretName = config["secret"]?.stringValue {
            let header = config["signature_header"]?.stringValue ?? WebhookTriggerNode.defaultSignatureHeader
            let sent = HTTPField.Name(header).flatMap { request.headers[$0] } ?? ""
            // Any value the secret accepts now (the current one, and the previous one during a
            // rotation overlap) may have signed it.
            let keys = (try? await secrets.acceptedValues(in: tenant.id, name: secretName)) ?? []
            guard !keys.isEmpty, Self.verify(signature: sent, body: Array(body.readableBytesView), keys: keys) else {
                throw Problem.unauthorized("the webhook signature is missing or does not match (\(header): sha256=<hex HMAC-SHA256 of the body>)")
            }
        }
        try await policies.prepare(tenant.id)
        var context = context
        context.tenant = tenant
        context.principal = Principal(
            kind: principal.isPlatformAdmin ? .platformAdmin : principal.entity.type == "User" ? .user : .apiToken,
            id: principal.entity.id, tenant: principal.tenant.map(TenantID.init), roles: principal.roles, groups: principal.groups,
            displayName: "webhook \(path)"
        )
        context.webhook = WebhookCall(
            workflowID: trigger.workflowID, nodeID: trigger.nodeID, path: path, body: body,
            signatureHeader: (config["signature_header"]?.stringValue ?? WebhookTriggerNode.defaultSignatureHeader).lowercased()
        )
        context.logger[metadataKey: "fg.tenant"] = .string(tenant.id.rawValue)
        return try await next(request, context)
    }

    /// Checks `sha256=<hex>` against the HMAC-SHA256 of the body under each key, comparing
    /// the hex forms in constant time (hex digits in either case).
    static func verify(signature: String, body: [UInt8], keys: [SecretValue]) -> Bool {
        let sent = signature.trimmingCharacters(in: .whitespaces).lowercased()
        guard sent.hasPrefix("sha256=") else { return false }
        var matched = false
        for key in keys {
            let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Array(key.plaintext.utf8)))
            if BearerToken.constantTimeEquals("sha256=" + mac.withUnsafeBytes { Hex.encode($0) }, sent) { matched = true }
        }
        return matched
    }
}

/// The webhook a request reached, set by ``WebhookMiddleware``.
struct WebhookCall: Sendable {
    let workflowID: String
    let nodeID: String
    let path: String
    let body: ByteBuffer
    /// The signature header (lower case), kept out of the run's input.
    let signatureHeader: String
}

extension Gateway {
    /// Headers a webhook run never sees: credentials and the signature itself.
    static let hiddenWebhookHeaders: Set<String> = ["authorization", "cookie", "proxy-authorization"]

    /// `POST /hooks/{tenant}/{path}`: starts the trigger's workflow with {body, headers, query}
    /// and answers 202 with the run id. An `Idempotency-Key` header makes retries safe.
    func addWebhookRoutes(hooks: RouterGroup<FlowgateRequestContext>) {
        let engine = self.engine
        let gateway = self
        routes.add(method: "POST", path: "/hooks/{tenant}/{path}", action: "workflow.run")
        hooks.post("**") { request, context in
            guard let call = context.webhook, let tenant = context.tenant, let principal = context.principal else {
                throw Problem.notFound("webhook")
            }
            context.audit?.update { $0.tenant = tenant.id }
            try gateway.authorize(context, action: "workflow.run", resource: EntityRef("Workflow", call.workflowID))
            var headers: [String: JSONValue] = [:]
            for field in request.headers {
                let name = field.name.canonicalName
                if Self.hiddenWebhookHeaders.contains(name) || name == call.signatureHeader { continue }
                headers[name] = .string(field.value)
            }
            var query: [String: JSONValue] = [:]
            for (key, value) in request.uri.queryParameters { query[String(key)] = .string(String(value)) }
            let bytes = call.body.readableBytesView
            let body: JSONValue
            if bytes.isEmpty {
                body = .null
            } else if let parsed = try? JSONValue.parse(bytes) {
                body = parsed
            } else {
                body = .string(String(decoding: bytes, as: UTF8.self))
            }
            let key = request.headers[.idempotencyKey]
            if let key, key.isEmpty || key.utf8.count > 200 { throw Problem.badRequest("Idempotency-Key must be 1-200 characters") }
            let (run, created) = try await engine.startRun(
                tenant: tenant.id, workflowID: call.workflowID, input: ["body": body, "headers": .object(headers), "query": .object(query)],
                idempotencyKey: key.map { "webhook:\(call.nodeID):\($0)" }, principal: principal.policyInfo, traceID: context.traceID
            )
            context.audit?.update {
                $0.detail["run_id"] = .string(run.id)
                $0.detail["trigger"] = .string("webhook \(call.path)")
            }
            return Response.json(["run_id": .string(run.id), "status": .string(run.status), "created": .bool(created)], status: .accepted,
                                 headers: [.location: "/api/v1/tenants/\(tenant.slug)/runs/\(run.id)"])
        }
    }
}
