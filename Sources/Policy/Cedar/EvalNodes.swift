/// The evaluation form of an expression: a tree of final-class nodes, built once per policy.
///
/// Walking class nodes through `let` children lets the optimiser borrow each child instead of
/// retaining it, which matching on the payloads of an `indirect enum` does not; and common
/// shapes such as `principal.attr` or `principal in X` get nodes that go straight to the
/// request's stored entities. Semantics live in ``CedarEvaluator``; nodes only route to them.
class EvalNode: @unchecked Sendable {
    // `@unchecked` is sound: every subclass is final and has only `let` properties of Sendable
    // types, so a node is immutable after construction.

    func evaluate(_ e: CedarEvaluator) throws(CedarEvaluationError) -> CedarValue {
        throw .type("internal error: unknown expression node")
    }

    @inline(__always)
    final func evaluateBool(_ e: CedarEvaluator) throws(CedarEvaluationError) -> Bool {
        let v = try evaluate(e)
        guard case .bool(let b) = v else { throw .type(expected: "bool", got: v) }
        return b
    }

    /// Compiles an expression. Recursion depth is the tree height, which the parser bounds.
    static func compile(_ expr: CedarExpr) -> EvalNode {
        switch expr {
        case .literal(let v), .folded(let v, _): return LiteralNode(v)
        case .variable(let v): return VariableNode(v)
        case .ifThenElse(let c, let t, let f): return IfNode(compile(c), compile(t), compile(f))
        case .and(let l, let r): return AndNode(compile(l), compile(r))
        case .or(let l, let r): return OrNode(compile(l), compile(r))
        case .not(let x): return NotNode(compile(x))
        case .negate(let x): return NegateNode(compile(x))
        case .binary(let op, let l, let r):
            if op == .in, case .variable(let v) = l, v != .context { return VariableInNode(v, compile(r)) }
            return BinaryNode(op, compile(l), compile(r))
        case .isEmpty(let x): return IsEmptyNode(compile(x))
        case .getAttr(let x, let name):
            if case .variable(let v) = x, v != .context { return VariableAttributeNode(v, name) }
            return GetAttributeNode(compile(x), name)
        case .hasAttr(let x, let name):
            if case .variable(let v) = x, v != .context { return VariableHasNode(v, name) }
            return HasAttributeNode(compile(x), name)
        case .like(let x, let p): return LikeNode(compile(x), p)
        case .isType(let x, let t): return IsTypeNode(compile(x), t)
        case .set(let elements): return SetNode(elements.map(compile))
        case .record(let entries): return RecordNode(entries.map { ($0.0, compile($0.1)) })
        case .call(let f, let args): return CallNode(f, args.map(compile))
        }
    }
}

final class LiteralNode: EvalNode, @unchecked Sendable {
    let value: CedarValue
    init(_ value: CedarValue) { self.value = value }
    override func evaluate(_ e: CedarEvaluator) throws(CedarEvaluationError) -> CedarValue { value }
}

final class VariableNode: EvalNode, @unchecked Sendable {
    let variable: CedarVariable
    init(_ variable: CedarVariable) { self.variable = variable }
    override func evaluate(_ e: CedarEvaluator) throws(CedarEvaluationError) -> CedarValue {
        variable == .context ? e.contextValue : .entity(e.requestUID(variable))
    }
}

final class IfNode: EvalNode, @unchecked Sendable {
    let test: EvalNode, then: EvalNode, otherwise: EvalNode
    init(_ test: EvalNode, _ then: EvalNode, _ otherwise: EvalNode) {
        self.test = test
        self.then = then
        self.otherwise = otherwise
    }
    override func evaluate(_ e: CedarEvaluator) throws(CedarEvaluationError) -> CedarValue {
        try test.evaluateBool(e) ? try then.evaluate(e) : try otherwise.evaluate(e)
    }
}

