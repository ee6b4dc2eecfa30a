import Hummingbird
import Identity
import JSON
import Store

/// Writes one audit entry for every authenticated request, after it was answered (or failed):
/// who, what, on what, the decision and why, the outcome and status. Entries go to the
/// tenant's chain (the principal's own tenant when a request was refused for naming another).
struct AuditMiddleware: RouterMiddleware {
    typealias Context = FlowgateRequestContext
    let writer: AuditWriter
    let clock: any WallClock
    /// Also audit requests without an authenticated principal (sign-in endpoints): the entry
    /// names the principal the handler noted (the user who signed in), else `Anonymous`.
    var anonymous = false

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let notes = AuditNotes()
        var context = context
        context.audit = notes
        let status: Int
        let result: Result<Response, any Error>
        do {
            let response = try await next(request, context)
            status = Int(response.status.code)
            result = .success(response)
        } catch {
            status = Int(Problem.from(error).status.code)
            result = .failure(error)
        }
        let fields = notes.snapshot
        // An unauthenticated request that named no existing tenant writes nothing: anyone could
        // otherwise fill the platform's chain.
        let anonymousEntry = anonymous && fields.tenant != nil
        if let principalName = context.principal?.name ?? fields.principal ?? (anonymousEntry ? #"Anonymous::"browser""# : nil) {
            let principalTenant = context.principal?.tenant
            let outcome: String
            switch status {
            case 200..<400: outcome = "success"
            case 403: outcome = "denied"
            case 404: outcome = "not_found"
            case 429: outcome = "throttled"
            case 400..<500: outcome = "rejected"
            default: outcome = "error"
            }
            var detail = fields.detail
            if detail["trace_id"] == nil { detail["trace_id"] = .string(context.traceID) }
            let record = AuditRecord(
                tenant: fields.tenant ?? principalTenant ?? .platform,
                at: clock.nowMillis(),
                principal: principalName,
                action: fields.action ?? "\(request.method.rawValue.lowercased()) \(context.endpointPath ?? "unmatched")",
                resource: fields.resource ?? "",
                decision: fields.decision ?? (status == 404 ? "deny" : "none"),
                reasons: fields.reasons,
                outcome: outcome,
                status: status,
                requestID: context.requestID,
                sourceIP: context.sourceIP,
                detail: .object(detail)
            )
            try await writer.write(record)
        }
        return try result.get()
    }
}
