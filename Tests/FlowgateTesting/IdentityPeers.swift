import AsyncHTTPClient
import Foundation
import Identity
import NIOCore
import NIOHTTP1

/// A Python identity provider from `peers/`, started on loopback for one test and stopped by pid.
public struct Peer: Sendable {
    let process: Process
    public let baseURL: String

    /// `Tests/peers`, where the identity providers' scripts live.
    static var peersDirectory: URL { TestEnvironment.packageRoot.appendingPathComponent("Tests/peers") }

    /// The interpreter with the peers' packages: `FLOWGATE_PYTHON`, else `.venv/bin/python`.
    public static var python: String {
        if let path = ProcessInfo.processInfo.environment["FLOWGATE_PYTHON"], !path.isEmpty { return path }
        return TestEnvironment.packageRoot.appendingPathComponent(".venv/bin/python").path
    }

    /// Whether the identity-provider tests can run: the interpreter and Debian's `xmlsec1`
    /// (which pysaml2 signs with) exist. With `FLOWGATE_REQUIRE_PEERS=1` they always run, so a
    /// missing peer fails them instead of skipping them.
    public static var available: Bool {
        if ProcessInfo.processInfo.environment["FLOWGATE_REQUIRE_PEERS"] == "1" { return true }
        return FileManager.default.isExecutableFile(atPath: python) && FileManager.default.isExecutableFile(atPath: "/usr/bin/xmlsec1")
    }