final class AndNode: EvalNode, @unchecked Sendable {
    let left: EvalNode, right: EvalNode
    init(_ left: EvalNode, _ right: EvalNode) {
        self.left = left
        self.right = right
    }
    override func evaluate(_ e: CedarEvaluator) throws(CedarEvaluationError) -> CedarValue {
        guard try left.evaluateBool(e) else { return .bool(false) }
        return .bool(try right.evaluateBool(e))
    }
}

final class OrNode: EvalNode, @unchecked Sendable {
    let left: EvalNode, right: EvalNode
    init(_ left: EvalNode, _ right: EvalNode) {
        self.left = left
        self.right = right
    }
    override func evaluate(_ e: CedarEvaluator) throws(CedarEvaluationError) -> CedarValue {
        if try left.evaluateBool(e) { return .bool(true) }
        return .bool(try right.evaluateBool(e))
    }
}

final class NotNode: EvalNode, @unchecked Sendable {
    let operand: EvalNode
    init(_ operand: EvalNode) { self.operand = operand }
    override func evaluate(_ e: CedarEvaluator) throws(CedarEvaluationError) -> CedarValue {
        .bool(!(try operand.evaluateBool(e)))
    }
}

final class NegateNode: EvalNode, @unchecked Sendable {
    let operand: EvalNode
    init(_ operand: EvalNode) { self.operand = operand }
    override func evaluate(_ e: CedarEvaluator) throws(CedarEvaluationError) -> CedarValue {
        try e.negate(try operand.evaluate(e))
    }
}

final class BinaryNode: EvalNode, @unchecked Sendable {
    let op: CedarBinaryOp, left: EvalNode, right: EvalNode
    init(_ op: CedarBinaryOp, _ left: EvalNode, _ right: EvalNode) {
        self.op = op
        self.left = left
        self.right = right
    }
    override func evaluate(_ e: CedarEvaluator) throws(CedarEvaluationError) -> CedarValue {
        try e.binary(op, try left.evaluate(e), try right.evaluate(e))
    }
}

/// `principal in x` (or `action`/`resource`): ancestors come from the request's stored entity.
final class VariableInNode: EvalNode, @unchecked Sendable {
    let variable: CedarVariable, right: EvalNode
    init(_ variable: CedarVariable, _ right: EvalNode) {
        self.variable = variable
        self.right = right
    }
    override func evaluate(_ e: CedarEvaluator) throws(CedarEvaluationError) -> CedarValue {
        let r = try right.evaluate(e)
        let uid = e.requestUID(variable)
        let entry = e.requestEntry(variable)
        switch r {
        case .entity(let parent):
            return .bool(uid == parent || (entry?.hasAncestor(parent) ?? false))
        case .set(let s):
            var found = false
            for el in s {
                guard case .entity(let parent) = el else { throw .type(expected: "(entity of type `any_entity_type`)", got: el) }
                if !found && (uid == parent || (entry?.hasAncestor(parent) ?? false)) { found = true }
            }
            return .bool(found)
        default:
            throw .type(expected: "one of [set, (entity of type `any_entity_type`)]", got: r)
        }
    }
}

final class IsEmptyNode: EvalNode, @unchecked Sendable {
    let operand: EvalNode
    init(_ operand: EvalNode) { self.operand = operand }
    override func evaluate(_ e: CedarEvaluator) throws(CedarEvaluationError) -> CedarValue {
        let v = try operand.evaluate(e)
        guard case .set(let s) = v else { throw .type(expected: "set", got: v) }
        return .bool(s.isEmpty)
    }
}

/// `principal.attr` (or `action`/`resource`) read straight from the stored entity.
final class VariableAttributeNode: EvalNode, @unchecked Sendable {
    let variable: CedarVariable, key: AttributeKey
    init(_ variable: CedarVariable, _ name: String) {
        self.variable = variable
        self.key = AttributeKey(name)
    }
    override func evaluate(_ e: CedarEvaluator) throws(CedarEvaluationError) -> CedarValue {
        guard let entity = e.requestEntry(variable) else { throw .missingEntity(e.requestUID(variable)) }
        guard let a = entity.attribute(key) else {
            throw .missingAttribute("`\(e.requestUID(variable))` does not have the attribute `\(key.name)`")
        }
        return a
    }
}

