import Engine
import Foundation
import Hummingbird
import Identity
import JSON
import Logging
import Policy
import Secrets
import Store

/// What a route is about, for its authorization.
enum ResourceSpec: Sendable {
    /// The platform itself (tenant management).
    case platform
    /// The tenant named in the path (collections inside it, and the tenant itself).
    case tenant
    /// An entity of `type` whose id is the path parameter `parameter`.
    case parameter(type: String, parameter: String)
}

/// The HTTP adapter's view of the core: one value holding the services every route calls.
struct Gateway: Sendable {
    let store: Store
    let identity: IdentityService
    let authorizer: FlowgateAuthorizer
    let policies: PolicyBook
    let secrets: SecretService
    let engine: RunEngine
    let sso: SSOService
    let routes: RouteTable
    /// The process-wide redactor: applied to problem details and audit entries.
    let redactor: Redactor
    let logger: Logger
    /// Workflow versions' definitions, parsed once and serialized, for reads of a workflow.
    let definitions = VersionCache<[UInt8]>()
    /// Bodies of workflow reads, on the embedded store (``WorkflowReadCache``).
    let workflowReads: WorkflowReadCache

    /// Runs a write that changes workflows, then forgets cached workflow reads, whether the
    /// write committed or not.
    func writeWorkflows<R: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> R) async throws -> R {
        defer { workflowReads.invalidate() }
        return try await store.write(body)
    }

    /// Decides `action` on `resource` for the request's principal and records the decision
    /// for the audit entry. Throws 403 when denied.
    func authorize(_ context: FlowgateRequestContext, action: String, resource: EntityRef, attributes: [String: JSONValue] = [:]) throws {
        guard let principal = context.principal else { throw Problem.unauthorized("authentication required") }
        let tenantID = context.tenant?.id.rawValue
        let request = AuthorizationRequest(
            principal: principal.policyInfo,
            action: action,
            resource: ResourceInfo(entity: resource, tenant: tenantID, attributes: attributes),
            context: [
                "source_ip": .string(context.sourceIP),
                "time": .int(store.clock.nowMillis()),
            ]
        )
        let decision = authorizer.authorize(request)
        context.audit?.update {
            $0.action = action
            $0.resource = resource.description
            $0.decision = decision.label
            $0.reasons = decision.errors.isEmpty ? decision.reasons : decision.reasons + decision.errors.map { "error:\($0)" }
        }
        if !decision.isAllowed { throw Problem.forbidden(action) }
    }

    /// Registers an authenticated, authorized route on `group` (whose path is `prefix`).
    func on(
        _ group: RouterGroup<FlowgateRequestContext>, prefix: String, _ method: HTTPRequest.Method, _ path: String,
        action: String, resource: ResourceSpec,
        _ handler: @escaping @Sendable (Request, FlowgateRequestContext) async throws -> Response
    ) {
        routes.add(method: method.rawValue, path: templatePath(prefix + (path.isEmpty ? "" : "/" + path)), action: action)
        let gateway = self
        group.on(RouterPath(path), method: method) { request, context in
            let entity: EntityRef
            switch resource {
            case .platform:
                entity = EntityRef("Platform", "flowgate")
            case .tenant:
                guard let tenant = context.tenant else { throw Problem.notFound("tenant") }
                entity = EntityRef("Tenant", tenant.id.rawValue)
            case .parameter(let type, let parameter):
                // Decoded, so that policies and the audit entry name what the client asked for.
                let raw = context.parameters.get(parameter) ?? ""
                entity = EntityRef(type, FlowgateRequestContext.percentDecoded(raw))
            }
            try gateway.authorize(context, action: action, resource: entity)
            return try await handler(request, context)
        }
    }
}
