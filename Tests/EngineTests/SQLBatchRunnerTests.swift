import Foundation
import JSON
import Testing

@testable import Engine

/// Runs `body` and returns the SQLBatchError it throws, failing the test otherwise.
func sqlError(_ body: () throws -> Void) -> SQLBatchError? {
    do {
        try body()
        Issue.record("expected a SQLBatchError, got success")
        return nil
    } catch let error as SQLBatchError {
        return error
    } catch {
        Issue.record("expected a SQLBatchError, got \(error)")
        return nil
    }
}

/// A batch of request events: service a/b/c, latency 1...n, every fifth one failed.
func events(_ count: Int) -> [JSONValue] {
    (1...count).map { i -> JSONValue in
        let service: JSONValue = .string(["a", "b", "c"][i % 3])
        let http: JSONValue = .object(["status": .int(i % 5 == 0 ? 500 : 200), "path": .string("/p/\(i % 4)")])
        let fields: [String: JSONValue] = [
            "service": service,
            "latency": .int(Int64(i)),
            "ok": .bool(i % 5 != 0),
            "weight": .double(Double(i) / 4),
            "http": http,
            "tags": .array([.string("t\(i % 2)")]),
        ]
        return .object(fields)
    }
}

// Serialized: the heap-limit test sets a process-wide SQLite setting that would make other
// SQL tests fail while it is in force.
@Suite(.serialized) struct SQLBatchRunnerTests {
    @Test func aggregationsGroupAndAverage() throws {
        let items = events(99)
        let rows = try SQLBatchRunner.run(
            query: "SELECT service, count(*) AS n, avg(latency) AS mean, max(latency) AS top, sum(ok) AS good FROM items GROUP BY service ORDER BY service",
            items: items
        )
        #expect(rows.count == 3)
        for (index, service) in ["a", "b", "c"].enumerated() {
            let latencies = (1...99).filter { ["a", "b", "c"][$0 % 3] == service }
            #expect(rows[index]["service"] == .string(service))
            #expect(rows[index]["n"] == .int(Int64(latencies.count)))
            #expect(rows[index]["mean"] == .double(Double(latencies.reduce(0, +)) / Double(latencies.count)))
            #expect(rows[index]["top"] == .int(Int64(latencies.max() ?? 0)))
            #expect(rows[index]["good"] == .int(Int64(latencies.filter { $0 % 5 != 0 }.count)))
        }
    }

    @Test func percentilesThroughOrderByLimitOffset() throws {
        let items = events(200).shuffled()
        let p90 = try SQLBatchRunner.run(
            query: """
                SELECT latency AS p90 FROM items ORDER BY latency
                LIMIT 1 OFFSET (SELECT CAST(count(*) * 0.9 AS INTEGER) FROM items)
                """,
            items: items
        )
        #expect(p90 == [["p90": 181]])
        let perService = try SQLBatchRunner.run(
            query: """
                SELECT service, latency AS median FROM (
                    SELECT service, latency,
                           row_number() OVER (PARTITION BY service ORDER BY latency) AS position,
                           count(*) OVER (PARTITION BY service) AS n
                    FROM items)
                WHERE position = n / 2 + 1 ORDER BY service
                """,
            items: items
        )
        #expect(perService == [["service": "a", "median": 102], ["service": "b", "median": 100], ["service": "c", "median": 101]])
    }

    @Test func valuesKeepTheirTypes() throws {
        let items: [JSONValue] = [
            ["i": 42, "d": 2.5, "s": "text", "t": true, "f": false, "n": nil, "o": ["k": [1, 2]], "a": [1, "x"], "z": "a\u{0}b"],
            ["i": 7, "extra": "only here"],
        ]
        let rows = try SQLBatchRunner.run(
            query: "SELECT i, d, s, t, f, n, o, a, z, extra, typeof(i) AS ti, typeof(d) AS td, typeof(t) AS tt, typeof(o) AS tob FROM items ORDER BY i DESC",
            items: items
        )
        #expect(rows.count == 2)
        #expect(rows[0]["i"] == 42)
        #expect(rows[0]["d"] == 2.5)
        #expect(rows[0]["s"] == "text")
        #expect(rows[0]["t"] == 1)
        #expect(rows[0]["f"] == 0)
        #expect(rows[0]["n"] == .null)
        // Objects and arrays are stored as JSON text; selected as-is they come back as text.
        #expect(rows[0]["o"] == #"{"k":[1,2]}"#)
        #expect(rows[0]["a"] == #"[1,"x"]"#)
        #expect(rows[0]["z"] == "a\u{0}b")
        #expect(rows[0]["extra"] == .null)
        #expect(rows[0]["ti"] == "integer" && rows[0]["td"] == "real" && rows[0]["tt"] == "integer" && rows[0]["tob"] == "text")
        #expect(rows[1]["extra"] == "only here")
        #expect(rows[1]["d"] == .null)
    }

