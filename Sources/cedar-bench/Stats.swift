import JSON

/// Latency samples in nanoseconds and their summary as one JSON line.
struct LatencyStats {
    var samples: [Int64] = []

    mutating func add(_ ns: Int64) { samples.append(ns) }

    func percentile(_ p: Double) -> Int64 {
        guard !samples.isEmpty else { return 0 }
        let sorted = samples.sorted()
        let index = min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)
        return sorted[max(0, index)]
    }

    /// `{"bench": ..., "engine": ..., "requests": n, "p50_ns": ..., ...}`.
    func jsonLine(bench: String, engine: String, extra: [String: JSONValue] = [:]) -> String {
        let total = samples.reduce(0, +)
        let p50 = percentile(0.50)
        let p99 = percentile(0.99)
        var o: [String: JSONValue] = [
            "bench": .string(bench),
            "engine": .string(engine),
            "requests": .int(Int64(samples.count)),
            "p50_ns": .int(p50),
            "p99_ns": .int(p99),
            "p50_us": .double(Double(p50) / 1000),
            "p99_us": .double(Double(p99) / 1000),
            "mean_ns": .int(samples.isEmpty ? 0 : total / Int64(samples.count)),
            "decisions_per_sec": .int(total > 0 ? Int64(Double(samples.count) / (Double(total) / 1e9)) : 0),
        ]
        for (k, v) in extra { o[k] = v }
        return JSONValue.object(o).serialized()
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (s, a) = components
        return s * 1_000_000_000 + a / 1_000_000_000
    }
}
