import AsyncHTTPClient
import FlowgateTesting
import Foundation
import JSON
import Testing

/// The first start of the embedded default, through the real binary: a `default` tenant with
/// an owner, a one-time sign-in link on the terminal that becomes a browser session once, and
/// the web editor's files served with a strict Content-Security-Policy.
@Suite struct SignInLinkTests {
    @Test("first start prints a one-time sign-in link; it signs the owner in once; the editor's files are served safely")
    func firstStart() async throws {
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let web = dir.appendingPathComponent("web")
        try FileManager.default.createDirectory(at: web.appendingPathComponent("js"), withIntermediateDirectories: true)
        try Data("<!doctype html><title>Flowgate</title>".utf8).write(to: web.appendingPathComponent("index.html"))
        try Data("export const x = 1;\n".utf8).write(to: web.appendingPathComponent("js/main.js"))
        try Data("secret".utf8).write(to: dir.appendingPathComponent("outside.txt"))

        let server = try await ServerProcess.start(
            dataDirectory: dir.appendingPathComponent("data").path, extraArguments: ["--web-root", web.path]
        )
        let output = server.outputText
        let link = try #require(output.split(separator: "\n").first { $0.contains("/login?code=fgl_") })
        let code = String(link[link.range(of: "code=")!.upperBound...]).trimmingCharacters(in: .whitespaces)
        #expect(!output.split(separator: "\n").contains { $0.hasPrefix("{") && $0.contains(code) }, "the code is not in the JSON log")

        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        defer { _ = client.shutdown() }
        let browser = Browser(client: client)
        let signedIn = try await browser.request(.GET, server.baseURL + "/login?code=\(code)")
        #expect(signedIn.status == 303 && signedIn.header("Location") == "/")
        let cookie = try #require(signedIn.headers.first { $0.0.lowercased() == "set-cookie" && $0.1.hasPrefix("fg_session=") }?.1)
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"))
        let session = String(cookie.split(separator: ";")[0])
        let me = try await browser.request(.GET, server.baseURL + "/api/v1/session", headers: [("Cookie", session)])
        let json = try JSONValue.parse(me.body)
        #expect(json["tenant"]?.stringValue == "default")
        #expect(json["principal"]?["name"]?.stringValue == "owner")
        #expect(json["principal"]?["roles"]?.arrayValue?.contains("owner") == true)
        // Once only; unknown codes alike.
        #expect(try await browser.request(.GET, server.baseURL + "/login?code=\(code)").status == 401)
        #expect(try await browser.request(.GET, server.baseURL + "/login?code=fgl_nothing").status == 401)
        #expect(try await browser.request(.GET, server.baseURL + "/login").status == 401)

        // The editor: index and modules with a strict CSP; nothing outside the folder.
        let index = try await browser.request(.GET, server.baseURL + "/")
        #expect(index.status == 200 && index.body.contains("Flowgate"))
        #expect(index.header("Content-Security-Policy")?.contains("script-src 'self'") == true)
        #expect(index.header("X-Content-Type-Options") == "nosniff")
        let module = try await browser.request(.GET, server.baseURL + "/app/js/main.js")
        #expect(module.status == 200 && module.header("Content-Type")?.hasPrefix("text/javascript") == true)
        for path in ["/app/../outside.txt", "/app/%2e%2e/outside.txt", "/app/.hidden", "/app/js/missing.js", "/app/"] {
            #expect(try await browser.request(.GET, server.baseURL + path).status == 404, "\(path)")
        }
        #expect(await server.stop() == 0)
    }
}
