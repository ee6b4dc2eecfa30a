import Foundation
import JSON
import Logging
import Metrics
import Policy
import ServiceLifecycle
import Store

/// Schedule and webhook triggers: their rows are a projection of a workflow's current
/// definition, written in the same transaction as the version (``TriggerRepository``).
public enum Triggers {
    /// The trigger rows for a definition. Runs they start act as `principal`, whoever saved
    /// this version, with the roles they had then.
    public static func records(
        for definition: WorkflowDefinition, tenant: TenantID, workflowID: String, principal: PrincipalInfo, now: Int64
    ) -> [TriggerRecord] {
        definition.nodes.compactMap { node in
            let stored = JSONValue.object(["config": node.config, "principal": RunPrincipal.json(principal)]).serialized()
            switch node.type {
            case "trigger.schedule":
                let next = ScheduleSpec(node.config).flatMap { $0.next(after: now) }
                return TriggerRecord(tenantID: tenant, workflowID: workflowID, nodeID: node.id, kind: "schedule", config: stored, nextFireAt: next)
            case "trigger.webhook":
                return TriggerRecord(tenantID: tenant, workflowID: workflowID, nodeID: node.id, kind: "webhook", config: stored,
                                     webhookPath: node.config["path"]?.stringValue)
            default:
                return nil
            }
        }
    }

    /// The node config and principal a trigger row holds.
    public static func decode(_ record: TriggerRecord) -> (config: JSONValue, principal: PrincipalInfo) {
        let json = (try? JSONValue.parse(record.config)) ?? [:]
        return (json["config"] ?? [:], RunPrincipal.info(json["principal"] ?? .null, fallback: "trigger", tenant: record.tenantID.rawValue))
    }
}

/// A parsed `trigger.schedule` config.
struct ScheduleSpec {
    let cron: CronSchedule
    let zone: TimeZone
    let catchUp: String
    let maxCatchUp: Int
    let input: JSONValue

    init?(_ config: JSONValue) {
        guard let expression = config["cron"]?.stringValue, let cron = try? CronSchedule(parsing: expression),
              let zone = TimeZone(identifier: config["timezone"]?.stringValue ?? "UTC")
        else { return nil }
        self.cron = cron
        self.zone = zone
        catchUp = config["catch_up"]?.stringValue ?? "latest"
        maxCatchUp = Int(config["max_catch_up"]?.intValue ?? 100)
        input = config["input"] ?? [:]
    }

    func next(after millis: Int64) -> Int64? {
        cron.next(after: Date(timeIntervalSince1970: Double(millis) / 1000), in: zone).map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) }
    }

    /// The fire times from `first` (due, inclusive) up to `now` that should start runs.
    /// `grace` is how late a fire time may be and still count as on time rather than missed.
    func toFire(first: Int64, now: Int64, grace: Int64) -> [Int64] {
        var due = [first]
        var cursor = first
        var steps = 0
        var restarted = false
        // Fire times are strictly increasing. After a very long downtime only the most recent
        // ones can matter: past a bounded number of steps, the scan restarts a day before now.
        while let next = next(after: cursor), next <= now {
            steps += 1
            if steps > CronSchedule.maximumFireTimes, !restarted {
                restarted = true
                due = []
                cursor = now - 86_400_000
                continue
            }
            due.append(next)
            cursor = next
            if due.count > maxCatchUp + 1 { due.removeFirst() }
        }
        let onTime = due.filter { now - $0 <= grace }
        switch catchUp {
        case "none": return onTime
        case "all": return Array(due.suffix(maxCatchUp))
        default: return due.last.map { [$0] } ?? []
        }
    }
}

/// Starts the runs schedules ask for. Each fire time starts one run, with the idempotency key
/// `schedule:<node>:<time>`, before the schedule moves on: a crash in between re-fires the
/// same time on restart and the key makes that a no-op; two servers on one database start it
/// once. Missed fire times (the server was down) follow the schedule's `catch_up`.
public struct TriggerScheduler: Service {
    let engine: RunEngine
    let tick: Duration
    /// How late a fire time may be seen and still be on time (for `catch_up: none`).
    let grace: Duration

    public init(engine: RunEngine, tick: Duration = .seconds(1), grace: Duration = .seconds(30)) {
        self.engine = engine
        self.tick = tick
        self.grace = grace
    }

    public func run() async throws {
        await repeatUntilShutdown(every: tick, logger: engine.logger, failure: "scheduler pass failed") { try await fireDue() }
    }

