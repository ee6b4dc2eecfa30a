import JSON
import Policy
import Store

/// The kinds of event in a run's log.
public struct RunEventType: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let runCreated = RunEventType("RunCreated")
    public static let runStarted = RunEventType("RunStarted")
    public static let stepStarted = RunEventType("StepStarted")
    public static let stepSucceeded = RunEventType("StepSucceeded")
    public static let stepFailed = RunEventType("StepFailed")
    public static let stepSkipped = RunEventType("StepSkipped")
    public static let itemSucceeded = RunEventType("ItemSucceeded")
    public static let itemFailed = RunEventType("ItemFailed")
    public static let runSucceeded = RunEventType("RunSucceeded")
    public static let runFailed = RunEventType("RunFailed")
    public static let runRedriven = RunEventType("RunRedriven")
}

/// Where a run stands.
public struct RunStatus: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let queued = RunStatus("queued")
    public static let running = RunStatus("running")
    public static let succeeded = RunStatus("succeeded")
    public static let failed = RunStatus("failed")

    /// Whether the run has ended.
    public var isTerminal: Bool { self == .succeeded || self == .failed }
}

/// Where one node of a run stands.
public struct NodeRunState: Sendable, Equatable {
    /// `pending`, `running`, `succeeded`, `failed` or `skipped` (no input arrived: an
    /// upstream branch was not taken).
    public var status: String = "pending"
    /// Values the node emitted, by output port. A port without a value emitted nothing.
    public var outputs: [String: JSONValue] = [:]
    public var error: String?
    /// How many times the node was started.
    public var attempts: Int = 0
    /// How many of those attempts reported a failure. An attempt cut short by a crash of the
    /// server reported nothing: it is repeated without counting against `max_attempts`.
    public var failures: Int = 0
    /// The input of its latest attempt (redacted, possibly truncated).
    public var input: JSONValue?
    /// Outputs of the items (map elements, loop iterations, sub-workflow runs) that succeeded;
    /// a resumed step does not run them again.
    public var items: [Int: JSONValue] = [:]
    /// Errors of items that failed for good.
    public var itemErrors: [Int: String] = [:]

    public init(status: String = "pending", outputs: [String: JSONValue] = [:], error: String? = nil, attempts: Int = 0) {
        self.status = status
        self.outputs = outputs
        self.error = error
        self.attempts = attempts
    }
}

/// A run's state: a fold over its events, and nothing else.
public struct RunState: Sendable, Equatable {
    public var status: RunStatus = .queued
    public var input: JSONValue = .null
    public var nodes: [String: NodeRunState] = [:]
    public var error: String?
    /// Who started the run, as recorded in `RunCreated` (for step authorization).
    public var principal: JSONValue = .null
    /// Sequence number of the last event folded in.
    public var lastSeq: Int64 = 0

    public init() {}

    /// Folds events, in order, into a state.
    public static func fold(_ events: [RunEventRecord]) -> RunState {
        var state = RunState()
        for event in events { state.apply(event) }
        return state
    }

    /// Applies one event.
    public mutating func apply(_ event: RunEventRecord) {
        apply(event, data: (try? JSONValue.parse(event.data)) ?? [:])
    }

    /// Applies one event whose data is at hand, parsed (the engine's own event, just written):
    /// `data` must be what parsing `event.data` gives.
    mutating func apply(_ event: RunEventRecord, data: JSONValue) {
        lastSeq = event.seq
        switch RunEventType(event.type) {
        case .runCreated:
            status = .queued
            input = data["input"] ?? .null
            principal = data["principal"] ?? .null
        case .runStarted:
            status = .running
        case .stepStarted:
            guard let node = event.nodeID else { return }
            nodes[node, default: NodeRunState()].status = "running"
            nodes[node, default: NodeRunState()].attempts += 1
            if let input = data["input"] { nodes[node, default: NodeRunState()].input = input }
        case .stepSucceeded:
            guard let node = event.nodeID else { return }
            nodes[node, default: NodeRunState()].status = "succeeded"
            nodes[node, default: NodeRunState()].outputs = data["outputs"]?.objectValue ?? [:]
            nodes[node, default: NodeRunState()].error = nil
        case .stepFailed:
            guard let node = event.nodeID else { return }
            nodes[node, default: NodeRunState()].status = "failed"
            nodes[node, default: NodeRunState()].failures += 1
            nodes[node, default: NodeRunState()].error = data["error"]?.stringValue
        case .stepSkipped:
            guard let node = event.nodeID else { return }
            nodes[node, default: NodeRunState()].status = "skipped"
        case .itemSucceeded:
            guard let node = event.nodeID, let index = data["index"]?.intValue else { return }
            nodes[node, default: NodeRunState()].items[Int(index)] = data["output"] ?? .null
            nodes[node, default: NodeRunState()].itemErrors[Int(index)] = nil
        case .itemFailed:
            guard let node = event.nodeID, let index = data["index"]?.intValue else { return }
            nodes[node, default: NodeRunState()].itemErrors[Int(index)] = data["error"]?.stringValue ?? "failed"
        case .runRedriven:
            // The redriven node and everything downstream of it run again; items that
            // succeeded stay recorded, so a map only repeats its failed items.
            status = .queued
            error = nil
            for node in (data["reset"]?.arrayValue ?? []).compactMap(\.stringValue) {
                var fresh = NodeRunState()
                fresh.items = nodes[node]?.items ?? [:]
                fresh.attempts = 0
                nodes[node] = fresh
            }
        case .runSucceeded:
            status = .succeeded
        case .runFailed:
            status = .failed
            error = data["error"]?.stringValue
        default:
            break
        }
    }
}

/// The run's principal as recorded in its log, so that steps are authorized as the principal
/// that started the run, with the roles it had then.
public enum RunPrincipal {
    static func json(_ p: PrincipalInfo) -> JSONValue {
        [
            "type": .string(p.entity.type), "id": .string(p.entity.id), "tenant": p.tenant.map(JSONValue.string) ?? .null,
            "roles": .array(p.roles.sorted().map(JSONValue.string)), "groups": .array(p.groups.sorted().map(JSONValue.string)),
            "platform_admin": .bool(p.isPlatformAdmin),
        ]
    }

    static func info(_ json: JSONValue, fallback: String, tenant: String) -> PrincipalInfo {
        guard let type = json["type"]?.stringValue, let id = json["id"]?.stringValue else {
            // A run without a recorded principal (older log) acts with no roles.
            return PrincipalInfo(entity: EntityRef("Unknown", fallback), tenant: tenant, roles: [])
        }
        return PrincipalInfo(
            entity: EntityRef(type, id), tenant: json["tenant"]?.stringValue,
            roles: Set((json["roles"]?.arrayValue ?? []).compactMap(\.stringValue)),
            groups: Set((json["groups"]?.arrayValue ?? []).compactMap(\.stringValue)),
            isPlatformAdmin: json["platform_admin"]?.boolValue ?? false
        )
    }
}
