import Foundation
import JSON

/// `trigger.schedule`: starts the workflow on a cron schedule in a time zone. When the server
/// was down across fire times, `catch_up` decides what happens on restart: `none` skips them,
/// `latest` runs once for the most recent one, `all` runs once for each (at most
/// `max_catch_up`). Each fire time starts at most one run, whichever server instance sees it.
public struct ScheduleTriggerNode: NodeType {
    public init() {}
    public static let catchUpPolicies = ["none", "latest", "all"]
    public let descriptor = NodeTypeDescriptor(
        name: "trigger.schedule", title: "Schedule", category: "Triggers",
        description: "Starts the workflow at the times a cron expression names (5 fields, or 6 with seconds), in a time zone. The run input is `input` plus `scheduled_at`.",
        inputs: [], outputs: [PortSpec("out", description: "The run input, with scheduled_at (RFC 3339)")],
        configSchema: [
            "type": "object", "required": ["cron"], "additionalProperties": false,
            "properties": [
                "cron": ["type": "string", "minLength": 1, "maxLength": 256, "description": "Cron expression, e.g. \"*/5 * * * *\""],
                "timezone": ["type": "string", "maxLength": 64, "description": "IANA time zone (default UTC)"],
                "catch_up": ["enum": ["none", "latest", "all"], "description": "Fire times missed while the server was down (default latest)"],
                "max_catch_up": ["type": "integer", "minimum": 1, "maximum": 1000, "description": "At most this many missed runs with catch_up all (default 100)"],
                "input": ["type": "object", "description": "Input of every scheduled run"],
            ],
        ],
        mode: .trigger
    )

    public func check(config: JSONValue) async -> [WorkflowValidationError.Problem] {
        var problems: [WorkflowValidationError.Problem] = []
        if let cron = config["cron"]?.stringValue {
            do { _ = try CronSchedule(parsing: cron) } catch { problems.append(.init(field: "config.cron", message: error.description)) }
        }
        if let zone = config["timezone"]?.stringValue, TimeZone(identifier: zone) == nil {
            problems.append(.init(field: "config.timezone", message: "is not a known time zone"))
        }
        return problems
    }

    public func execute(config: JSONValue, input: [String: JSONValue], context: NodeContext) async throws -> [String: JSONValue] {
        ["out": input["in"] ?? [:]]
    }
}

/// `trigger.webhook`: starts the workflow when `POST /hooks/{tenant}/{path}` is called. With
/// `secret`, the request must carry an HMAC-SHA256 of its body keyed by that tenant secret, as
/// `sha256=<hex>` in `signature_header`.
public struct WebhookTriggerNode: NodeType {
    public init() {}
    public static let defaultSignatureHeader = "X-Flowgate-Signature-256"
    public let descriptor = NodeTypeDescriptor(
        name: "trigger.webhook", title: "Webhook", category: "Triggers",
        description: "Starts the workflow when POST /hooks/{tenant}/{path} is called; answers 202 with the run id. The run input is {body, headers, query}.",
        inputs: [], outputs: [PortSpec("out", description: "{body, headers, query} of the call")],
        configSchema: [
            "type": "object", "required": ["path"], "additionalProperties": false,
            "properties": [
                "path": ["type": "string", "minLength": 1, "maxLength": 128,
                         "description": "Path under /hooks/{tenant}/: letters, digits, '-', '_', '.' and '/'; unique in the tenant"],
                "secret": ["type": "string", "minLength": 1, "maxLength": 200, "description": "Name of the tenant secret that keys the HMAC-SHA256 signature"],
                "signature_header": ["type": "string", "minLength": 1, "maxLength": 100, "description": "Header carrying sha256=<hex> (default X-Flowgate-Signature-256)"],
            ],
        ],
        mode: .trigger
    )

    /// Whether a webhook path is acceptable: segments of `[A-Za-z0-9._-]`, no empty, `.` or
    /// `..` segment, no leading or trailing slash.
    public static func isValidPath(_ path: String) -> Bool {
        guard !path.isEmpty, path.utf8.count <= 128 else { return false }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        return segments.allSatisfy { segment in
            !segment.isEmpty && segment != "." && segment != ".."
                && segment.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }
        }
    }

    public func check(config: JSONValue) async -> [WorkflowValidationError.Problem] {
        if let path = config["path"]?.stringValue, !Self.isValidPath(path) {
            return [.init(field: "config.path", message: "must be segments of letters, digits, '.', '_' and '-' separated by '/'")]
        }
        return []
    }

    public func execute(config: JSONValue, input: [String: JSONValue], context: NodeContext) async throws -> [String: JSONValue] {
        ["out": input["in"] ?? [:]]
    }
}
