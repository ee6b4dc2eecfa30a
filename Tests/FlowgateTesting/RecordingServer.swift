import Foundation
import Hummingbird
import JSON
import NIOCore
import Synchronization

/// A test peer standing in for an outside HTTP endpoint that a workflow reads from or writes
/// to: a real Hummingbird server on a loopback socket that answers each request with what its
/// `respond` closure returns and records every request it saw, body bytes included.
public final class RecordingServer: Sendable {
    /// One request as received.
    public struct Received: Sendable {
        public var method: String
        /// Path and query, as sent.
        public var uri: String
        /// Header names lowercased.
        public var headers: [String: String]
        public var body: [UInt8]
    }

    /// What to answer.
    public struct Reply: Sendable {
        public var status: Int
        public var contentType: String
        public var body: [UInt8]

        public init(status: Int = 200, contentType: String = "application/json", body: [UInt8] = []) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }

        /// A JSON answer.
        public static func json(_ value: JSONValue, status: Int = 200) -> Reply {
            Reply(status: status, body: value.serializedBytes())
        }
    }

    private let received = Mutex<[Received]>([])
    private let answeredRequests = Mutex<[Received]>([])
    private let respond: @Sendable (Received) -> Reply
    private let delay: Duration

    /// A server answering every request with `respond(request)`, after `delay` (the request
    /// counts as received at once, as answered only when its reply is on its way).
    public init(delay: Duration = .zero, respond: @escaping @Sendable (Received) -> Reply = { _ in Reply(status: 204) }) {
        self.respond = respond
        self.delay = delay
    }

    /// Every request received so far, in order.
    public var requests: [Received] { received.withLock { $0 } }

    /// The requests whose reply was handed to the connection, in order.
    public var answered: [Received] { answeredRequests.withLock { $0 } }

    /// Serves until `body` returns; `body` gets the base URL (`http://127.0.0.1:<port>`).
    public func run<R: Sendable>(_ body: @Sendable (String) async throws -> R) async throws -> R {
        let router = Router()
        let recorder = self
        for method in [HTTPRequest.Method.get, .post, .put, .patch] {
            router.on("/", method: method) { request, context in try await recorder.handle(request, context) }
            router.on("/**", method: method) { request, context in try await recorder.handle(request, context) }
        }
        let portBox = Mutex<Int?>(nil)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in portBox.withLock { $0 = channel.localAddress?.port } })
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.run() }
            var port: Int?
            for _ in 0..<500 {
                port = portBox.withLock { $0 }
                if port != nil { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            guard let port else {
                group.cancelAll()
                throw TestSetupError("recording server did not start")
            }
            do {
                let result = try await body("http://127.0.0.1:\(port)")
                group.cancelAll()
                return result
            } catch {
                group.cancelAll()
                throw error
            }
        }
    }

    private func handle(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        var request = request
        let buffer = try await request.collectBody(upTo: 16 << 20)
        var headers: [String: String] = [:]
        for field in request.headers { headers[field.name.canonicalName.lowercased()] = field.value }
        let entry = Received(method: request.method.rawValue, uri: request.uri.description, headers: headers,
                             body: Array(buffer.readableBytesView))
        received.withLock { $0.append(entry) }
        let reply = respond(entry)
        if delay > .zero { try await Task.sleep(for: delay) }
        answeredRequests.withLock { $0.append(entry) }
        // Closing each connection lets the server stop at once when the test ends, instead of
        // waiting for the client's pooled keep-alive connections.
        return Response(
            status: HTTPResponse.Status(code: reply.status), headers: [.contentType: reply.contentType, .connection: "close"],
            body: .init(byteBuffer: ByteBuffer(bytes: reply.body))
        )
    }
}

/// A loopback URL on which nothing listens: a port just released by a socket of our own.
public func unreachableURL() throws -> String {
    "http://127.0.0.1:\(try freeLoopbackPort())"
}
