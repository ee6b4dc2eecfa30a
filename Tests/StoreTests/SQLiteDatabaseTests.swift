import Foundation
import Logging
@testable import Store
import Testing

/// The embedded backend's own connection layer (statements called in place, cached by text).
@Suite struct SQLiteDatabaseTests {
    /// Hands a database file's path in a new folder to `body` and removes the folder afterwards.
    func withDatabasePath(_ body: (String) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flowgate-sqlite-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try await body(dir.appendingPathComponent("db.sqlite").path)
    }

    func withDatabase(_ body: (SQLiteDatabase) async throws -> Void) async throws {
        try await withDatabasePath { path in
            let db = try await SQLiteDatabase.open(path: path, readerCount: 2, logger: Logger(label: "test"))
            try await db.write { try await $0.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, s, b BLOB, u TEXT UNIQUE)") }
            try await body(db)
            await db.close()
        }
    }

    @Test func valuesRoundTripWithEmptyDistinctFromNull() async throws {
        try await withDatabase { db in
            let values: [SQLValue] = [.text(""), .blob([]), .null, .text("é\u{0}x"), .blob([0, 255]), .int(Int64.min), .double(-0.5)]
            try await db.write { ex in
                for (i, v) in values.enumerated() {
                    try await ex.execute("INSERT INTO t (id, s, b) VALUES (\(i), \(v), \(v))")
                }
            }
            let rows = try await db.read { try await $0.query("SELECT s, b FROM t ORDER BY id") }
            #expect(rows.map { $0["s"] } == values)
            #expect(rows.map { $0["b"] } == values)
        }
    }

