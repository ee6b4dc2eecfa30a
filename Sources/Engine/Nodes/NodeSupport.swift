import JSON

/// Reading the config keys several node types share: limits a node may lower, never raise.
enum NodeConfig {
    /// `timeout_ms` as a duration: the configured value, else `fallback`, never above `limit`.
    static func timeout(_ config: JSONValue, default fallback: Duration, limit: Duration) -> Duration {
        guard let ms = config["timeout_ms"]?.intValue, ms > 0 else { return min(fallback, limit) }
        return min(.milliseconds(ms), limit)
    }

    /// `max_output_bytes`: the configured value, never above the type's limit.
    static func maxOutputBytes(_ config: JSONValue, limit: Int) -> Int {
        guard let bytes = config["max_output_bytes"]?.intValue, bytes > 0 else { return limit }
        return min(Int(clamping: bytes), limit)
    }

    /// The schema of `timeout_ms` for a type whose limit is `limit`.
    static func timeoutSchema(limit: Duration, default fallback: Duration) -> JSONValue {
        [
            "type": "integer", "minimum": 1, "maximum": .int(milliseconds(limit)),
            "description": .string("Wall-clock limit in milliseconds (default \(milliseconds(fallback)); at most \(milliseconds(limit)))"),
        ]
    }

    /// The schema of `max_output_bytes` for a type whose limit is `limit`.
    static func maxOutputSchema(limit: Int) -> JSONValue {
        [
            "type": "integer", "minimum": 1, "maximum": .int(Int64(limit)),
            "description": .string("Largest output in bytes of JSON (default and maximum \(limit)); a larger one fails the step"),
        ]
    }

    /// The schema of a `headers` object: names to string values (`{{ secrets.x }}` allowed).
    static let headersSchema: JSONValue = [
        "type": "object", "additionalProperties": ["type": "string", "maxLength": 8192],
        "description": "Extra request headers, e.g. {\"Authorization\": \"Bearer {{ secrets.token }}\"}",
    ]

    /// The schema of an outbound `url`.
    static let urlSchema: JSONValue = ["type": "string", "minLength": 1, "maxLength": 4096, "description": "http:// or https:// URL"]

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}

/// Holding outputs to their size limit.
enum NodeOutput {
    /// Throws when `value` serializes to more than `limit` bytes: a step must not store or pass
    /// on more than its type allows, and failing is better than silently cutting data.
    static func checkSize(_ value: JSONValue, limit: Int) throws(NodeError) {
        let size = value.serializedBytes().count
        guard size <= limit else {
            throw NodeError("the output is \(size) bytes of JSON, more than the limit of \(limit) bytes")
        }
    }
}
