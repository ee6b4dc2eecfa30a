import ArgumentParser
import Foundation
import Policy

/// `flowgate policy ...`: the Cedar tools a tenant's CI uses, mirroring the reference CLI.
struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "Validate and try out Cedar policies.", subcommands: [Validate.self, Authorize.self, Check.self]
    )

    static func read(_ path: String) throws -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ValidationError("cannot read \(path)")
        }
    }

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate policies against a schema (exit 1 when invalid).")
        @Option(help: "Schema file (.cedarschema or JSON).") var schema: String
        @Option(help: "Policy file.") var policies: String

        func run() throws {
            let result = CedarEngine.validate(schema: try PolicyCommand.read(schema), policies: try PolicyCommand.read(policies))
            for message in result.messages { print(message) }
            if !result.ok { throw ExitCode(1) }
            print("policies are valid")
        }
    }

    struct Authorize: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decide requests; prints one JSON line {\"decision\",\"reason\",\"errors\"} per request."
        )
        @Option(help: "Policy file.") var policies: String
        @Option(help: "Entities JSON file.") var entities: String
        @Option(help: "Schema file (optional).") var schema: String?
        @Option(help: "A JSON file with one request or an array of them.") var requestJSON: String

        func run() throws {
            let lines = CedarEngine.authorize(
                policies: try PolicyCommand.read(policies), entities: try PolicyCommand.read(entities),
                schema: try schema.map(PolicyCommand.read), requestJSON: try PolicyCommand.read(requestJSON)
            )
            for line in lines { print(line) }
            if lines.contains(where: { $0.hasPrefix("{\"error\"") }) { throw ExitCode(1) }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a folder of tenant policies (*.cedar, one policy per file, id = file name) against Flowgate's schema."
        )
        @Argument(help: "The folder.") var directory: String

        func run() throws {
            let authorizer = try FlowgateAuthorizer()
            let files = (try? FileManager.default.contentsOfDirectory(atPath: directory))?.filter { $0.hasSuffix(".cedar") }.sorted() ?? []
            if files.isEmpty { throw ValidationError("no .cedar files in \(directory)") }
            var failures = 0
            for file in files {
                let id = String(file.dropLast(".cedar".count))
                let path = URL(fileURLWithPath: directory).appendingPathComponent(file).path
                do {
                    try authorizer.check(try PolicyCommand.read(path), id: id)
                    print("ok    \(file)")
                } catch let error as PolicyError {
                    failures += 1
                    print("FAIL  \(file):\(error.line ?? 0):\(error.column ?? 0): \(error.message)")
                }
            }
            print("\(files.count - failures) of \(files.count) policies valid")
            if failures > 0 { throw ExitCode(1) }
        }
    }
}