final class GetAttributeNode: EvalNode, @unchecked Sendable {
    let operand: EvalNode, name: String
    init(_ operand: EvalNode, _ name: String) {
        self.operand = operand
        self.name = name
    }
    override func evaluate(_ e: CedarEvaluator) throws(CedarEvaluationError) -> CedarValue {
        try e.getAttr(try operand.evaluate(e), name)
    }
}

final class VariableHasNode: EvalNode, @unchecked Sendable {
    let variable: CedarVariable, key: AttributeKey
    init(_ variable: CedarVariable, _ name: String) {
        self.variable = variable
        self.key = AttributeKey(name)
    }
    override func evaluate(_ e: CedarEvaluator) throws(CedarEvaluationError) -> CedarValue {
        .bool(e.requestEntry(variable)?.attribute(key) != nil)
    }
}

final class HasAttributeNode: EvalNode, @unchecked Sendable {
    let operand: EvalNode, name: String
    init(_ operand: EvalNode, _ name: String) {
        self.operand = operand
        self.name = name
    }
    override func evaluate(_ e: CedarEvaluator) throws(CedarEvaluationError) -> CedarValue {
        try e.hasAttr(try operand.evaluate(e), name)
    }
}

final class LikeNode: EvalNode, @unchecked Sendable {
    let operand: EvalNode, pattern: LikePattern
    init(_ operand: EvalNode, _ pattern: LikePattern) {
        self.operand = operand
        self.pattern = pattern
    }
    override func evaluate(_ e: CedarEvaluator) throws(CedarEvaluationError) -> CedarValue {
        let v = try operand.evaluate(e)
        guard case .string(let s) = v else { throw .type(expected: "string", got: v) }
        return .bool(pattern.matches(s))
    }
}

final class IsTypeNode: EvalNode, @unchecked Sendable {
    let operand: EvalNode, type: String
    init(_ operand: EvalNode, _ type: String) {
        self.operand = operand
        self.type = type
    }
    override func evaluate(_ e: CedarEvaluator) throws(CedarEvaluationError) -> CedarValue {
        let v = try operand.evaluate(e)
        guard case .entity(let uid) = v else { throw .type(expected: "(entity of type `any_entity_type`)", got: v) }
        return .bool(uid.type == type)
    }
}

final class SetNode: EvalNode, @unchecked Sendable {
    let elements: [EvalNode]
    init(_ elements: [EvalNode]) { self.elements = elements }
    override func evaluate(_ e: CedarEvaluator) throws(CedarEvaluationError) -> CedarValue {
        var s = Set<CedarValue>(minimumCapacity: elements.count)
        for el in elements { s.insert(try el.evaluate(e)) }
        return .set(s)
    }
}

final class RecordNode: EvalNode, @unchecked Sendable {
    let entries: [(String, EvalNode)]
    init(_ entries: [(String, EvalNode)]) { self.entries = entries }
    override func evaluate(_ e: CedarEvaluator) throws(CedarEvaluationError) -> CedarValue {
        var r = [String: CedarValue](minimumCapacity: entries.count)
        for (k, v) in entries { r[k] = try v.evaluate(e) }
        return .record(r)
    }
}

final class CallNode: EvalNode, @unchecked Sendable {
    let function: CedarExtFunction, arguments: [EvalNode]
    init(_ function: CedarExtFunction, _ arguments: [EvalNode]) {
        self.function = function
        self.arguments = arguments
    }
    override func evaluate(_ e: CedarEvaluator) throws(CedarEvaluationError) -> CedarValue {
        var values: [CedarValue] = []
        values.reserveCapacity(arguments.count)
        for a in arguments { values.append(try a.evaluate(e)) }
        return try CedarEvaluator.applyExtension(function, values)
    }
}
