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
    public static let runSucceeded = RunEventType("RunSucceeded")
    public static let runFailed = RunEventType("RunFailed")
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
    /// `pending`, `running`, `succeeded` or `failed`.
    public var status: String = "pending"
    /// Values the node emitted, by output port.
    public var outputs: [String: JSONValue] = [:]
    public var error: String?
    /// How many times the node was started.
    public var attempts: Int = 0

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
        lastSeq = event.seq
        let data = (try? JSONValue.parse(event.data)) ?? [:]
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
        case .stepSucceeded:
            guard let node = event.nodeID else { return }
            nodes[node, default: NodeRunState()].status = "succeeded"
            nodes[node, default: NodeRunState()].outputs = data["outputs"]?.objectValue ?? [:]
            nodes[node, default: NodeRunState()].error = nil
        case .stepFailed:
            guard let node = event.nodeID else { return }
            nodes[node, default: NodeRunState()].status = "failed"
            nodes[node, default: NodeRunState()].error = data["error"]?.stringValue
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
