import Engine
import FlowgateTesting
import Foundation
import JSON
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// End to end against a real Prometheus with the remote-write receiver enabled, the one
/// `make test` starts (`FLOWGATE_TEST_PROMETHEUS_URL`); skipped with a note without it, unless
/// `FLOWGATE_REQUIRE_PEERS=1`.
@Suite struct RemoteWritePrometheusTests {
    @Test func prometheusStoresExactlyWhatWeSend() async throws {
        guard let server = try PrometheusTestServer.fromEnvironment() else { return }
        let base = try #require(URL(string: server.baseURL))
        let run = UUID().uuidString.lowercased()
        // Recent timestamps: the TSDB refuses samples far outside its head block.
        let now = Int64(Date().timeIntervalSince1970) * 1000
        let series = [
            RemoteWriteSeries(name: "flowgate_e2e_values", labels: ["run": run, "kind": "gauge"], samples: [
                .init(value: 1.5, timestampMilliseconds: now - 30_123),
                .init(value: -2.25, timestampMilliseconds: now - 15_000),
                .init(value: 0.1 + 0.2, timestampMilliseconds: now - 1_001),
                .init(value: .nan, timestampMilliseconds: now),
            ]),
            RemoteWriteSeries(name: "flowgate_e2e_values", labels: ["run": run, "kind": "ünïcødé \"quoted\""], samples: [
                .init(value: 1e-300, timestampMilliseconds: now - 20_000),
                .init(value: 123_456_789_012, timestampMilliseconds: now - 10_000),
            ]),
        ]
        let body = try RemoteWriteEncoder().encode(series)

        var request = URLRequest(url: base.appendingPathComponent("api/v1/write"))
        request.httpMethod = "POST"
        for header in RemoteWriteEncoder.headers { request.setValue(header.value, forHTTPHeaderField: header.name) }
        request.setValue("flowgate-tests", forHTTPHeaderField: "User-Agent")
        request.httpBody = Data(body)
        let (writeBody, writeResponse) = try await URLSession.shared.data(for: request)
        #expect((writeResponse as? HTTPURLResponse)?.statusCode == 204, "\(String(decoding: writeBody, as: UTF8.self))")

        // A body that is not Snappy is refused, so the 204 above means the payload was read.
        var broken = request
        broken.httpBody = Data([0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00])
        let (_, brokenResponse) = try await URLSession.shared.data(for: broken)
        #expect((brokenResponse as? HTTPURLResponse)?.statusCode == 400)

        // Read everything back as raw samples.
        var query = URLComponents(url: base.appendingPathComponent("api/v1/query"), resolvingAgainstBaseURL: false)
        query?.queryItems = [
            URLQueryItem(name: "query", value: "flowgate_e2e_values{run=\"\(run)\"}[5m]"),
            URLQueryItem(name: "time", value: String(Double(now) / 1000 + 1)),
        ]
        let queryURL = try #require(query?.url)
        let (data, _) = try await URLSession.shared.data(from: queryURL)
        let json = try JSONValue.parse(Array(data))
        #expect(json["status"] == "success", "\(json)")
        let result = json["data"]?["result"]?.arrayValue ?? []
        #expect(result.count == 2)
        for sent in series {
            let match = result.first { $0["metric"]?.objectValue == sent.labels.mapValues { JSONValue.string($0) } }
            let stored = try #require(match, "series \(sent.labels) not found in \(json)")
            let values = stored["values"]?.arrayValue ?? []
            #expect(values.count == sent.samples.count)
            for (pair, sample) in zip(values, sent.samples) {
                // [seconds with millisecond decimals, "value as text"]
                let seconds = try #require(pair[0]?.doubleValue)
                #expect(Int64((seconds * 1000).rounded()) == sample.timestampMilliseconds)
                let text = try #require(pair[1]?.stringValue)
                let value = try #require(Double(text), "\(text)")
                if sample.value.isNaN {
                    #expect(value.isNaN)
                } else {
                    #expect(value.bitPattern == sample.value.bitPattern, "\(text) vs \(sample.value)")
                }
            }
        }
    }
}
