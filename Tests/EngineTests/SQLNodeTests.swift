import JSON
import Testing

@testable import Engine

extension SQLBatchRunnerTests {
    /// The `sql` node. Nested in the serialized runner suite because one of its tests lowers
    /// the process-wide SQLite heap limit for a while, which would starve queries run beside it.
    @Suite struct NodeTests {
        static let items: [JSONValue] = [
            ["host": "a", "cpu": 10, "tags": ["env": "prod"]], ["host": "a", "cpu": 30, "tags": ["env": "prod"]],
            ["host": "b", "cpu": 5.5, "tags": ["env": "dev"]],
        ]

        @Test func queriesTheItemsTable() async throws {
            let executor = SQLBatchExecutor()
            defer { executor.shutdown() }
            let node = SQLNode(executor: executor)
            let rows = try await NodeTestSupport.run(node, [
                "query": "SELECT host, avg(cpu) AS cpu, json_extract(_json, '$.tags.env') AS env FROM items GROUP BY host ORDER BY host",
            ], .array(Self.items))
            #expect(rows == [["host": "a", "cpu": 20.0, "env": "prod"], ["host": "b", "cpu": 5.5, "env": "dev"]])
            // One object is one row; no input is an empty table.
            #expect(try await NodeTestSupport.run(node, ["query": "SELECT count(*) AS n FROM items"], ["x": 1]) == [["n": 1]])
            #expect(try await NodeTestSupport.run(node, ["query": "SELECT count(*) AS n FROM items"], .null) == [["n": 0]])
        }

        @Test func runawayQueriesStopAtTheirTimeLimit() async throws {
            let executor = SQLBatchExecutor()
            defer { executor.shutdown() }
            let node = SQLNode(executor: executor)
            let started = ContinuousClock.now
            let failure = await NodeTestSupport.failure {
                _ = try await NodeTestSupport.run(node, [
                    "query": "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT count(*) FROM r", "timeout_ms": 300,
                ], .array(Self.items))
            }
            #expect(failure?.isRetryable == false)
            #expect(failure?.message.hasPrefix("sql timeout") == true || failure?.message.hasPrefix("sql instructionLimit") == true,
                    "\(String(describing: failure))")
            // Generous: in a full parallel test run on two cores, synchronous tests can hold the
            // cooperative pool for many seconds; the runaway itself would run for hours.
            #expect(ContinuousClock.now - started < .seconds(60))
            // The executor serves the next step.
            #expect(try await NodeTestSupport.run(node, ["query": "SELECT 1 AS one"], .null) == [["one": 1]])
        }

        @Test func filesOtherDatabasesAndWritesAreDenied() async throws {
            let executor = SQLBatchExecutor()
            defer { executor.shutdown() }
            let node = SQLNode(executor: executor)
            for query in ["ATTACH DATABASE '/tmp/x.db' AS x", "SELECT * FROM sqlite_master", "DELETE FROM items", "PRAGMA table_info(items)"] {
                let failure = await NodeTestSupport.failure { _ = try await NodeTestSupport.run(node, ["query": .string(query)], .array(Self.items)) }
                #expect(failure?.message.hasPrefix("sql notAllowed") == true, "\(query): \(String(describing: failure))")
                #expect(await node.check(config: ["query": .string(query)]).map(\.field) == ["config.query"], "\(query)")
            }
            let noFunction = await NodeTestSupport.failure {
                _ = try await NodeTestSupport.run(node, ["query": "SELECT readfile('/etc/passwd')"], .array(Self.items))
            }
            #expect(noFunction?.message.contains("no such function") == true, "\(String(describing: noFunction))")
        }

        @Test func resultsAndInputsAreBounded() async throws {
            let executor = SQLBatchExecutor()
            defer { executor.shutdown() }
            let node = SQLNode(executor: executor)
            let tooMany = await NodeTestSupport.failure {
                _ = try await NodeTestSupport.run(node, ["query": "SELECT * FROM items", "max_rows": 2], .array(Self.items))
            }
            #expect(tooMany?.message == "sql tooManyRows: the query returned more than 2 rows")
            let tooBig = await NodeTestSupport.failure {
                _ = try await NodeTestSupport.run(node, ["query": "SELECT * FROM items", "max_output_bytes": 64], .array(Self.items))
            }
            #expect(tooBig?.message.contains("64 bytes") == true, "\(String(describing: tooBig))")
            let notItems = await NodeTestSupport.failure { _ = try await NodeTestSupport.run(node, ["query": "SELECT 1"], "text") }
            #expect(notItems?.message == "sql needs an array of items as input, got string")
        }

        @Test func queriesThatDoNotCompileAreReportedAtSaveTime() async throws {
            let executor = SQLBatchExecutor()
            defer { executor.shutdown() }
            let node = SQLNode(executor: executor)
            #expect(await node.check(config: ["query": "SELECT host, avg(cpu) FROM items GROUP BY host"]).isEmpty)
            let problems = await node.check(config: ["query": "SELECT host FROM items; SELECT 2"])
            #expect(problems.map(\.message) == ["is not a valid query: only one SQL statement is allowed"])
        }
    }
}
