import Crypto
import JSON

/// What is recorded about one request or run event, before it is chained.
public struct AuditRecord: Sendable, Equatable {
    /// The tenant whose chain the entry joins (``TenantID/platform`` for platform requests).
    public var tenant: TenantID
    public var at: Int64
    /// Who acted, e.g. `ApiToken::"<id>"` or `User::"<id>"`.
    public var principal: String
    /// What was attempted, e.g. `workflow.run`.
    public var action: String
    /// What it was attempted on, e.g. `Workflow::"<id>"`.
    public var resource: String
    /// `allow` or `deny`.
    public var decision: String
    /// The policies (or roles) that determined the decision, and any that errored.
    public var reasons: [String]
    /// `success`, `failure`, `denied`, `not_found`, ...
    public var outcome: String
    /// The HTTP status answered, or 0 for events outside a request.
    public var status: Int
    public var requestID: String
    public var sourceIP: String
    /// Further detail as a JSON object. Never holds secrets: callers pass redacted values.
    public var detail: JSONValue

    public init(
        tenant: TenantID, at: Int64, principal: String, action: String, resource: String, decision: String,
        reasons: [String] = [], outcome: String, status: Int, requestID: String, sourceIP: String, detail: JSONValue = [:]
    ) {
        self.tenant = tenant
        self.at = at
        self.principal = principal
        self.action = action
        self.resource = resource
        self.decision = decision
        self.reasons = reasons
        self.outcome = outcome
        self.status = status
        self.requestID = requestID
        self.sourceIP = sourceIP
        self.detail = detail
    }
}

/// A chained audit entry as stored.
public struct AuditEntry: Sendable, Equatable {
    public var record: AuditRecord
    /// Position in the tenant's chain, from 1 without gaps.
    public var seq: Int64
    /// Hash of the previous entry (64 zeros for the first).
    public var prevHash: String
    /// SHA-256 over this entry's canonical form and `prevHash`.
    public var hash: String
}

/// The result of checking the chains.
public struct AuditVerification: Sendable, Equatable {
    /// The first entry found broken: tenant, position and why. `nil` when every chain is intact.
    public var firstBroken: (tenant: TenantID, seq: Int64, reason: String)?
    /// Entries checked.
    public var entriesChecked: Int
    /// Chains (tenants) checked.
    public var chainsChecked: Int

    public var isIntact: Bool { firstBroken == nil }

    public static func == (a: AuditVerification, b: AuditVerification) -> Bool {
        a.entriesChecked == b.entriesChecked && a.chainsChecked == b.chainsChecked
            && a.firstBroken?.tenant == b.firstBroken?.tenant && a.firstBroken?.seq == b.firstBroken?.seq
            && a.firstBroken?.reason == b.firstBroken?.reason
    }
}

/// The append-only, per-tenant hash-chained audit log.
///
/// Each entry's hash covers its canonical JSON form and the previous entry's hash; the newest
/// position and hash of each chain are kept in `audit_heads`, so editing, deleting or
/// truncating entries is detected by ``verify(_:)``.
public enum AuditLog {
    static let genesis = String(repeating: "0", count: 64)

