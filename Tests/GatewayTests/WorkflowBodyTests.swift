import JSON
import Store
import Testing

@testable import Gateway

/// A workflow read writes its body around the cached serialized definition; the bytes must be
/// those of the whole object serialized, whatever the names, descriptions and definitions.
@Suite struct WorkflowBodyTests {
    @Test func theBodyIsTheSerializedObject() throws {
        let texts = ["", "plain", "quote \" backslash \\ newline \n tab \t", "ünïcödé ✓ 𝄞", "\u{0001}\u{001F}", "</script>"]
        let definitions: [JSONValue] = [
            try JSONValue.parse(#"{"nodes":[{"id":"a","type":"core.set","config":{"fields":{"z":1,"a":[true,null,2.5]}}}],"edges":[]}"#),
            .object([:]), .array([]), .string("odd but stored"),
        ]
        var rng = SystemRandomNumberGenerator()
        for name in texts {
            for description in texts.reversed() {
                for definition in definitions {
                    let w = WorkflowRecord(tenantID: TenantID("t"), id: "wf-\(name.count)", name: name, description: description,
                                           currentVersion: Int64.random(in: 1...1_000_000, using: &rng),
                                           createdAt: Int64.random(in: 0...4_000_000_000_000, using: &rng),
                                           updatedAt: Int64.random(in: 0...4_000_000_000_000, using: &rng))
                    let expected = Gateway.workflowJSON(w, definition: definition).serializedBytes()
                    #expect(Gateway.workflowBody(w, definition: definition.serializedBytes()) == expected)
                    #expect(try JSONValue.parse(String(decoding: expected, as: UTF8.self))["definition"] == definition)
                }
                let bare = WorkflowRecord(tenantID: TenantID("t"), id: "x", name: name, description: description, currentVersion: 1, createdAt: 0, updatedAt: 1)
                #expect(Gateway.workflowBody(bare, definition: nil) == Gateway.workflowJSON(bare, definition: nil).serializedBytes())
            }
        }
    }
}
