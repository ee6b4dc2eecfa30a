import HTTPTypes
import Hummingbird
import Logging
import W3CTraceContext

/// The first stage of the pipeline: gives the request an id (`X-Request-Id`, echoed back) and
/// a W3C trace context (continuing a valid incoming `traceparent`), sets the body limit, and
/// puts both ids on the request's logger.
struct RequestSetupMiddleware: RouterMiddleware {
    typealias Context = FlowgateRequestContext
    let maxBodyBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.maxUploadSize = maxBodyBytes
        if let host = request.head.authority, RequestSetupMiddleware.isAcceptableHost(host) { context.origin = "http://\(host)" }
        if let incoming = request.headers[.requestID], RequestSetupMiddleware.isAcceptableRequestID(incoming) {
            context.requestID = incoming
        } else {
            context.requestID = RequestSetupMiddleware.newRequestID()
        }
        var generator = SystemRandomNumberGenerator()
        if let header = request.headers[.traceparent], let parent = try? TraceContext(traceParentHeaderValue: header) {
            context.traceID = parent.traceID.description
        } else {
            context.traceID = TraceID.random(using: &generator).description
        }
        context.spanID = SpanID.random(using: &generator).description
        context.logger[metadataKey: "fg.request.id"] = .string(context.requestID)
        context.logger[metadataKey: "fg.trace.id"] = .string(context.traceID)
        var response = try await next(request, context)
        response.headers[.requestID] = context.requestID
        return response
    }

    /// Request ids from clients are kept only when short and made of safe characters, so they
    /// cannot inject into logs or headers.
    static func isAcceptableRequestID(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count) && id.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F || b == 0x2E
        }
    }

    /// A host[:port] without anything that could break out of a URL.
    static func isAcceptableHost(_ host: String) -> Bool {
        (1...255).contains(host.utf8.count) && host.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x2E || b == 0x3A
                || b == 0x5B || b == 0x5D
        }
    }

    static func newRequestID() -> String {
        var generator = SystemRandomNumberGenerator()
        return SpanID.random(using: &generator).description + SpanID.random(using: &generator).description
    }
}

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-Id")!
    static let traceparent = HTTPField.Name("traceparent")!
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
    static let rateLimitLimit = HTTPField.Name("RateLimit-Limit")!
    static let rateLimitRemaining = HTTPField.Name("RateLimit-Remaining")!
    static let rateLimitReset = HTTPField.Name("RateLimit-Reset")!
}
