import FlowgateTesting
import Foundation
import Glibc
import JSON
import Testing

@testable import Engine

/// Where the tests find the worker executable and how they build runners.
enum JQTestSupport {
    /// The built `flowgate` binary (`FLOWGATE_BIN`, else `.build/debug/flowgate`), whose hidden
    /// `jq-worker` subcommand is the worker.
    static var workerPath: String { TestEnvironment.flowgateBinary.path }

    /// The arguments that select the worker subcommand.
    static let workerArguments = ["jq-worker"]

    /// Limits small enough that the resource tests finish in seconds.
    static let testLimits = JQWorkerLimits(memoryBytes: 256 << 20, cpuSecondsPerBatch: 20)

    /// Runs `body` with a fresh runner and shuts it down afterwards, also when `body` throws.
    static func withRunner<T>(
        workers: Int = 2,
        limits: JQWorkerLimits = testLimits,
        executable: String? = nil,
        _ body: (JQRunner) async throws -> T
    ) async throws -> T {
        let runner = JQRunner(configuration: .init(executablePath: executable ?? workerPath, arguments: workerArguments, workerCount: workers, limits: limits))
        do {
            let result = try await body(runner)
            await runner.shutdown()
            return result
        } catch {
            await runner.shutdown()
            throw error
        }
    }

    /// Whether a process with this pid exists (zombies included).
    static func processExists(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno != ESRCH
    }
}

/// Runs `body` and returns the JQError it throws, failing the test when it throws nothing else.
func jqError(_ body: () async throws -> Void) async -> JQError? {
    do {
        try await body()
        Issue.record("expected a JQError, got success")
        return nil
    } catch let error as JQError {
        return error
    } catch {
        Issue.record("expected a JQError, got \(error)")
        return nil
    }
}

