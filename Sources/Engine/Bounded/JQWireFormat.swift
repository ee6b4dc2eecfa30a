import JSON

/// The protocol between ``JQRunner`` and a ``JQWorker`` process.
///
/// Every message is a frame: a 4-byte big-endian length, then that many bytes of UTF-8 JSON.
/// Both sides check the length against their limit before allocating, so a confused or hostile
/// peer cannot make the other allocate gigabytes from a header.
///
/// Request:  `{"program": "<jq text>", "inputs": [<value>, ...]}` (no inputs: compile only)
/// Response: `{"results": [{"outputs": [...]}, {"outputs": [...], "error": "<message>"}, ...]}`
///           one result per input, in order; or `{"compileError": "<jq messages>"}`;
///           or `{"error": "<message>"}` when the whole batch was refused.
enum JQWireFormat {
    /// Size of the length prefix.
    static let headerSize = 4

    /// The length prefix for a payload of `count` bytes.
    static func header(count: Int) -> [UInt8] {
        let n = UInt32(truncatingIfNeeded: count)
        return [UInt8(n >> 24), UInt8((n >> 16) & 0xFF), UInt8((n >> 8) & 0xFF), UInt8(n & 0xFF)]
    }

    /// The payload length announced by a 4-byte header.
    static func length(header bytes: some Collection<UInt8>) -> Int {
        bytes.reduce(0) { ($0 << 8) | Int($1) }
    }

    /// A request frame (header included) for `program` over `inputs`.
    static func requestFrame(program: String, inputs: [JSONValue]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: headerSize)
        out.reserveCapacity(64 + program.utf8.count + inputs.count * 32)
        out.append(contentsOf: #"{"program":"#.utf8)
        JSONValue.writeString(program, into: &out)
        out.append(contentsOf: #","inputs":["#.utf8)
        for (index, input) in inputs.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            input.write(into: &out)
        }
        out.append(contentsOf: "]}".utf8)
        out.replaceSubrange(0..<headerSize, with: header(count: out.count - headerSize))
        return out
    }

    /// Decodes a response payload into one result per input.
    ///
    /// - Parameters:
    ///   - payload: the response frame without its header.
    ///   - inputCount: how many inputs the request carried; any other count is a protocol error.
    ///   - maxDepth: nesting accepted in outputs; the envelope (`{"results":[{"outputs":[`)
    ///     adds four levels on top.
    static func decodeResponse(_ payload: [UInt8], inputCount: Int, maxDepth: Int) throws(JQError) -> [JQItemResult] {
        let response: JSONValue
        do {
            response = try JSONValue.parse(payload, limits: JSONParseLimits(maxDepth: maxDepth + 4, rejectDuplicateKeys: false))
        } catch {
            throw JQError.invalidOutput("the jq outputs could not be read back: \(error.message)")
        }
        if let message = response["compileError"]?.stringValue {
            throw JQError.compile(message)
        }
        if let message = response["error"]?.stringValue {
            throw JQError.batchRefused(message)
        }
        guard let results = response["results"]?.arrayValue, results.count == inputCount else {
            throw JQError.protocolViolation("the jq worker answered with a malformed response")
        }
        var decoded: [JQItemResult] = []
        decoded.reserveCapacity(results.count)
        for result in results {
            guard let outputs = result["outputs"]?.arrayValue else {
                throw JQError.protocolViolation("the jq worker answered with a malformed result")
            }
            decoded.append(JQItemResult(outputs: outputs, error: result["error"]?.stringValue))
        }
        return decoded
    }
}
