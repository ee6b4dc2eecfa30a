import Engine
import JSON
import Testing

@Suite struct WorkflowDefinitionTests {
    let validator = WorkflowValidator(registry: .builtIn)

    func definition(_ text: String) throws -> WorkflowDefinition {
        try WorkflowDefinition.decode(try JSONValue.parse(text))
    }

    @Test func defaultPortsAndRoundTrip() throws {
        let d = try definition(#"{"nodes":[{"id":"a","type":"core.set","config":{"fields":{"k":1}}},{"id":"b","type":"core.noop"}],"edges":[{"from":"a","to":"b"}]}"#)
        #expect(d.edges[0].from == .init(node: "a", port: "out"))
        #expect(d.edges[0].to == .init(node: "b", port: "in"))
        try validator.validate(d)
        #expect(try WorkflowDefinition.decode(d.json) == d)
    }

    @Test func yamlImportReadsTheSameShape() throws {
        let yaml = """
        nodes:
          - id: a
            type: core.set
            config:
              fields: {count: 3, ratio: 0.5, on: true, name: "x"}
          - {id: b, type: core.noop}
        edges:
          - {from: a.out, to: b.in}
        """
        let d = try WorkflowDefinition.decodeYAML(yaml)
        #expect(d.nodes[0].config["fields"]?["count"] == .int(3))
        #expect(d.nodes[0].config["fields"]?["ratio"] == .double(0.5))
        #expect(d.nodes[0].config["fields"]?["name"] == .string("x"))
        try validator.validate(d)
    }

    @Test func yamlAliasBombsAreStopped() {
        var yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1..<12 { yaml += "a\(i): &a\(i) [*a\(i-1), *a\(i-1), *a\(i-1), *a\(i-1), *a\(i-1), *a\(i-1), *a\(i-1), *a\(i-1), *a\(i-1), *a\(i-1)]\n" }
        #expect(throws: WorkflowValidationError.self) { _ = try WorkflowDefinition.decodeYAML(yaml) }
    }

    @Test func shapeErrorsNameTheirPlace() {
        do {
            _ = try definition(#"{"nodes":[{"id":"a","type":"core.noop","config":[],"colour":"red"},{"type":"x"}],"edges":[{"from":1}],"extra":true}"#)
            Issue.record("accepted")
        } catch {
            let text = "\(error)"
            #expect(text.contains("definition.extra"))
            #expect(text.contains("node \"a\", field \"config\""))
            #expect(text.contains("node \"a\", field \"colour\": unknown field"))
            #expect(text.contains("nodes[1].id"))
            #expect(text.contains("edges[0]"))
        }
    }

    @Test func unknownTypesDanglingEdgesAndBadPortsAreNamed() throws {
        let d = try definition(#"{"nodes":[{"id":"a","type":"core.bogus"},{"id":"b","type":"core.noop"}],"edges":[{"from":"b","to":"zz"},{"from":"b.nope","to":"b.in"},{"from":"ghost","to":"b"}]}"#)
        do {
            try validator.validate(d)
            Issue.record("accepted")
        } catch {
            #expect(error.problems.contains { $0.node == "a" && $0.field == "type" })
            #expect(error.problems.contains { $0.edge == "b.out -> zz.in" && $0.message.contains("\"zz\" does not exist") })
            #expect(error.problems.contains { $0.port == "nope" && $0.node == "b" })
            #expect(error.problems.contains { $0.edge == "ghost.out -> b.in" })
        }
    }

    @Test func cyclesAreRefusedNamingANode() throws {
        let d = try definition(#"{"nodes":[{"id":"a","type":"core.noop"},{"id":"b","type":"core.noop"},{"id":"c","type":"core.noop"}],"edges":[{"from":"a","to":"b"},{"from":"b","to":"c"},{"from":"c","to":"b"}]}"#)
        do {
            try validator.validate(d)
            Issue.record("accepted")
        } catch {
            #expect(error.problems.count == 1)
            #expect(["b", "c"].contains(error.problems[0].node ?? ""))
            #expect(error.problems[0].message.contains("cycle"))
        }
    }

    @Test func configIsCheckedAgainstTheSchema() throws {
        let d = try definition(#"{"nodes":[{"id":"s","type":"core.set","config":{"fields":"nope","x":1}},{"id":"t","type":"core.set","config":{}}],"edges":[]}"#)
        do {
            try validator.validate(d)
            Issue.record("accepted")
        } catch {
            #expect(error.problems.contains { $0.node == "s" && $0.field == "config.fields" && $0.message.contains("must be object") })
            #expect(error.problems.contains { $0.node == "s" && $0.field == "config.x" })
            #expect(error.problems.contains { $0.node == "t" && $0.field == "config.fields" && $0.message == "is required" })
        }
    }

    @Test func idsAreChecked() throws {
        let d = try definition(#"{"nodes":[{"id":"a.b","type":"core.noop"},{"id":"x","type":"core.noop"},{"id":"x","type":"core.noop"}]}"#)
        do {
            try validator.validate(d)
            Issue.record("accepted")
        } catch {
            #expect(error.problems.contains { $0.node == "a.b" && $0.field == "id" })
            #expect(error.problems.contains { $0.node == "x" && $0.message.contains("more than one") })
        }
    }

    @Test func topologicalOrderFollowsEdgesThenDefinitionOrder() throws {
        let d = try definition(#"{"nodes":[{"id":"c","type":"core.noop"},{"id":"a","type":"core.noop"},{"id":"b","type":"core.noop"}],"edges":[{"from":"a","to":"c"},{"from":"b","to":"c"}]}"#)
        #expect(WorkflowValidator.topologicalOrder(d).order == ["a", "b", "c"])
    }
}

@Suite struct JSONSchemaValidatorTests {
    @Test func reportsEachViolationWithItsPath() throws {
        let schema = try JSONValue.parse(#"{"type":"object","required":["a"],"additionalProperties":false,"properties":{"a":{"type":"integer","minimum":1},"b":{"type":"array","items":{"type":"string"},"maxItems":2},"c":{"enum":["x","y"]}}}"#)
        let value = try JSONValue.parse(#"{"a":0,"b":["s",1,"t"],"c":"z","d":true}"#)
        let paths = Set(JSONSchemaValidator.validate(value, against: schema).map(\.path))
        #expect(paths == ["a", "b", "b[1]", "c", "d"])
        #expect(JSONSchemaValidator.validate(try JSONValue.parse(#"{"a":2}"#), against: schema).isEmpty)
    }
}