    /// Appends records, chaining each onto its tenant's chain. Call inside a write transaction.
    @discardableResult
    public static func append(_ records: [AuditRecord], in db: any SQLExecutor) async throws -> [AuditEntry] {
        var heads: [TenantID: (seq: Int64, hash: String)] = [:]
        var entries: [AuditEntry] = []
        entries.reserveCapacity(records.count)
        for record in records {
            var head: (seq: Int64, hash: String)
            if let cached = heads[record.tenant] {
                head = cached
            } else {
                let lock = db.dialect == .postgres ? " FOR UPDATE" : ""
                let row = try await db.first(
                    "SELECT seq, hash FROM audit_heads WHERE tenant_id = \(record.tenant.rawValue)\(unsafeSQL: lock)"
                )
                head = try row.map { (try $0.int("seq"), try $0.string("hash")) } ?? (0, genesis)
            }
            let seq = head.seq + 1
            let json = StoredJSON(record)
            let hash = entryHash(record, json, seq: seq, prevHash: head.hash)
            var insert: SQLQuery = "INSERT INTO audit_log (tenant_id, \(unsafeSQL: rowColumns)) VALUES (\(record.tenant.rawValue), "
            appendRow(record, json, seq: seq, prevHash: head.hash, hash: hash, typed: false, to: &insert)
            insert.append(")")
            try await db.execute(insert)
            entries.append(AuditEntry(record: record, seq: seq, prevHash: head.hash, hash: hash))
            heads[record.tenant] = (seq, hash)
        }
        for (tenant, head) in heads {
            try await db.execute(
                """
                INSERT INTO audit_heads (tenant_id, seq, hash) VALUES (\(tenant.rawValue), \(head.seq), \(head.hash))
                ON CONFLICT (tenant_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash
                """
            )
        }
        return entries
    }

    /// Appends `records` of one tenant right after `head`, the chain head the caller saw last,
    /// in one PostgreSQL statement that moves the head only if it is still `head`; returns the
    /// entries, or `nil` with nothing written when another writer moved the head first (the
    /// caller then appends with ``append(_:in:)``, which locks and reads the head).
    ///
    /// Outside a transaction (``Store/writeStatement(_:)``) this is one round trip, and still
    /// atomic: the entries and the head move together or not at all.
    public static func append(_ records: [AuditRecord], after head: (seq: Int64, hash: String), in db: any SQLExecutor) async throws -> [AuditEntry]? {
        guard db.dialect == .postgres, let tenant = records.first?.tenant else { return nil }
        precondition(records.allSatisfy { $0.tenant == tenant }, "one tenant's records only")
        var entries: [AuditEntry] = []
        var previous = head
        var values: SQLQuery = ""
        for (offset, record) in records.enumerated() {
            let seq = previous.seq + 1
            let json = StoredJSON(record)
            let hash = entryHash(record, json, seq: seq, prevHash: previous.hash)
            values.append(offset == 0 ? "(" : ", (")
            appendRow(record, json, seq: seq, prevHash: previous.hash, hash: hash, typed: true, to: &values)
            values.append(")")
            entries.append(AuditEntry(record: record, seq: seq, prevHash: previous.hash, hash: hash))
            previous = (seq, hash)
        }
        let statement: SQLQuery = """
            WITH head AS (
                UPDATE audit_heads SET seq = \(previous.seq), hash = \(previous.hash)
                WHERE tenant_id = \(tenant.rawValue) AND seq = \(head.seq) AND hash = \(head.hash)
                RETURNING tenant_id
            )
            INSERT INTO audit_log (tenant_id, \(unsafeSQL: rowColumns))
            SELECT head.tenant_id, v.* FROM head, (VALUES \(values)) AS v(\(unsafeSQL: rowColumns))
            RETURNING seq
            """
        // Small groups, the usual ones, keep their few texts prepared: parsing and planning
        // took most of this statement's time on the server.
        let rows = try await db.query(records.count <= 8 ? statement.prepared() : statement)
        return rows.count == records.count ? entries : nil
    }

    /// The columns of an audit row after `tenant_id`, in the order ``appendRow(_:_:seq:prevHash:hash:typed:to:)`` gives them.
    static let rowColumns = "seq, at, principal, action, resource, decision, reasons, outcome, status, request_id, source_ip, detail, prev_hash, hash"