    @Test func jsonFunctionsReachNestedValues() throws {
        let items = events(10)
        let extracted = try SQLBatchRunner.run(
            query: "SELECT json_extract(_json, '$.http.status') AS status, count(*) AS n FROM items GROUP BY status ORDER BY status",
            items: items
        )
        #expect(extracted == [["status": 200, "n": 8], ["status": 500, "n": 2]])

        // Text made by SQLite's JSON functions comes back as JSON, not as a string.
        let built = try SQLBatchRunner.run(
            query: "SELECT json_group_array(latency) AS all_latencies, json(tags) AS tags, json_object('p', http ->> '$.path') AS o FROM items WHERE latency = 3",
            items: items
        )
        #expect(built == [["all_latencies": [3], "tags": ["t1"], "o": ["p": "/p/3"]]])

        let each = try SQLBatchRunner.run(
            query: "SELECT value AS tag, count(*) AS n FROM items, json_each(items.tags) GROUP BY value ORDER BY value",
            items: items
        )
        #expect(each == [["tag": "t0", "n": 5], ["tag": "t1", "n": 5]])

        // Items that are not objects live in _json only.
        let scalars = try SQLBatchRunner.run(query: "SELECT _json, a FROM items", items: [1, "x", ["a": 1]])
        #expect(scalars == [["_json": "1", "a": nil], ["_json": #""x""#, "a": nil], ["_json": #"{"a":1}"#, "a": 1]])
    }

    @Test func clashingKeysStayReachableThroughJSON() throws {
        let rows = try SQLBatchRunner.run(
            query: "SELECT *, json_extract(_json, '$.a') AS lower, json_extract(_json, '$._json') AS inner FROM items",
            items: [["A": 2, "a": 1, "_json": 3]]
        )
        #expect(rows == [["A": 2, "_json": #"{"A":2,"_json":3,"a":1}"#, "lower": 1, "inner": 3]])
        let nul = try SQLBatchRunner.run(query: "SELECT ok, length(_json) AS n FROM items", items: [["ok": 1, "k\u{0}": 2]])
        #expect(nul == [["ok": 1, "n": .int(Int64(#"{"k\u0000":2,"ok":1}"#.utf8.count))]])
        let duplicates = try SQLBatchRunner.run(query: "SELECT 1 AS x, 2 AS x", items: [])
        #expect(duplicates == [["x": 1, "x:2": 2]])
        let tooMany = sqlError {
            _ = try SQLBatchRunner.run(query: "SELECT 1", items: [["a": 1, "b": 2, "c": 3, "d": 4, "e": 5]], limits: SQLBatchLimits(maxColumns: 4))
        }
        #expect(tooMany?.code == .invalidItems)
    }

    @Test func runawayRecursiveQueriesStopAtTheDeadline() throws {
        let start = ContinuousClock.now
        let failure = sqlError {
            _ = try SQLBatchRunner.run(
                query: "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT count(*) FROM r",
                items: events(10),
                limits: SQLBatchLimits(timeout: .milliseconds(200), maxInstructions: nil)
            )
        }
        let elapsed = ContinuousClock.now - start
        #expect(failure?.code == .timeout)
        #expect(elapsed < .seconds(2), "took \(elapsed)")
    }

