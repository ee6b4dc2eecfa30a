import Foundation
import JSON
import Logging
import Secrets
import Synchronization

/// Writes one JSON object per line: time, level, label, message, metadata and source.
///
/// Written here because swift-log ships no structured handler and the ecosystem's ones pull
/// in a whole observability stack; this is the few lines we need.
public struct JSONLogHandler: LogHandler {
    /// Where lines go; a lock keeps lines from different threads whole.
    public final class Sink: Sendable {
        private let lock = Mutex<Void>(())
        private let write: @Sendable ([UInt8]) -> Void

        public init(_ write: @escaping @Sendable ([UInt8]) -> Void) { self.write = write }

        /// Standard output.
        public static let standardOutput = Sink { bytes in
            bytes.withUnsafeBufferPointer { buffer in
                var offset = 0
                while offset < buffer.count {
                    let n = Foundation.write(1, buffer.baseAddress! + offset, buffer.count - offset)
                    if n <= 0 { break }
                    offset += n
                }
            }
        }

        func emit(_ bytes: [UInt8]) { lock.withLock { _ in write(bytes) } }
    }

    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let sink: Sink
    /// Masks secret values in every line (message and metadata).
    let redactor: Redactor?

    public init(label: String, level: Logger.Level = .info, sink: Sink = .standardOutput, redactor: Redactor? = nil) {
        self.label = label
        self.logLevel = level
        self.sink = sink
        self.redactor = redactor
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [String: JSONValue] = [
            "time": .string(Time.rfc3339(Int64((Date.now.timeIntervalSince1970 * 1000).rounded(.down)))),
            "level": .string(event.level.rawValue),
            "label": .string(label),
            "message": .string(event.message.description),
        ]
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { a, _ in a } }
        if let extra = event.metadata { merged.merge(extra) { _, b in b } }
        for (key, value) in merged { fields[key] = JSONLogHandler.json(value) }
        if event.level >= .warning { fields["source"] = .string("\(event.file):\(event.line)") }
        var line = JSONValue.object(fields)
        if let redactor { line = redactor.redact(line) }
        var bytes = line.serializedBytes()
        bytes.append(0x0A)
        sink.emit(bytes)
    }

    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let s): return .string(s)
        case .stringConvertible(let c): return .string(c.description)
        case .array(let a): return .array(a.map(json))
        case .dictionary(let d): return .object(d.mapValues(json))
        }
    }
}