    @Test func aUniqueViolationIsNamedAndRollsBackTheTransaction() async throws {
        try await withDatabase { db in
            try await db.write { try await $0.execute("INSERT INTO t (id, u) VALUES (1, 'x')") }
            await #expect(throws: StoreError.self) {
                try await db.write { ex in
                    try await ex.execute("INSERT INTO t (id, u) VALUES (2, 'y')")
                    try await ex.execute("INSERT INTO t (id, u) VALUES (3, 'x')")
                }
            }
            do {
                try await db.write { try await $0.execute("INSERT INTO t (id, u) VALUES (4, 'x')") }
                Issue.record("a duplicate was accepted")
            } catch let error as StoreError {
                #expect(error.isUniqueViolation)
                #expect(!"\(error)".contains("'x'"))
            }
            let ids = try await db.read { try await $0.query("SELECT id FROM t ORDER BY id") }.map { $0["id"] }
            #expect(ids == [.int(1)])
        }
    }

    @Test func moreStatementsThanTheCacheHoldsStayCorrect() async throws {
        try await withDatabase { db in
            // Distinct texts past the cache size (256), then the first ones again.
            for round in 0..<2 {
                for n in 0..<300 {
                    let rows = try await db.read { try await $0.query("SELECT \(n) + 1 AS v, '\(unsafeSQL: String(n))' AS w") }
                    #expect(rows.first?["v"] == .int(Int64(n + 1)), "round \(round)")
                    #expect(rows.first?["w"] == .text(String(n)))
                }
            }
        }
    }

    @Test func readersSeeCommittedDataWhileAWriteIsOpen() async throws {
        try await withDatabase { db in
            try await db.write { try await $0.execute("INSERT INTO t (id, s) VALUES (1, 'committed')") }
            try await db.write { ex in
                try await ex.execute("UPDATE t SET s = 'pending' WHERE id = 1")
                try await withThrowingTaskGroup(of: SQLValue.self) { group in
                    for _ in 0..<20 {
                        group.addTask { try await db.read { try await $0.query("SELECT s FROM t WHERE id = 1") }.first?["s"] ?? .null }
                    }
                    for try await seen in group { #expect(seen == .text("committed")) }
                }
            }
            let after = try await db.read { try await $0.query("SELECT s FROM t WHERE id = 1") }
            #expect(after.first?["s"] == .text("pending"))
        }
    }

    @Test func aClosedDatabaseRefusesWork() async throws {
        try await withDatabasePath { path in
            let db = try await SQLiteDatabase.open(path: path, logger: Logger(label: "test"))
            await db.close()
            await db.close()
            await #expect(throws: StoreError.self) { try await db.read { try await $0.query("SELECT 1 AS v") } }
            await #expect(throws: StoreError.self) { try await db.write { try await $0.query("SELECT 1 AS v") } }
        }
    }

    /// Opens a database in a new folder with one table `t (id, b)` and hands it and its path over.
    func withLoggedDatabase(_ body: (SQLiteDatabase, String) async throws -> Void) async throws {
        try await withDatabasePath { path in
            let db = try await SQLiteDatabase.open(path: path, readerCount: 2, logger: Logger(label: "test"))
            try await db.write { try await $0.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)") }
            try await body(db, path)
            let check = try await db.read { try await $0.query("PRAGMA integrity_check") }
            #expect(check.first?["integrity_check"] == .text("ok"))
            await db.close()
        }
    }

    /// Commits `count` rows of nearly a page each, one per transaction, from id `first` on,
    /// pausing a millisecond after every fifth: a steady writer, as a server's audit log has,
    /// rather than one that leaves no moment between commits.
    func commitRows(_ db: SQLiteDatabase, from first: Int, count: Int) async throws {
        let row = SQLValue.blob([UInt8](repeating: 7, count: 4000))
        for id in first..<(first + count) {
            try await db.write { try await $0.execute("INSERT INTO t (id, b) VALUES (\(id), \(row))") }
            if id % 5 == 4 { try await Task.sleep(for: .milliseconds(1)) }
        }
    }

    func logBytes(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size]) as? Int) ?? 0
    }

    /// Bytes of one page in the log (the page and its frame header).
    let frameBytes = 4096 + 24

    @Test func checkpointsRunBesideTheWriterAndTheLogStaysShort() async throws {
        try await withLoggedDatabase { db, path in
            // 8,000 commits of a page-sized row: over 10,000 pages through the log, past the
            // threshold (1,000 pages) again and again.
            var largestLog = 0
            for part in 0..<16 {
                try await commitRows(db, from: part * 500, count: 500)
                largestLog = max(largestLog, logBytes(path))
            }
            // Scheduled by the commits, the checkpoints run on another thread.
            var waited = 0
            while db.backgroundCheckpoints == 0, waited < 3000 {
                try await Task.sleep(for: .milliseconds(10))
                waited += 1
            }
            #expect(db.backgroundCheckpoints > 0, "no checkpoint ran beside the writer")
            // Copied into the database file, the log starts over: it stays near the threshold
            // instead of growing to the limit where the writer checkpoints everything itself
            // (10,000 pages).
            #expect(largestLog > 0)
            #expect(largestLog < 5000 * frameBytes, "the log grew to \(largestLog / frameBytes) pages")
            let count = try await db.read { try await $0.query("SELECT count(*) AS n FROM t") }
            #expect(count.first?["n"] == .int(8000))
        }
    }

    @Test func theWriterCopiesOnlyAShortTailOrPastTheLimit() {
        func step(_ pages: Int32, scheduled: Bool = false, last: (log: Int32, copied: Int32) = (0, 0)) -> SQLiteCheckpointer.Step {
            SQLiteCheckpointer.step(pages: pages, scheduled: scheduled, last: last, threshold: 1000, catchUp: 100, inlineLimit: 10_000)
        }
        #expect(step(999) == .nothing)
        #expect(step(1000) == .schedule)
        // One checkpoint at a time beside the writer.
        #expect(step(1200, scheduled: true) == .nothing)
        // After one, the writer copies a tail of up to 100 pages itself (so that its next
        // transaction starts the log over) and leaves a longer one to another checkpoint.
        #expect(step(1250, last: (1150, 1150)) == .checkpointHere)
        #expect(step(1251, last: (1150, 1150)) == .schedule)
        #expect(step(1250, last: (1150, 1100)) == .schedule)
        // A result about the log before it was started over counts for nothing.
        #expect(step(1100, last: (1500, 1500)) == .schedule)
        // Past the limit the writer checkpoints whatever runs beside it.
        #expect(step(10_000, scheduled: true) == .checkpointHere)
        #expect(step(12_000, last: (1000, 1000)) == .checkpointHere)
    }
}