    /// Appends the values of `record`'s row after its tenant, in ``rowColumns`` order, to
    /// `query`. `typed` casts each to its column's type, which a VALUES list inside a SELECT
    /// needs on PostgreSQL (nothing else tells it the types of the parameters).
    static func appendRow(
        _ record: AuditRecord, _ json: StoredJSON, seq: Int64, prevHash: String, hash: String, typed: Bool, to query: inout SQLQuery
    ) {
        let values: [(SQLValue, type: String)] = [
            (.int(seq), "BIGINT"), (.int(record.at), "BIGINT"), (.text(record.principal), "TEXT"), (.text(record.action), "TEXT"),
            (.text(record.resource), "TEXT"), (.text(record.decision), "TEXT"),
            (.text(json.reasons), "TEXT"), (.text(record.outcome), "TEXT"),
            (.int(Int64(record.status)), "BIGINT"), (.text(record.requestID), "TEXT"), (.text(record.sourceIP), "TEXT"),
            (.text(json.detail), "TEXT"), (.text(prevHash), "TEXT"), (.text(hash), "TEXT"),
        ]
        // Parts appended directly: this runs for every audited request.
        query.parts.reserveCapacity(query.parts.count + values.count * (typed ? 3 : 2))
        for (index, (value, type)) in values.enumerated() {
            if index > 0 { query.parts.append(.sql(", ")) }
            if typed {
                query.parts.append(.sql("CAST("))
                query.parts.append(.bind(value))
                query.parts.append(.sql(" AS \(type))"))
            } else {
                query.parts.append(.bind(value))
            }
        }
    }

    /// A record's reasons and detail as stored and hashed, serialized once for both.
    struct StoredJSON {
        let reasons: String
        let detail: String

        init(_ record: AuditRecord) {
            reasons = JSONValue.array(record.reasons.map { .string($0) }).serialized()
            detail = record.detail.serialized()
        }
    }

    static func entryHash(_ r: AuditRecord, seq: Int64, prevHash: String) -> String {
        entryHash(r, StoredJSON(r), seq: seq, prevHash: prevHash)
    }

    static func entryHash(_ r: AuditRecord, _ json: StoredJSON, seq: Int64, prevHash: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        func field(_ key: StaticString, _ first: Bool = false) {
            out.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
            out.append(UInt8(ascii: "\""))
            key.withUTF8Buffer { out.append(contentsOf: $0) }
            out.append(contentsOf: "\":".utf8)
        }
        field("action", true); JSONValue.writeString(r.action, into: &out)
        field("at"); out.append(contentsOf: String(r.at).utf8)
        field("decision"); JSONValue.writeString(r.decision, into: &out)
        field("detail"); out.append(contentsOf: json.detail.utf8)
        field("outcome"); JSONValue.writeString(r.outcome, into: &out)
        field("prev"); JSONValue.writeString(prevHash, into: &out)
        field("principal"); JSONValue.writeString(r.principal, into: &out)
        field("reasons"); out.append(contentsOf: json.reasons.utf8)
        field("request_id"); JSONValue.writeString(r.requestID, into: &out)
        field("resource"); JSONValue.writeString(r.resource, into: &out)
        field("seq"); out.append(contentsOf: String(seq).utf8)
        field("source_ip"); JSONValue.writeString(r.sourceIP, into: &out)
        field("status"); out.append(contentsOf: String(r.status).utf8)
        field("tenant"); JSONValue.writeString(r.tenant.rawValue, into: &out)
        out.append(UInt8(ascii: "}"))
        return SHA256.hash(data: out).withUnsafeBytes { Hex.encode($0) }
    }

    /// A page of a tenant's entries in chain order, after position `afterSeq`, optionally filtered.
    public static func page(
        tenant: TenantID, afterSeq: Int64, limit: Int, action: String? = nil, principal: String? = nil, outcome: String? = nil,
        in db: any SQLExecutor
    ) async throws -> [AuditEntry] {
        var query: SQLQuery = "SELECT * FROM audit_log WHERE tenant_id = \(tenant.rawValue) AND seq > \(afterSeq)"
        if let action { query.append(" AND action = \(action)") }
        if let principal { query.append(" AND principal = \(principal)") }
        if let outcome { query.append(" AND outcome = \(outcome)") }
        query.append(" ORDER BY seq LIMIT \(limit)")
        return try await db.query(query).map(entry(from:))
    }

