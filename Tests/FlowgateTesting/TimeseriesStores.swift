import AsyncHTTPClient
import Foundation
import JSON
import NIOCore

/// The Prometheus `make test` starts (`FLOWGATE_TEST_PROMETHEUS_URL`, remote-write receiver
/// on), with the query API the tests read samples back through.
public struct PrometheusTestServer: Sendable {
    /// Base URL, e.g. `http://127.0.0.1:9090`.
    public let baseURL: String

    /// The remote-write endpoint.
    public var writeURL: String { baseURL + "/api/v1/write" }

    /// The server, or `nil` (with a printed note) when it is not running here; with
    /// `FLOWGATE_REQUIRE_PEERS=1` its absence is an error.
    public static func fromEnvironment() throws -> PrometheusTestServer? {
        guard let url = try peerURL("FLOWGATE_TEST_PROMETHEUS_URL", what: "Prometheus") else { return nil }
        return PrometheusTestServer(baseURL: url)
    }

    /// Every raw sample of the series `selector` selects over the last `window` before
    /// `time`: per series its labels and `(milliseconds, value text)` pairs.
    public func rawSamples(_ selector: String, window: String = "1h", time: Double) async throws -> [(labels: [String: String], samples: [(Int64, String)])] {
        let query = "query=\(formEncode("\(selector)[\(window)]"))&time=\(time)"
        let json = try await getJSON(baseURL + "/api/v1/query?" + query)
        guard json["status"] == "success" else { throw TestSetupError("Prometheus query failed: \(json)") }
        return (json["data"]?["result"]?.arrayValue ?? []).map { entry -> (labels: [String: String], samples: [(Int64, String)]) in
            let labels = (entry["metric"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
            let samples = (entry["values"]?.arrayValue ?? []).compactMap { pair -> (Int64, String)? in
                guard let seconds = pair[0]?.doubleValue, let text = pair[1]?.stringValue else { return nil }
                return (Int64((seconds * 1000).rounded()), text)
            }
            return (labels, samples)
        }
    }
}

/// The single-node VictoriaMetrics `make test` starts (`FLOWGATE_TEST_VICTORIA_URL`), which
/// takes InfluxDB line protocol on `/write`, with its export API for reading raw samples.
public struct VictoriaMetricsTestServer: Sendable {
    /// Base URL, e.g. `http://127.0.0.1:8428`.
    public let baseURL: String

    /// The server, or `nil` (with a printed note) when it is not running here; with
    /// `FLOWGATE_REQUIRE_PEERS=1` its absence is an error.
    public static func fromEnvironment() throws -> VictoriaMetricsTestServer? {
        guard let url = try peerURL("FLOWGATE_TEST_VICTORIA_URL", what: "VictoriaMetrics") else { return nil }
        return VictoriaMetricsTestServer(baseURL: url)
    }

    /// Raw samples of the series `selector` matches (`/api/v1/export`, JSON lines): per
    /// series its labels, millisecond timestamps and values.
    public func export(_ selector: String) async throws -> [(labels: [String: String], timestamps: [Int64], values: [Double])] {
        let text = try await get(baseURL + "/api/v1/export?match%5B%5D=\(formEncode(selector))")
        var result: [(labels: [String: String], timestamps: [Int64], values: [Double])] = []
        for line in text.split(separator: "\n") where !line.isEmpty {
            let json = try JSONValue.parse(String(line))
            result.append((
                (json["metric"]?.objectValue ?? [:]).compactMapValues(\.stringValue),
                (json["timestamps"]?.arrayValue ?? []).compactMap(\.intValue),
                (json["values"]?.arrayValue ?? []).compactMap(\.doubleValue)
            ))
        }
        return result
    }

    /// `export(selector)` once it holds `count` samples in all, polling: VictoriaMetrics makes
    /// new samples searchable within a second or two.
    public func waitForSamples(_ selector: String, count: Int, timeout: Duration = .seconds(20)) async throws -> [(labels: [String: String], timestamps: [Int64], values: [Double])] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let found = try await export(selector)
            if found.reduce(0, { $0 + $1.timestamps.count }) >= count || ContinuousClock.now > deadline { return found }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}

/// The URL in `variable`, or `nil` with a printed note; an error when peers are required.
func peerURL(_ variable: String, what: String) throws -> String? {
    let env = ProcessInfo.processInfo.environment
    guard let url = env[variable], !url.isEmpty else {
        if env["FLOWGATE_REQUIRE_PEERS"] == "1" { throw TestSetupError("\(what) is required but \(variable) is not set") }
        print("note: \(variable) is not set; \(what) tests skipped (make test starts \(what))")
        return nil
    }
    return url
}

/// Percent-encodes a query value (everything but RFC 3986 unreserved characters).
public func formEncode(_ text: String) -> String {
    var out = ""
    for byte in text.utf8 {
        if (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || "-._~".utf8.contains(byte) {
            out.unicodeScalars.append(Unicode.Scalar(byte))
        } else {
            out += String(format: "%%%02X", byte)
        }
    }
    return out
}

private func get(_ url: String) async throws -> String {
    let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
    var body = try await response.body.collect(upTo: 64 << 20)
    let text = body.readString(length: body.readableBytes) ?? ""
    guard response.status.code < 300 else { throw TestSetupError("GET \(url): \(response.status.code) \(text)") }
    return text
}

private func getJSON(_ url: String) async throws -> JSONValue {
    try JSONValue.parse(try await get(url))
}
