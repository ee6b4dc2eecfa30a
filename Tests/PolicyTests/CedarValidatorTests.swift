import Testing

@testable import Policy

@Suite("Validator")
struct CedarValidatorTests {
    static let schema: Schema = {
        (try? Schema.parse(text: """
            entity Group;
            entity User in [Group] = { age: Long, nick?: String, tags: Set<String>, manager: User, score: decimal } tags String;
            entity Doc = { owner: User, public: Bool, meta?: { rev: Long } };
            entity Color enum ["red", "blue"];
            action view, edit appliesTo { principal: User, resource: Doc, context: { ip: ipaddr, n: Long } };
            action admin appliesTo { principal: Group, resource: Doc };
            """)) ?? Schema(entityTypes: [:], actions: [:])
    }()

    /// Each policy with the reference validator's verdict (recorded from cedarpy 4.12).
    static let cases: [(String, Bool)] = [
        ("permit(principal, action == Action::\"view\", resource) when { principal.age > 18 && resource.owner == principal };", true),
        ("permit(principal, action, resource) when { principal.nick == \"x\" };", false),
        ("permit(principal, action, resource) when { principal has nick && principal.nick == \"x\" };", true),
        ("permit(principal, action == Action::\"view\", resource) when { principal.nope };", false),
        ("permit(principal, action == Action::\"view\", resource) when { principal.age == \"x\" };", false),
        ("permit(principal, action == Action::\"view\", resource) when { 1 == \"x\" };", true),
        ("permit(principal == Nope::\"a\", action, resource);", false),
        ("permit(principal, action == Action::\"nope\", resource);", false),
        ("permit(principal, action, resource) when { [] == [] };", false),
        ("permit(principal, action, resource) when { ip(context.n) == context.ip };", false),
        ("permit(principal, action, resource) when { ip(\"bad\") == context.ip };", false),
        ("permit(principal, action, resource) when { context.ip.isInRange(ip(\"10.0.0.0/8\")) };", false),
        ("permit(principal is Group, action == Action::\"view\", resource);", false),
        ("permit(principal, action, resource) when { principal.tags.contains(1) };", false),
        ("permit(principal, action, resource) when { [1, \"a\"].contains(1) };", false),
        ("permit(principal, action, resource) when { if context.n > 0 then 1 else \"a\" };", false),
        ("permit(principal, action, resource) when { principal.getTag(\"t\") == \"x\" };", false),
        ("permit(principal, action, resource) when { principal.hasTag(\"t\") && principal.getTag(\"t\") == \"x\" };", true),
        ("permit(principal, action, resource) when { resource.meta.rev > 1 };", false),
        ("permit(principal, action, resource) when { resource has meta.rev && resource.meta.rev > 1 };", true),
        ("permit(principal, action, resource) when { Color::\"green\" == Color::\"red\" };", false),
        ("permit(principal, action, resource) when { false && principal.nope };", true),
        ("permit(principal, action, resource) when { principal.score.lessThan(decimal(\"1.0\")) };", false),
        ("permit(principal, action, resource) when { principal.score < decimal(\"1.0\") };", false),
        ("permit(principal, action, resource) when { principal in Group::\"g\" && principal.manager in principal };", false),
        ("permit(principal, action, resource) when { principal == resource };", true),
        ("permit(principal, action, resource) when { principal == {a: 1} };", false),
        ("forbid(principal, action in [Action::\"view\", Action::\"edit\"], resource is Doc) unless { context.n + 1 < 10 };", true),
        ("permit(principal, action, resource) when { principal has age };", true),
        ("permit(principal, action, resource) when { principal.age };", false)
    ]

    @Test("strict validation matches the reference on each case", arguments: cases)
    func verdict(_ policy: String, _ valid: Bool) throws {
        let issues = Validator(schema: Self.schema).validate(try CedarPolicySet(text: policy))
        #expect(issues.isEmpty == valid, "\(issues)")
    }

    @Test("issues name the policy")
    func issueIDs() throws {
        let set = try CedarPolicySet(text: """
            permit(principal, action == Action::"view", resource);
            @id("bad") permit(principal, action == Action::"view", resource) when { principal.nope };
            """)
        let issues = Validator(schema: Self.schema).validate(set)
        #expect(!issues.isEmpty)
        #expect(Set(issues.map(\.policyID)) == ["bad"])
    }
}