    /// A fresh W3C trace id (32 lowercase hex digits, not all zero) for a run no request started.
    static func newTraceID() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = (generator.next() as UInt64) | 1
        return String(format: "%016llx%016llx", high, low)
    }

    /// One pass: starts the runs of every due schedule. Returns how many runs were started.
    @discardableResult
    public func fireDue() async throws -> Int {
        let store = engine.store
        let now = store.clock.nowMillis()
        let due = try await store.read { try await DueSchedules($0).list(dueAt: now, limit: 500) }
        let graceMillis = grace.components.seconds * 1000
        var started = 0
        for trigger in due {
            guard let expected = trigger.nextFireAt else { continue }
            let (config, principal) = Triggers.decode(trigger)
            guard let spec = ScheduleSpec(config) else {
                _ = try await store.write { try await TriggerRepository($0, tenant: trigger.tenantID).advance(
                    workflowID: trigger.workflowID, nodeID: trigger.nodeID, expected: expected, next: nil, firedAt: nil) }
                continue
            }
            let times = spec.toFire(first: expected, now: now, grace: graceMillis)
            for time in times {
                var input = spec.input.objectValue ?? [:]
                input["scheduled_at"] = .string(Date(timeIntervalSince1970: Double(time) / 1000).formatted(.iso8601))
                do {
                    let (_, created) = try await engine.startRun(
                        tenant: trigger.tenantID, workflowID: trigger.workflowID, input: .object(input),
                        idempotencyKey: "schedule:\(trigger.nodeID):\(time)", principal: principal, traceID: Self.newTraceID()
                    )
                    if created { started += 1 }
                    Counter(label: "flowgate_trigger_fires_total", dimensions: [("kind", "schedule")]).increment()
                } catch {
                    // A full queue or a deleted workflow: this fire time is lost, said loudly.
                    engine.logger.warning("scheduled run not started", metadata: [
                        "tenant": "\(trigger.tenantID)", "workflow": "\(trigger.workflowID)", "error": "\(error)",
                    ])
                    Counter(label: "flowgate_trigger_failures_total", dimensions: [("kind", "schedule")]).increment()
                }
            }
            let next = spec.next(after: max(now, times.last ?? expected))
            _ = try await store.write { try await TriggerRepository($0, tenant: trigger.tenantID).advance(
                workflowID: trigger.workflowID, nodeID: trigger.nodeID, expected: expected, next: next, firedAt: times.isEmpty ? nil : now) }
        }
        return started
    }
}

/// Deletes finished runs past each tenant's retention (`settings.retention`: `max_age_days`,
/// `max_runs`), periodically.
public struct RetentionService: Service {
    let engine: RunEngine
    let interval: Duration

    public init(engine: RunEngine, interval: Duration = .seconds(300)) {
        self.engine = engine
        self.interval = interval
    }

    public func run() async throws {
        await repeatUntilShutdown(every: interval, logger: engine.logger, failure: "run retention pass failed") { try await pruneAll() }
    }

    /// One pass over every tenant; returns how many runs were deleted.
    @discardableResult
    public func pruneAll() async throws -> Int {
        let store = engine.store
        let tenants = try await store.read { try await TenantRepository($0).list(limit: 100_000, afterSlug: nil) }
        var deleted = 0
        for tenant in tenants {
            guard let retention = RetentionSettings(settings: tenant.settings), !retention.isUnlimited else { continue }
            let cutoff = retention.maxAgeDays.map { store.clock.nowMillis() - $0 * 86_400_000 }
            while true {
                let n = try await store.write {
                    try await RunRepository($0, tenant: tenant.id).prune(createdBefore: cutoff, keepNewest: retention.maxRuns, limit: 200)
                }
                deleted += n
                if n < 200 { break }
            }
        }
        if deleted > 0 {
            Counter(label: "flowgate_runs_pruned_total").increment(by: deleted)
            engine.logger.info("pruned runs past retention", metadata: ["count": "\(deleted)"])
        }
        return deleted
    }
}

/// Runs `pass` now and then every `interval` until graceful shutdown; a failed pass is logged
/// as `failure` and the next one runs on time. The body of the periodic background services.
public func repeatUntilShutdown(every interval: Duration, logger: Logger, failure: String, _ pass: @escaping @Sendable () async throws -> Void) async {
    await cancelWhenGracefulShutdown {
        while !Task.isCancelled {
            do {
                try await pass()
            } catch {
                logger.warning("\(failure)", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }
}

/// A tenant's run retention, from its settings JSON.
public struct RetentionSettings: Sendable, Equatable {
    public var maxAgeDays: Int64?
    public var maxRuns: Int?

    public init(maxAgeDays: Int64? = nil, maxRuns: Int? = nil) {
        self.maxAgeDays = maxAgeDays
        self.maxRuns = maxRuns
    }

    public init?(settings: String) {
        guard let json = try? JSONValue.parse(settings), let retention = json["retention"] else { return nil }
        maxAgeDays = retention["max_age_days"]?.intValue
        maxRuns = retention["max_runs"]?.intValue.map(Int.init)
    }

    public var isUnlimited: Bool { maxAgeDays == nil && maxRuns == nil }

    public var json: JSONValue {
        ["max_age_days": maxAgeDays.map(JSONValue.int) ?? .null, "max_runs": maxRuns.map { .int(Int64($0)) } ?? .null]
    }
}
