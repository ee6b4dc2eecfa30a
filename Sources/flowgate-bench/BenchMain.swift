import Foundation
import JSON
import Logging
import Secrets
import Store

/// `flowgate-bench secrets`: secret resolutions per second with the local keyring and with
/// OpenBao transit (`FLOWGATE_BENCH_VAULT_ADDR` / `FLOWGATE_BENCH_VAULT_TOKEN`), uncached and
/// with the data-key cache. Prints JSON lines.
@main
struct BenchMain {
    static func main() async throws {
        let arguments = Array(CommandLine.arguments.dropFirst())
        switch arguments.first {
        case "secrets": try await secrets(count: Int(arguments.dropFirst().first ?? "") ?? 20_000)
        case "engine":
            do {
                try await engine(postgresURL: arguments.dropFirst().first)
            } catch {
                FileHandle.standardError.write(Data("flowgate-bench engine: \(error)\n".utf8))
                exit(1)
            }
        default:
            print("usage: flowgate-bench secrets [N] | engine [postgres-url]")
            exit(2)
        }
    }

    static func secrets(count: Int) async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flowgate-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try await Store.withOpened(.sqlite(path: dir.appendingPathComponent("db.sqlite").path), logger: logger) { store in
            try await store.migrate()
            try await store.write { try await TenantRepository($0).create(Tenant(id: TenantID("t"), slug: "t", name: "T", createdAt: 0)) }
            var providers: [(String, any KeyProvider, Duration)] = []
            let keyring = try LocalKeyring(path: dir.appendingPathComponent("keyring.json").path)
            providers.append(("local-keyring", keyring, .zero))
            let env = ProcessInfo.processInfo.environment
            if let address = env["FLOWGATE_BENCH_VAULT_ADDR"], let token = env["FLOWGATE_BENCH_VAULT_TOKEN"] {
                let vault = VaultClient(configuration: VaultConfiguration(address: address, authentication: .token(token)))
                _ = try? await vault.request(.POST, "sys/mounts/transit", body: ["type": "transit"], what: "mount transit")
                let transit = TransitKeyProvider(vault: vault, keyName: "bench-\(UUID().uuidString.prefix(8).lowercased())")
                try await transit.ensureKey()
                providers.append(("transit-uncached", transit, .zero))
                providers.append(("transit-cached", transit, .seconds(60)))
            }
            for (index, (label, provider, ttl)) in providers.enumerated() {
                let service = SecretService(store: store, keys: provider, redactor: Redactor(), cacheTTL: ttl)
                let name = "s\(index)"
                _ = try await service.create(in: TenantID("t"), name: name, value: "bench-secret-value-\(index)", vault: nil)
                let n = label == "transit-uncached" ? min(count, 2_000) : count
                var samples: [Int64] = []
                samples.reserveCapacity(n)
                let clock = ContinuousClock()
                let start = clock.now
                for _ in 0..<n {
                    let t0 = clock.now
                    _ = try await service.resolve(in: TenantID("t"), name: name)
                    let (s, a) = (clock.now - t0).components
                    samples.append(s * 1_000_000_000 + a / 1_000_000_000)
                }
                let elapsed = clock.now - start
                samples.sort()
                let (es, ea) = elapsed.components
                let seconds = Double(es) + Double(ea) / 1e18
                let line: JSONValue = [
                    "bench": "secret-resolution", "provider": .string(label), "resolutions": .int(Int64(n)),
                    "per_second": .int(Int64(Double(n) / seconds)),
                    "p50_us": .double(Double(samples[samples.count / 2]) / 1000), "p99_us": .double(Double(samples[samples.count * 99 / 100]) / 1000),
                ]
                print(line.serialized())
            }
        }
    }
}