    /// Starts `script`, waits for its port file, runs `body`, and terminates the process.
    public static func with<R>(_ script: String, arguments: [String] = [], _ body: (Peer) async throws -> R) async throws -> R {
        let portFile = FileManager.default.temporaryDirectory
            .appendingPathComponent("fg-sso-peer-\(UUID().uuidString).port").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.currentDirectoryURL = peersDirectory
        process.arguments = [peersDirectory.appendingPathComponent(script).path, "--port-file", portFile,
            "--parent-pid", String(ProcessInfo.processInfo.processIdentifier)] + arguments
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("fg-sso-\(script)-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        // The peer's log is kept when the test failed, for diagnosis.
        func cleanUp(keepLog: Bool = true) async {
            await stop(process)
            try? handle.close()
            try? FileManager.default.removeItem(atPath: portFile)
            if !keepLog { try? FileManager.default.removeItem(at: log) }
        }
        var port: String?
        for _ in 0..<300 {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), !text.isEmpty {
                port = text
                break
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        guard let port else {
            let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            await cleanUp()
            throw PeerFailed(message: "\(script) did not start (python: \(python)): \(output.suffix(2000))")
        }
        do {
            let result = try await body(Peer(process: process, baseURL: "http://127.0.0.1:\(port)"))
            await cleanUp(keepLog: false)
            return result
        } catch {
            await cleanUp()
            throw error
        }
    }

    /// Stops a peer by pid: SIGTERM, a grace period, then SIGKILL.
    static func stop(_ process: Process) async {
        let pid = process.processIdentifier
        guard process.isRunning else { return }
        kill(pid, SIGTERM)
        for _ in 0..<50 where process.isRunning {
            try? await Task.sleep(for: .milliseconds(100))
        }
        if process.isRunning { kill(pid, SIGKILL) }
    }
}

public struct PeerFailed: Error, CustomStringConvertible {
    public let message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// What a browser got back for one request.
public struct BrowserResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: String
    public func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
}

/// A minimal browser over AsyncHTTPClient: it follows redirects itself (so it can stop at the
/// gateway's callback URL, which these tests serve in-process) and reads auto-post forms.
public struct Browser: Sendable {
    public let client: HTTPClient
    public init(client: HTTPClient) { self.client = client }

    public func request(
        _ method: HTTPMethod, _ url: String, form: [(String, String)]? = nil, json: String? = nil, headers: [(String, String)] = []
    ) async throws -> BrowserResponse {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let form {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: FormEncoding.encode(form)))
        } else if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 4 << 20)
        return BrowserResponse(
            status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
            body: String(buffer: body)
        )
    }

    /// GETs `url` and follows 30x redirects until one points under `stopPrefix`; returns that URL.
    public func follow(_ url: String, until stopPrefix: String) async throws -> String {
        var current = url
        for _ in 0..<10 {
            if current.hasPrefix(stopPrefix) { return current }
            let response = try await request(.GET, current)
            guard (300..<400).contains(response.status), let location = response.header("Location") else {
                throw PeerFailed(message: "expected a redirect from \(current), got \(response.status): \(response.body.prefix(300))")
            }
            current = location.hasPrefix("http") ? location : Self.origin(of: current) + location
        }
        throw PeerFailed(message: "too many redirects")
    }

    /// GETs `url` (following redirects) and reads the auto-submitting form it answers with.
    public func fetchForm(_ url: String) async throws -> (action: String, fields: [String: String]) {
        var current = url
        for _ in 0..<10 {
            let response = try await request(.GET, current)
            if (300..<400).contains(response.status), let location = response.header("Location") {
                current = location.hasPrefix("http") ? location : Self.origin(of: current) + location
                continue
            }
            guard response.status == 200 else {
                throw PeerFailed(message: "expected a form from \(current), got \(response.status): \(response.body.prefix(300))")
            }
            return try Self.parseForm(response.body)
        }
        throw PeerFailed(message: "too many redirects")
    }

    public static func origin(of url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        let host = rest.prefix { $0 != "/" }
        return String(url[..<schemeEnd.upperBound]) + host
    }

    /// The action and hidden inputs of the first form in an HTML page.
    public static func parseForm(_ html: String) throws -> (action: String, fields: [String: String]) {
        func attribute(_ name: String, in tag: Substring) -> String? {
            guard let start = tag.range(of: "\(name)=\"") else { return nil }
            let rest = tag[start.upperBound...]
            guard let end = rest.firstIndex(of: "\"") else { return nil }
            return unescape(String(rest[..<end]))
        }
        guard let formStart = html.range(of: "<form") else { throw PeerFailed(message: "no form in page") }
        let formTag = html[formStart.lowerBound...].prefix { $0 != ">" }
        guard let action = attribute("action", in: formTag) else { throw PeerFailed(message: "form without action") }
        var fields: [String: String] = [:]
        var rest = html[formStart.upperBound...]
        while let input = rest.range(of: "<input") {
            let tag = rest[input.lowerBound...].prefix { $0 != ">" }
            if let name = attribute("name", in: tag) { fields[name] = attribute("value", in: tag) ?? "" }
            rest = rest[input.upperBound...]
        }
        return (action, fields)
    }

    public static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#x27;", with: "'")
            .replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
    }

    /// The query parameters of a URL.
    public static func query(of url: String) -> [String: String] {
        guard let q = url.split(separator: "?", maxSplits: 1).dropFirst().first, let pairs = FormEncoding.decode(q) else { return [:] }
        return Dictionary(pairs, uniquingKeysWith: { first, _ in first })
    }

    public static func rawQuery(of url: String) -> String {
        String(url.split(separator: "?", maxSplits: 1).dropFirst().first ?? "")
    }
}

/// One HTTP client per test, redirects off (the browser and the back channel follow nothing
/// on their own), shut down at the end.
public func withHTTPClient<R>(_ body: (HTTPClient) async throws -> R) async throws -> R {
    var configuration = HTTPClient.Configuration()
    configuration.redirectConfiguration = .disallow
    let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    do {
        let result = try await body(client)
        try await client.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        throw error
    }
}

/// Runs `body` and returns the error it threw (nil when it did not throw).
public func refusal<E: Error, T>(_ type: E.Type, _ body: () async throws -> T) async -> E? {
    do {
        _ = try await body()
        return nil
    } catch let error as E {
        return error
    } catch {
        return nil
    }
}
