import AsyncHTTPClient
import NIOCore

/// A back-channel HTTP request (discovery, JWKS, token, userinfo), as a value the state
/// machines return and tests can inspect.
public struct SSOHTTPRequest: Sendable, CustomStringConvertible {
    /// `GET` or `POST`.
    public var method: String
    /// The absolute URL.
    public var url: String
    /// Header fields, in order.
    public var headers: [(String, String)]
    /// The body, for POST.
    public var body: [UInt8]?

    public init(method: String, url: String, headers: [(String, String)] = [], body: [UInt8]? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// Method and URL only: headers and body may carry client secrets, codes or tokens.
    public var description: String { "\(method) \(url)" }
}

/// A back-channel HTTP response.
public struct SSOHTTPResponse: Sendable, CustomStringConvertible {
    /// The status code.
    public var status: Int
    /// Header fields, in order.
    public var headers: [(String, String)]
    /// The whole body (bounded by the transport).
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)] = [], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of a header, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// Status and size only: bodies hold tokens.
    public var description: String { "HTTP \(status) (\(body.count) bytes)" }
}

/// The seam between the protocol logic and the network.
public protocol SSOHTTPTransport: Sendable {
    /// Sends one request and returns the whole response; throws on transport failure.
    func send(_ request: SSOHTTPRequest) async throws -> SSOHTTPResponse
}

/// The production transport over AsyncHTTPClient.
///
/// Give it a client whose redirect configuration is `.disallow`: a token endpoint that
/// redirects must not have the code and secret replayed elsewhere.
public struct AsyncHTTPClientTransport: SSOHTTPTransport {
    let client: HTTPClient
    let timeout: Duration
    let maxBodyBytes: Int

    /// - Parameters:
    ///   - client: the shared client (redirects disallowed).
    ///   - timeout: per request; default 10 seconds.
    ///   - maxBodyBytes: larger responses are refused; default 1 MiB.
    public init(client: HTTPClient, timeout: Duration = .seconds(10), maxBodyBytes: Int = 1 << 20) {
        self.client = client
        self.timeout = timeout
        self.maxBodyBytes = maxBodyBytes
    }

    public func send(_ request: SSOHTTPRequest) async throws -> SSOHTTPResponse {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = request.method == "POST" ? .POST : .GET
        for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
        if let body = request.body { outgoing.body = .bytes(ByteBuffer(bytes: body)) }
        let (seconds, attoseconds) = timeout.components
        let millis = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        let response = try await client.execute(outgoing, timeout: .milliseconds(millis))
        let buffer = try await response.body.collect(upTo: maxBodyBytes)
        return SSOHTTPResponse(
            status: Int(response.status.code),
            headers: response.headers.map { ($0.name, $0.value) },
            body: Array(buffer.readableBytesView)
        )
    }
}
