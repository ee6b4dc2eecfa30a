import AsyncHTTPClient
import Foundation
import JSON
import NIOCore
import NIOHTTP1

/// One HTTP answer, with the body parsed as JSON when it is JSON.
public struct APIResponse: Sendable {
    public let status: Int
    public let headers: [(String, String)]
    public let body: [UInt8]

    /// The body as JSON (`.null` when empty or not JSON).
    public var json: JSONValue { (try? JSONValue.parse(body)) ?? .null }
    /// The body as text.
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The first header with this name (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}

/// A small client for the API over a real socket, as outside scripts would use it.
public struct APIClient: Sendable {
    public let baseURL: String
    public var token: String?
    let http: HTTPClient

    public init(baseURL: String, token: String? = nil, http: HTTPClient = .shared) {
        self.baseURL = baseURL
        self.token = token
        self.http = http
    }

    /// This client with another token.
    public func with(token: String?) -> APIClient {
        var copy = self
        copy.token = token
        return copy
    }

    /// Sends a request; `json` becomes the body, `raw` is sent as is.
    public func send(
        _ method: HTTPMethod, _ path: String, json: JSONValue? = nil, raw: [UInt8]? = nil, headers: [(String, String)] = []
    ) async throws -> APIResponse {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: json.serializedBytes()))
        } else if let raw {
            if !headers.contains(where: { $0.0.lowercased() == "content-type" }) {
                request.headers.add(name: "Content-Type", value: "application/json")
            }
            request.body = .bytes(ByteBuffer(bytes: raw))
        }
        let response = try await http.execute(request, timeout: .seconds(30))
        var body = try await response.body.collect(upTo: 64 << 20)
        return APIResponse(
            status: Int(response.status.code),
            headers: response.headers.map { ($0.name, $0.value) },
            body: body.readBytes(length: body.readableBytes) ?? []
        )
    }

    public func get(_ path: String) async throws -> APIResponse { try await send(.GET, path) }
    public func post(_ path: String, _ json: JSONValue? = nil, headers: [(String, String)] = []) async throws -> APIResponse {
        try await send(.POST, path, json: json, headers: headers)
    }
    public func put(_ path: String, _ json: JSONValue) async throws -> APIResponse { try await send(.PUT, path, json: json) }
    public func patch(_ path: String, _ json: JSONValue) async throws -> APIResponse { try await send(.PATCH, path, json: json) }
    public func delete(_ path: String) async throws -> APIResponse { try await send(.DELETE, path) }

    /// Polls a run until it has finished (or the deadline passes).
    public func waitForRun(_ path: String, timeout: Duration = .seconds(30)) async throws -> JSONValue {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let run = try await get(path).json
            if let status = run["status"]?.stringValue, status == "succeeded" || status == "failed" { return run }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestSetupError("run \(path) did not finish within \(timeout)")
    }
}
