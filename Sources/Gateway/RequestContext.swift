import Hummingbird
import Identity
import JSON
import NIOCore
import Store
import Synchronization

/// What the pipeline learns about a request, collected for its audit entry. A reference, so
/// that layers inside the audit middleware can fill it in.
final class AuditNotes: Sendable {
    struct Fields {
        var tenant: TenantID?
        /// The principal, for requests that authenticate inside the handler (sign-in).
        var principal: String?
        var action: String?
        var resource: String?
        var decision: String?
        var reasons: [String] = []
        var detail: [String: JSONValue] = [:]
    }
    let fields = Mutex(Fields())

    func update(_ body: (inout Fields) -> Void) { fields.withLock { body(&$0) } }
    var snapshot: Fields { fields.withLock { $0 } }
}

/// Per-request state, typed: request id, trace, the authenticated principal, the tenant the
/// path resolved to, and the notes for the audit entry. No globals.
public struct FlowgateRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// `X-Request-Id` as received (when well-formed) or generated.
    public var requestID: String
    /// W3C trace id (32 hex digits), from `traceparent` or new.
    public var traceID: String
    /// Span id of this request (16 hex digits).
    public var spanID: String
    /// The caller's address as seen on the socket.
    public var sourceIP: String
    /// The authenticated principal, once the authentication middleware has run.
    public var principal: Principal? {
        get { resolved.fields.principal }
        set { resolved = resolved.with { $0.principal = newValue } }
    }
    /// The tenant named in the path, once resolved.
    public var tenant: Tenant? {
        get { resolved.fields.tenant }
        set { resolved = resolved.with { $0.tenant = newValue } }
    }
    /// The browser session that authenticated the request, and its CSRF token.
    public var session: SessionRecord? {
        get { resolved.fields.session }
        set { resolved = resolved.with { $0.session = newValue } }
    }
    var csrfToken: String? {
        get { resolved.fields.csrfToken }
        set { resolved = resolved.with { $0.csrfToken = newValue } }
    }
    /// The webhook trigger a `/hooks/...` request reached.
    var webhook: WebhookCall? {
        get { resolved.fields.webhook }
        set { resolved = resolved.with { $0.webhook = newValue } }
    }
    /// Who and what the middlewares resolved, behind one reference: the context is copied at
    /// every middleware, and these are set once and then only read.
    private var resolved = Resolved.none
    var audit: AuditNotes?
    /// Largest request body accepted.
    public var maxUploadSize: Int
    /// `http://<Host>` of the request when the Host header is well-formed, else empty (links
    /// are then relative).
    public var origin: String = ""

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        requestID = ""
        traceID = ""
        spanID = ""
        sourceIP = source.channel.remoteAddress?.ipAddress ?? "unknown"
        maxUploadSize = 1 << 20
    }
}

/// The principal, tenant, session and webhook of a request, immutable; a change makes a new one.
final class Resolved: Sendable {
    struct Fields: Sendable {
        var principal: Principal?
        var tenant: Tenant?
        var session: SessionRecord?
        var csrfToken: String?
        var webhook: WebhookCall?
    }

    static let none = Resolved(Fields())
    let fields: Fields

    init(_ fields: Fields) { self.fields = fields }

    func with(_ change: (inout Fields) -> Void) -> Resolved {
        var copy = fields
        change(&copy)
        return Resolved(copy)
    }
}
