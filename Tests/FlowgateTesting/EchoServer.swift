import Foundation
import Hummingbird
import JSON
import NIOCore
import Synchronization

/// A test peer standing in for an outside HTTP API: a real server on a loopback socket that
/// answers every request with what it received (headers, body), plus a base64 copy of the
/// `Authorization` header, and records every request it saw.
public final class EchoServer: Sendable {
    private let received = Mutex<[JSONValue]>([])

    public init() {}

    /// Every request received, as echoed.
    public var requests: [JSONValue] { received.withLock { $0 } }

    /// Serves until `body` returns; `body` gets the base URL.
    public func run<R: Sendable>(_ body: @Sendable (String) async throws -> R) async throws -> R {
        let router = Router()
        let recorder = self
        router.on("/{path+}", method: .post) { request, context in try await recorder.echo(request, context) }
        router.on("/{path+}", method: .get) { request, context in try await recorder.echo(request, context) }
        let portBox = Mutex<Int?>(nil)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in portBox.withLock { $0 = channel.localAddress?.port } })
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.run() }
            var port: Int?
            for _ in 0..<200 {
                port = portBox.withLock { $0 }
                if port != nil { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            guard let port else { throw TestSetupError("echo server did not start") }
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

    private func echo(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        var request = request
        let buffer = try await request.collectBody(upTo: 1 << 20)
        var headers: [String: JSONValue] = [:]
        for field in request.headers { headers[field.name.canonicalName] = .string(field.value) }
        let authorization = request.headers[.authorization] ?? ""
        let echoed: JSONValue = [
            "method": .string(request.method.rawValue), "path": .string(request.uri.path), "headers": .object(headers),
            "body": .string(String(decoding: buffer.readableBytesView, as: UTF8.self)),
            "authorization_b64": .string(Data(authorization.utf8).base64EncodedString()),
        ]
        received.withLock { $0.append(echoed) }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: echoed.serializedBytes())))
    }
}