    @Test func theInstructionBudgetStopsQueriesIndependentlyOfTime() throws {
        let failure = sqlError {
            _ = try SQLBatchRunner.run(
                query: "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT count(*) FROM r",
                items: [],
                limits: SQLBatchLimits(timeout: .seconds(60), maxInstructions: 2_000_000)
            )
        }
        #expect(failure?.code == .instructionLimit)
        // How fast the budget runs out here, for calibrating it.
        let start = ContinuousClock.now
        let timed = sqlError {
            _ = try SQLBatchRunner.run(
                query: "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT count(*) FROM r",
                items: [],
                limits: SQLBatchLimits(timeout: .seconds(60), maxInstructions: 20_000_000)
            )
        }
        let elapsed = ContinuousClock.now - start
        #expect(timed?.code == .instructionLimit)
        print("sql: 20M VM instructions in \(elapsed.formatted(.units(allowed: [.milliseconds])))")
        // Loading a batch does not count against the budget.
        let rows = try SQLBatchRunner.run(query: "SELECT count(*) AS n FROM items", items: events(5000), limits: SQLBatchLimits(maxInstructions: 200_000))
        #expect(rows == [["n": 5000]])
    }

    @Test func otherDatabasesAndFilesAreUnreachable() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sql-batch-\(UUID().uuidString).db").path
        let denied = [
            "ATTACH DATABASE '\(path)' AS other",
            "ATTACH 'file:\(path)?mode=rwc' AS other",
            "DETACH DATABASE main",
            "VACUUM INTO '\(path)'",
            "SELECT * FROM sqlite_master",
            "SELECT * FROM sqlite_temp_master",
            "SELECT count(*) FROM sqlite_master",
            "SELECT name FROM pragma_table_info('items')",
            "PRAGMA table_info(items)",
            "PRAGMA temp_store = FILE",
            "SELECT * FROM dbstat",
            "SELECT load_extension('/usr/lib/x86_64-linux-gnu/libsqlite3.so.0')",
            "SELECT fts3_tokenizer('simple')",
        ]
        for query in denied {
            let failure = sqlError { _ = try SQLBatchRunner.run(query: query, items: events(3)) }
            #expect(failure?.code == .notAllowed, "\(query): \(String(describing: failure))")
        }
        #expect(!FileManager.default.fileExists(atPath: path))
        let attach = sqlError { _ = try SQLBatchRunner.run(query: "ATTACH '\(path)' AS x", items: []) }
        #expect(attach?.message == "ATTACH and DETACH are not allowed")
    }

    @Test func writesAreDenied() throws {
        let denied = [
            "INSERT INTO items (_json) VALUES ('{}')",
            "UPDATE items SET latency = 0",
            "DELETE FROM items",
            "REPLACE INTO items (_json) VALUES ('{}')",
            "CREATE TABLE t (x)",
            "CREATE TEMP TABLE t AS SELECT * FROM items",
            "CREATE INDEX i ON items (latency)",
            "CREATE VIEW v AS SELECT 1",
            "DROP TABLE items",
            "ALTER TABLE items ADD COLUMN y",
            "BEGIN",
            "SAVEPOINT s",
            "ANALYZE",
            "WITH x AS (SELECT 1) INSERT INTO items (_json) SELECT '{}' FROM x",
        ]
        for query in denied {
            let failure = sqlError { _ = try SQLBatchRunner.run(query: query, items: events(3)) }
            #expect(failure?.code == .notAllowed, "\(query): \(String(describing: failure))")
        }
        let insert = sqlError { _ = try SQLBatchRunner.run(query: denied[0], items: []) }
        #expect(insert?.message.hasPrefix("writing is not allowed") == true)
    }

    @Test func exactlyOneStatementIsAccepted() throws {
        for query in ["SELECT 1; SELECT 2", "SELECT 1; DROP TABLE items", "SELECT 1; garbage here", ";;SELECT 1;SELECT 2"] {
            let failure = sqlError { _ = try SQLBatchRunner.run(query: query, items: []) }
            #expect(failure?.code == .multipleStatements, "\(query)")
        }
        for query in ["SELECT 1 AS one;", "SELECT 1 AS one; -- done", "  /* lead */ SELECT 1 AS one ;  \n", ";SELECT 1 AS one"] {
            #expect(try SQLBatchRunner.run(query: query, items: []) == [["one": 1]], "\(query)")
        }
        for query in ["", "   ", "-- nothing", ";"] {
            let failure = sqlError { _ = try SQLBatchRunner.run(query: query, items: []) }
            #expect(failure?.code == .emptyQuery, "\(query)")
        }
    }

    @Test func resultsAreCapped() throws {
        let series = "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r LIMIT 100000)"
        let rows = sqlError {
            _ = try SQLBatchRunner.run(query: "\(series) SELECT x FROM r", items: [], limits: SQLBatchLimits(maxResultRows: 1000))
        }
        #expect(rows?.code == .tooManyRows)
        let bytes = sqlError {
            _ = try SQLBatchRunner.run(query: "\(series) SELECT randomblob(1000) AS b FROM r", items: [], limits: SQLBatchLimits(maxResultBytes: 1 << 20))
        }
        #expect(bytes?.code == .resultTooLarge)
        // Exactly at the cap is fine.
        let exact = try SQLBatchRunner.run(query: "\(series) SELECT x FROM r LIMIT 1000", items: [], limits: SQLBatchLimits(maxResultRows: 1000))
        #expect(exact.count == 1000)
    }

    @Test func sqliteLimitsBoundValuesAndQueryShape() throws {
        let huge = sqlError { _ = try SQLBatchRunner.run(query: "SELECT length(zeroblob(100000000)) AS n", items: []) }
        #expect(huge?.code == .valueTooLarge)
        let concat = sqlError {
            _ = try SQLBatchRunner.run(
                query: "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r LIMIT 100) SELECT length(group_concat(hex(zeroblob(100000)))) FROM r",
                items: [],
                limits: SQLBatchLimits(maxValueBytes: 1 << 20)
            )
        }
        #expect(concat?.code == .valueTooLarge)
        let depth = sqlError {
            _ = try SQLBatchRunner.run(query: "SELECT " + Array(repeating: "1", count: 300).joined(separator: " + "), items: [])
        }
        #expect(depth?.code == .invalidQuery)
        #expect(depth?.message.contains("too large") == true)
        let pattern = sqlError {
            _ = try SQLBatchRunner.run(query: "SELECT 'x' LIKE '\(String(repeating: "%a", count: 1000))'", items: [])
        }
        #expect(pattern?.code == .runtime)
        #expect(pattern?.message.contains("pattern too complex") == true)
        let long = sqlError {
            _ = try SQLBatchRunner.run(query: "SELECT '\(String(repeating: "x", count: 70_000))'", items: [])
        }
        #expect(long?.code == .invalidQuery)
        let oversizedItem = sqlError {
            _ = try SQLBatchRunner.run(query: "SELECT 1", items: [["big": .string(String(repeating: "x", count: 2 << 20))]], limits: SQLBatchLimits(maxValueBytes: 1 << 20))
        }
        #expect(oversizedItem?.code == .invalidItems)
    }

    @Test func badSQLGetsSQLitesMessage() throws {
        let syntax = sqlError { _ = try SQLBatchRunner.run(query: "SELEC 1", items: []) }
        #expect(syntax?.code == .invalidQuery)
        #expect(syntax?.message == #"near "SELEC": syntax error"#)
        let column = sqlError { _ = try SQLBatchRunner.run(query: "SELECT nope FROM items", items: events(2)) }
        #expect(column?.message == "no such column: nope")
        let table = sqlError { _ = try SQLBatchRunner.run(query: "SELECT * FROM elsewhere", items: []) }
        #expect(table?.message == "no such table: elsewhere")
        let function = sqlError { _ = try SQLBatchRunner.run(query: "SELECT nofunc(1)", items: []) }
        #expect(function?.message == "no such function: nofunc")
    }

    @Test func compileCheckNeedsNoData() throws {
        try SQLBatchRunner.compileCheck("SELECT service, avg(latency) AS mean FROM items GROUP BY service")
        try SQLBatchRunner.compileCheck("SELECT i.latency, i.\"http\" ->> '$.status' FROM items AS i WHERE i.ok")
        try SQLBatchRunner.compileCheck("SELECT json_extract(_json, '$.a') FROM items", knownColumns: ["a"])
        let cases: [(String, SQLBatchError.Code, String?)] = [
            ("SELEC 1", .invalidQuery, #"near "SELEC": syntax error"#),
            ("SELECT * FROM other", .invalidQuery, "no such table: other"),
            ("WITH t AS (SELECT 1 AS x) SELECT y FROM t", .invalidQuery, "no such column: y"),
            ("SELECT 1; SELECT 2", .multipleStatements, nil),
            ("DELETE FROM items", .notAllowed, nil),
            ("ATTACH 'x.db' AS x", .notAllowed, nil),
        ]
        for (query, code, message) in cases {
            let failure = sqlError { try SQLBatchRunner.compileCheck(query) }
            #expect(failure?.code == code, "\(query)")
            if let message { #expect(failure?.message == message, "\(query)") }
        }
    }

    @Test func theProcessHeapLimitTurnsExhaustionIntoAnError() throws {
        let previous = SQLBatchRunner.setProcessHeapLimit(bytes: 32 << 20)
        defer { SQLBatchRunner.setProcessHeapLimit(bytes: previous) }
        let failure = sqlError {
            _ = try SQLBatchRunner.run(
                query: """
                    WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r LIMIT 2000000)
                    SELECT count(DISTINCT randomblob(32)) FROM r
                    """,
                items: [],
                limits: SQLBatchLimits(timeout: .seconds(60), maxInstructions: nil)
            )
        }
        #expect(failure?.code == .memoryLimit, "got \(String(describing: failure))")
        SQLBatchRunner.setProcessHeapLimit(bytes: previous)
        #expect(try SQLBatchRunner.run(query: "SELECT count(*) AS n FROM items", items: events(100)) == [["n": 100]])
    }

    @Test func tenThousandRows() throws {
        let items = events(10_000)
        let loadStart = ContinuousClock.now
        _ = try SQLBatchRunner.run(query: "SELECT 1", items: items)
        let load = ContinuousClock.now - loadStart
        let start = ContinuousClock.now
        let rows = try SQLBatchRunner.run(
            query: "SELECT service, count(*) AS n, avg(latency) AS mean, sum(json_extract(_json, '$.http.status') = 500) AS errors FROM items GROUP BY service ORDER BY service",
            items: items
        )
        let elapsed = ContinuousClock.now - start
        print("sql over 10k rows: load only \(load.formatted(.units(allowed: [.milliseconds]))), load + group by \(elapsed.formatted(.units(allowed: [.milliseconds])))")
        #expect(rows.count == 3)
        #expect(rows.reduce(0) { $0 + ($1["n"]?.intValue ?? 0) } == 10_000)
        #expect(rows.reduce(0) { $0 + ($1["errors"]?.intValue ?? 0) } == 2_000)
        #expect(elapsed < .seconds(5))
    }
}

@Suite struct SQLBatchExecutorTests {
    @Test func runsQueriesOffTheCooperativePool() async throws {
        let executor = SQLBatchExecutor(threadCount: 1)
        defer { executor.shutdown() }
        try await withThrowingTaskGroup(of: JSONValue?.self) { group in
            for n in 1...6 {
                group.addTask {
                    try await executor.run(query: "SELECT count(*) AS n FROM items", items: events(n * 10)).first?["n"]
                }
            }
            var counts: [Int64] = []
            for try await count in group { counts.append(count?.intValue ?? -1) }
            #expect(counts.sorted() == [10, 20, 30, 40, 50, 60])
        }
        try await executor.compileCheck("SELECT a FROM items")
        await #expect(throws: SQLBatchError.self) { try await executor.compileCheck("SELEC") }
    }

    @Test func cancellationStopsTheQuery() async throws {
        let executor = SQLBatchExecutor()
        defer { executor.shutdown() }
        let start = ContinuousClock.now
        let failure = await withTaskGroup(of: (any Error)?.self) { group in
            group.addTask {
                do {
                    _ = try await executor.run(
                        query: "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT count(*) FROM r",
                        items: [],
                        limits: SQLBatchLimits(timeout: .seconds(60), maxInstructions: nil)
                    )
                    return nil
                } catch {
                    return error
                }
            }
            try? await Task.sleep(for: .milliseconds(200))
            group.cancelAll()
            return await group.next() ?? nil
        }
        #expect(failure is CancellationError, "got \(String(describing: failure))")
        // Generous: in a full parallel test run on two cores, synchronous tests can hold the
        // cooperative pool for many seconds; still well inside the query's own 60 s timeout.
        #expect(ContinuousClock.now - start < .seconds(45))
        // The thread is free again.
        #expect(try await executor.run(query: "SELECT 2 AS two", items: []) == [["two": 2]])
    }
}