// Serialized: several tests measure time or burn a core on purpose, and the machine has two.
@Suite(.serialized) struct JQRunnerTests {
    @Test func commonProgramsGiveJQsResults() async throws {
        try await JQTestSupport.withRunner { runner in
            let cases: [(String, JSONValue, [JSONValue])] = [
                (".a", ["a": 1], [1]),
                (".a.b", ["a": ["b": "deep"]], ["deep"]),
                (".[] | select(.x > 1)", [["x": 1], ["x": 2], ["x": 3]], [["x": 2], ["x": 3]]),
                ("map(.v) | add", [["v": 1], ["v": 2.5], ["v": 3]], [6.5]),
                ("@base64", "hello", ["aGVsbG8="]),
                (#""\(.name) is \(.age)""#, ["name": "ann", "age": 30], ["ann is 30"]),
                (".a, .b", ["a": 1, "b": [true, nil]], [1, [true, nil]]),
                ("empty", 1, []),
                ("{id, n: (.tags | length)}", ["id": "x", "tags": ["a", "b"]], [["id": "x", "n": 2]]),
                ("to_entries | map(.key) | sort", ["b": 1, "a": 2], [["a", "b"]]),
                ("[.[] | . * 2]", [1, 2, 3], [[2, 4, 6]]),
                (#"test("^a.c$")"#, "abc", [true]),
            ]
            for (program, input, expected) in cases {
                let outputs = try await runner.run(program, inputs: [input], timeout: .seconds(10))
                #expect(outputs == [expected], "program \(program)")
            }
            // A batch: one output list per input, in order.
            let batch = try await runner.run(".n * 10", inputs: (1...5).map { ["n": .int($0)] }, timeout: .seconds(10))
            #expect(batch == [[10], [20], [30], [40], [50]])
        }
    }

    @Test func runtimeErrorsAreReportedPerInput() async throws {
        try await JQTestSupport.withRunner { runner in
            let program = #"if .x == 2 then error("x is two") else .x end"#
            let inputs: [JSONValue] = [["x": 1], ["x": 2], ["x": 3]]
            let results = try await runner.evaluate(program, inputs: inputs, timeout: .seconds(10))
            #expect(results == [JQItemResult(outputs: [1]), JQItemResult(outputs: [], error: "x is two"), JQItemResult(outputs: [3])])

            let failure = await jqError { _ = try await runner.run(program, inputs: inputs, timeout: .seconds(10)) }
            #expect(failure?.code == .runtime)
            #expect(failure?.inputIndex == 1)
            #expect(failure?.message == "x is two")

            // Outputs before the error are kept; non-string errors come back as JSON.
            let mixed = try await runner.evaluate(#"1, error({code: 7})"#, inputs: [nil], timeout: .seconds(10))
            #expect(mixed == [JQItemResult(outputs: [1], error: #"{"code":7} (not a string)"#)])

            let indexing = try await runner.evaluate(".a.b", inputs: [["a": "text"]], timeout: .seconds(10))
            #expect(indexing.first?.error == #"Cannot index string with string "b""#)

            // halt_error reports its message; plain halt just ends the outputs.
            let halted = try await runner.evaluate(#"if . == "stop" then ("bye\n" | halt_error) elif . == "quiet" then halt else . end"#, inputs: ["stop", "quiet", "go"], timeout: .seconds(10))
            #expect(halted == [JQItemResult(outputs: [], error: "bye\n"), JQItemResult(outputs: []), JQItemResult(outputs: ["go"])])
        }
    }

    @Test func compileErrorsCarryJQsMessage() async throws {
        try await JQTestSupport.withRunner { runner in
            try await runner.compileCheck(".a | map(.b)")

            let syntax = await jqError { try await runner.compileCheck(".a |||") }
            #expect(syntax?.code == .compile)
            #expect(syntax?.message.contains("syntax error") == true)
            #expect(syntax?.message.contains("compile error") == true)

            let undefined = await jqError { _ = try await runner.run("foo(1)", inputs: [1], timeout: .seconds(10)) }
            #expect(undefined?.code == .compile)
            #expect(undefined?.message.contains("foo/1 is not defined") == true)
        }
    }

    @Test func programsCannotReachFilesOrTheServersEnvironment() async throws {
        try await JQTestSupport.withRunner { runner in
            for program in [#"include "/etc/passwd"; ."#, #"import "/etc/passwd" as $p; $p"#, #"import "passwd" as $p; $p"#] {
                let failure = await jqError { try await runner.compileCheck(program) }
                #expect(failure?.code == .compile)
                #expect(failure?.message.contains("module not found") == true, "program \(program)")
            }
            // The worker's environment is exactly the configured one.
            let environment = try await runner.run("$ENV | keys", inputs: [nil], timeout: .seconds(10))
            #expect(environment == [[["SWIFT_BACKTRACE"]]])
        }
    }

    @Test(arguments: ["last(range(1e12))", "def f: f; f"])
    func runawayProgramsAreStoppedByTheTimeout(program: String) async throws {
        try await JQTestSupport.withRunner(workers: 1) { runner in
            _ = try await runner.run(".", inputs: [1], timeout: .seconds(10))
            let before = runner.workerPIDs
            let start = ContinuousClock.now
            let failure = await jqError { _ = try await runner.run(program, inputs: [1], timeout: .milliseconds(300)) }
            let elapsed = ContinuousClock.now - start
            #expect(failure?.code == .timeout)
            // Generous: in a full parallel test run on two cores, synchronous tests can hold the
            // cooperative pool for many seconds; the runaway itself would run for hours.
            #expect(elapsed < .seconds(30), "took \(elapsed)")
            // The killed worker is gone and the next batch gets a fresh one.
            #expect(runner.workerPIDs.isEmpty)
            for pid in before { #expect(!JQTestSupport.processExists(pid)) }
            #expect(try await runner.run(".a", inputs: [["a": 5]], timeout: .seconds(10)) == [[5]])
            #expect(runner.workerPIDs.count == 1 && runner.workerPIDs != before)
        }
    }

    @Test func memoryBombsAreKilledByTheAddressSpaceLimit() async throws {
        try await JQTestSupport.withRunner(workers: 1) { runner in
            let start = ContinuousClock.now
            let failure = await jqError { _ = try await runner.run("[range(1e8)] | tostring", inputs: [nil], timeout: .seconds(60)) }
            #expect(failure?.code == .memoryLimit, "got \(String(describing: failure))")
            #expect(ContinuousClock.now - start < .seconds(30))
            let next = try await runner.run(". + 1", inputs: [1], timeout: .seconds(10))
            #expect(next == [[2]])
        }
    }

    @Test func theCPULimitIsABackstopBehindTheTimeout() async throws {
        let limits = JQWorkerLimits(memoryBytes: 256 << 20, cpuSecondsPerBatch: 1)
        try await JQTestSupport.withRunner(workers: 1, limits: limits) { runner in
            let failure = await jqError { _ = try await runner.run("last(range(1e12))", inputs: [nil], timeout: .seconds(60)) }
            #expect(failure?.code == .cpuLimit, "got \(String(describing: failure))")
            // The allowance is per batch: a worker that has used more than a second in total
            // keeps working.
            for _ in 0..<3 {
                let count = try await runner.run("[range(100000)] | length", inputs: [nil], timeout: .seconds(10))
                #expect(count == [[100000]])
            }
        }
    }

    @Test func crashesFailOnlyTheirBatch() async throws {
        try await JQTestSupport.withRunner(workers: 1) { runner in
            // Dumping a value nested 300000 deep overflows libjq's C stack.
            let failure = await jqError { _ = try await runner.run("reduce range(300000) as $i (0; [.]) | tostring", inputs: [nil], timeout: .seconds(30)) }
            #expect(failure?.code == .workerCrashed, "got \(String(describing: failure))")
            let next = try await runner.run(".", inputs: ["ok"], timeout: .seconds(10))
            #expect(next == [["ok"]])
        }
    }

    @Test func outputsAreCappedWithoutLosingTheWorker() async throws {
        let limits = JQWorkerLimits(memoryBytes: 256 << 20, cpuSecondsPerBatch: 20, maxOutputBytes: 1 << 20)
        try await JQTestSupport.withRunner(workers: 1, limits: limits) { runner in
            _ = try await runner.run(".", inputs: [1], timeout: .seconds(10))
            let pids = runner.workerPIDs
            let failure = await jqError { _ = try await runner.run("range(1e9)", inputs: [nil], timeout: .seconds(30)) }
            #expect(failure?.code == .outputTooLarge)
            #expect(runner.workerPIDs == pids)
            // Output nested deeper than the runner reads back is refused, the worker kept.
            let deep = await jqError { _ = try await runner.run("reduce range(200) as $i (0; [.])", inputs: [nil], timeout: .seconds(10)) }
            #expect(deep?.code == .invalidOutput)
            #expect(try await runner.run("length", inputs: ["abc"], timeout: .seconds(10)) == [[3]])
            #expect(runner.workerPIDs == pids)
        }
    }

    @Test func oversizedRequestsAreRefusedBeforeSending() async throws {
        let limits = JQWorkerLimits(maxRequestBytes: 1 << 10, maxProgramBytes: 100)
        try await JQTestSupport.withRunner(workers: 1, limits: limits) { runner in
            let longProgram = await jqError { try await runner.compileCheck(String(repeating: ".a | ", count: 50) + ".") }
            #expect(longProgram?.code == .inputTooLarge)
            let manyInputs = await jqError { _ = try await runner.run(".", inputs: Array(repeating: "0123456789", count: 200), timeout: .seconds(10)) }
            #expect(manyInputs?.code == .inputTooLarge)
            #expect(runner.workerPIDs.isEmpty)
        }
    }

    @Test func concurrentCallsAllGetTheirOwnResults() async throws {
        try await JQTestSupport.withRunner(workers: 2) { runner in
            try await withThrowingTaskGroup(of: Bool.self) { group in
                for task in 0..<16 {
                    group.addTask {
                        let inputs: [JSONValue] = (0..<50).map { ["n": .int(Int64(task * 1000 + $0))] }
                        let outputs = try await runner.run(".n * 2 + \(task)", inputs: inputs, timeout: .seconds(30))
                        return outputs == (0..<50).map { [.int(Int64((task * 1000 + $0) * 2 + task))] }
                    }
                }
                // A runaway in the middle of it only fails itself.
                group.addTask {
                    let failure = await jqError { _ = try await runner.run("last(range(1e12))", inputs: [nil], timeout: .milliseconds(500)) }
                    return failure?.code == .timeout
                }
                var successes = 0
                for try await ok in group where ok { successes += 1 }
                #expect(successes == 17)
            }
        }
    }

    @Test func cancellingTheCallerKillsTheBatch() async throws {
        try await JQTestSupport.withRunner(workers: 1) { runner in
            let start = ContinuousClock.now
            let failure = await withTaskGroup(of: (any Error)?.self) { group in
                group.addTask {
                    do {
                        _ = try await runner.run("last(range(1e12))", inputs: [nil], timeout: .seconds(60))
                        return nil
                    } catch {
                        return error
                    }
                }
                try? await Task.sleep(for: .milliseconds(300))
                group.cancelAll()
                return await group.next() ?? nil
            }
            #expect(failure is CancellationError, "got \(String(describing: failure))")
            // Generous: in a full parallel test run on two cores, synchronous tests can hold the
            // cooperative pool for many seconds; still well inside the batch's own 60 s timeout.
            #expect(ContinuousClock.now - start < .seconds(45))
            let next = try await runner.run(".", inputs: [true], timeout: .seconds(10))
            #expect(next == [[true]])
        }
    }

    @Test func shutdownKillsTheWorkers() async throws {
        let runner = JQRunner(configuration: .init(executablePath: JQTestSupport.workerPath, arguments: JQTestSupport.workerArguments, workerCount: 2))
        async let first = runner.run(".", inputs: [1], timeout: .seconds(10))
        async let second = runner.run(".", inputs: [2], timeout: .seconds(10))
        _ = try await (first, second)
        let pids = runner.workerPIDs
        #expect(!pids.isEmpty)
        await runner.shutdown()
        for pid in pids { #expect(!JQTestSupport.processExists(pid)) }
        let failure = await jqError { _ = try await runner.run(".", inputs: [1], timeout: .seconds(10)) }
        #expect(failure?.code == .shutDown)
    }

    @Test func aMissingWorkerExecutableIsACleanError() async throws {
        try await JQTestSupport.withRunner(executable: "/nonexistent/jq-worker") { runner in
            let failure = await jqError { try await runner.compileCheck(".") }
            #expect(failure?.code == .workerUnavailable)
        }
    }

    @Test func throughputOfSmallObjects() async throws {
        try await JQTestSupport.withRunner(workers: 2) { runner in
            let items: [JSONValue] = (0..<10_000).map { i in
                ["id": .int(Int64(i)), "v": .int(Int64(i % 97)), "name": .string("item-\(i)"), "ok": .bool(i % 2 == 0)]
            }
            let program = "select(.v % 3 == 0) | {id, name}"
            // The first batch pays for the compile (and the worker start).
            _ = try await runner.run(program, inputs: Array(items.prefix(10)), timeout: .seconds(30))
            let rounds = 5
            let start = ContinuousClock.now
            var outputs = 0
            for _ in 0..<rounds {
                let results = try await runner.run(program, inputs: items, timeout: .seconds(60))
                outputs = results.reduce(0) { $0 + $1.count }
            }
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let perSecond = Double(rounds * items.count) / seconds
            print("jq throughput: \(Int(perSecond)) items/s (10k small objects per batch, \(rounds) batches, one worker per batch)")
            #expect(outputs == items.filter { ($0["v"]?.intValue ?? 1) % 3 == 0 }.count)
            #expect(perSecond > 5_000)
        }
    }
}

@Suite struct JQWorkerIsolationTests {
    @Test func workersStartWithOnlyStandardDescriptorsAndTheirLimits() async throws {
        // A descriptor the server leaks without close-on-exec must not reach tenant code.
        let leaked = open("/etc/hostname", O_RDONLY)
        defer { close(leaked) }
        #expect(leaked > 2)
        try await JQTestSupport.withRunner(workers: 1) { runner in
            _ = try await runner.run(".", inputs: [1], timeout: .seconds(10))
            let pid = try #require(runner.workerPIDs.first)
            let descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").sorted()
            #expect(descriptors == ["0", "1", "2"])
            let limits = try String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8)
            // Lines read "Max address space   268435456   268435456   bytes": soft, hard, unit.
            func soft(_ name: String) -> String? {
                guard let line = limits.split(separator: "\n").first(where: { $0.hasPrefix(name) }) else { return nil }
                let fields = line.dropFirst(name.count).split(separator: " ")
                return fields.first.map(String.init)
            }
            #expect(soft("Max address space") == "268435456")
            #expect(soft("Max core file size") == "0")
            #expect(soft("Max file size") == "0")
            #expect(soft("Max open files") == "\(JQWorker.descriptorLimit)")
            // The CPU allowance is armed (finite) while the worker waits for the next batch.
            #expect(soft("Max cpu time").flatMap { Int($0) } != nil)
        }
    }
}

@Suite struct JQWireFormatTests {
    @Test func limitsRoundTripThroughTheCommandLine() throws {
        let limits = JQWorkerLimits(memoryBytes: 1 << 30, cpuSecondsPerBatch: 3, programCacheSize: 7, maxRequestBytes: 1000, maxOutputBytes: 2000, maxProgramBytes: 300)
        #expect(try JQWorkerLimits(arguments: limits.arguments) == limits)
        #expect(throws: JQWorkerLimits.ArgumentError.self) { try JQWorkerLimits(arguments: ["--memory-bytes=-1"]) }
        #expect(throws: JQWorkerLimits.ArgumentError.self) { try JQWorkerLimits(arguments: ["--max-output-bytes=\(1 << 40)"]) }
        #expect(throws: JQWorkerLimits.ArgumentError.self) { try JQWorkerLimits(arguments: ["--unknown=1"]) }
        #expect(throws: JQWorkerLimits.ArgumentError.self) { try JQWorkerLimits(arguments: ["positional"]) }
    }

    @Test func framesCarryTheirLength() throws {
        let frame = JQWireFormat.requestFrame(program: ".a", inputs: [["a": 1], "x"])
        let length = JQWireFormat.length(header: frame.prefix(JQWireFormat.headerSize))
        #expect(length == frame.count - JQWireFormat.headerSize)
        let payload = try JSONValue.parse(frame.dropFirst(JQWireFormat.headerSize))
        #expect(payload == ["program": ".a", "inputs": [["a": 1], "x"]])
        #expect(JQWireFormat.length(header: JQWireFormat.header(count: 0x0102_0304)) == 0x0102_0304)
    }

    @Test func malformedResponsesAreProtocolErrors() throws {
        func decode(_ text: String, inputs: Int) -> JQError? {
            do {
                _ = try JQWireFormat.decodeResponse(Array(text.utf8), inputCount: inputs, maxDepth: 10)
                return nil
            } catch {
                return error
            }
        }
        #expect(decode(#"{"results":[{"outputs":[1]}]}"#, inputs: 2)?.code == .protocolViolation)
        #expect(decode(#"{"results":[{"nope":1}]}"#, inputs: 1)?.code == .protocolViolation)
        #expect(decode("not json", inputs: 1)?.code == .invalidOutput)
        #expect(decode(#"{"compileError":"bad"}"#, inputs: 1)?.code == .compile)
        #expect(decode(#"{"error":"output limit: too much"}"#, inputs: 1)?.code == .outputTooLarge)
        #expect(decode(#"{"results":[{"outputs":[1],"error":"e"}]}"#, inputs: 1) == nil)
    }
}