    static func entry(from row: Row) throws -> AuditEntry {
        let reasonsText = try row.string("reasons")
        let detailText = try row.string("detail")
        // A row edited into unparsable JSON still has to be reported by verify, not crash it.
        let reasons = (try? JSONValue.parse(reasonsText))?.arrayValue?.compactMap(\.stringValue) ?? [reasonsText]
        let detail = (try? JSONValue.parse(detailText)) ?? .string(detailText)
        let record = AuditRecord(
            tenant: TenantID(try row.string("tenant_id")), at: try row.int("at"), principal: try row.string("principal"),
            action: try row.string("action"), resource: try row.string("resource"), decision: try row.string("decision"),
            reasons: reasons, outcome: try row.string("outcome"), status: Int(try row.int("status")),
            requestID: try row.string("request_id"), sourceIP: try row.string("source_ip"), detail: detail
        )
        return AuditEntry(record: record, seq: try row.int("seq"), prevHash: try row.string("prev_hash"), hash: try row.string("hash"))
    }

    /// Checks every chain: positions without gaps, each entry's hash, each link, and the head.
    /// Stops at the first broken entry.
    public static func verify(_ db: any SQLExecutor) async throws -> AuditVerification {
        var tenants = Set(try await db.query("SELECT DISTINCT tenant_id FROM audit_log").map { TenantID(try $0.string("tenant_id")) })
        var heads: [TenantID: (seq: Int64, hash: String)] = [:]
        for row in try await db.query("SELECT * FROM audit_heads") {
            let tenant = TenantID(try row.string("tenant_id"))
            heads[tenant] = (try row.int("seq"), try row.string("hash"))
            tenants.insert(tenant)
        }
        var checked = 0
        for tenant in tenants.sorted(by: { $0.rawValue < $1.rawValue }) {
            var expectedSeq: Int64 = 1
            var prev = genesis
            var afterSeq: Int64 = 0
            while true {
                let rows = try await db.query(
                    "SELECT * FROM audit_log WHERE tenant_id = \(tenant.rawValue) AND seq > \(afterSeq) ORDER BY seq LIMIT 1000"
                )
                if rows.isEmpty { break }
                for row in rows {
                    let seq = try row.int("seq")
                    let broken = { (reason: String) in
                        AuditVerification(firstBroken: (tenant, seq, reason), entriesChecked: checked, chainsChecked: heads.count)
                    }
                    if seq != expectedSeq {
                        return AuditVerification(
                            firstBroken: (tenant, expectedSeq, "entry is missing (next present entry is \(seq))"),
                            entriesChecked: checked, chainsChecked: heads.count
                        )
                    }
                    let entry: AuditEntry
                    do {
                        entry = try AuditLog.entry(from: row)
                    } catch {
                        return broken("entry is unreadable")
                    }
                    if entry.prevHash != prev { return broken("link to the previous entry is broken") }
                    if entryHash(entry.record, seq: seq, prevHash: entry.prevHash) != entry.hash {
                        return broken("content does not match its hash (edited)")
                    }
                    prev = entry.hash
                    expectedSeq += 1
                    afterSeq = seq
                    checked += 1
                }
            }
            let lastSeq = expectedSeq - 1
            guard let head = heads[tenant] else {
                return AuditVerification(firstBroken: (tenant, lastSeq, "chain head is missing"), entriesChecked: checked, chainsChecked: heads.count)
            }
            if head.seq > lastSeq {
                return AuditVerification(
                    firstBroken: (tenant, lastSeq + 1, "entries after \(lastSeq) are missing (chain head is at \(head.seq))"),
                    entriesChecked: checked, chainsChecked: heads.count
                )
            }
            if head.seq != lastSeq || head.hash != prev {
                return AuditVerification(
                    firstBroken: (tenant, lastSeq, "the last entry does not match the chain head (appended or edited outside the log)"),
                    entriesChecked: checked, chainsChecked: heads.count
                )
            }
        }
        return AuditVerification(firstBroken: nil, entriesChecked: checked, chainsChecked: tenants.count)
    }
}
