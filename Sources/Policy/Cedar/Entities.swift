/// An entity: its identifier, attributes, direct parents and tags.
public struct Entity: Sendable {
    /// The entity's identifier.
    public let uid: EntityUID
    /// Attribute values.
    public let attributes: [String: CedarValue]
    /// Direct parents.
    public let parents: [EntityUID]
    /// Tag values.
    public let tags: [String: CedarValue]

    /// Creates an entity.
    public init(uid: EntityUID, attributes: [String: CedarValue] = [:], parents: [EntityUID] = [], tags: [String: CedarValue] = [:]) {
        self.uid = uid
        self.attributes = attributes
        self.parents = parents
        self.tags = tags
    }
}

/// An immutable entity store with the transitive ancestor set of every entity precomputed, so
/// `in` is one lookup however deep the hierarchy is.
///
/// Lookups are the hot path of authorization, so the store keeps its own open-addressing table
/// keyed by each ``EntityUID``'s precomputed hash (no hashing at lookup time) and keeps small
/// attribute maps and ancestor sets as arrays that are scanned linearly.
public struct Entities: Sendable {
    private let table: EntityTable
    /// The layers this store was built over (see ``init(_:over:)``), nearest first, looked up
    /// after `table`.
    private let bases: [EntityTable]

    /// An empty store.
    public init() {
        table = EntityTable([])
        bases = []
    }

    /// Builds a store; later duplicates of a uid are an error.
    public init(_ entities: [Entity]) throws(EntitiesError) {
        table = try Entities.table(entities, bases: [])
        bases = []
    }

    /// Builds a store of `entities` layered over `base`, whose entities and ancestor sets are
    /// shared rather than copied or computed again: layers built once (an application's roles
    /// and actions; a principal with its groups) cost nothing per request. Entities of `base`
    /// may be parents of the new ones, not the other way round. A uid in both, or twice in
    /// `entities`, is an error.
    public init(_ entities: [Entity], over base: Entities) throws(EntitiesError) {
        let bases = [base.table] + base.bases
        for e in entities where bases.contains(where: { $0.find(e.uid) != nil }) {
            throw .invalid("duplicate entity entry `\(e.uid)`")
        }
        table = try Entities.table(entities, bases: bases)
        self.bases = bases
    }

    private static func table(_ entities: [Entity], bases: [EntityTable]) throws(EntitiesError) -> EntityTable {
        var direct: [EntityUID: Entity] = [:]
        direct.reserveCapacity(entities.count)
        for e in entities {
            guard direct[e.uid] == nil else { throw .invalid("duplicate entity entry `\(e.uid)`") }
            direct[e.uid] = e
        }
        var memo: [EntityUID: Set<EntityUID>] = [:]
        var stored: [StoredEntity] = []
        stored.reserveCapacity(direct.count)
        for e in entities {
            stored.append(StoredEntity(e, ancestors: Entities.closure(e.uid, direct, bases, &memo)))
        }
        return EntityTable(stored)
    }

    /// Ancestors of `uid` through parents that are in the store (parents that are not still count,
    /// but contribute no ancestors of their own). Iterative to keep deep hierarchies off the stack.
    private static func closure(
        _ uid: EntityUID, _ direct: [EntityUID: Entity], _ bases: [EntityTable], _ memo: inout [EntityUID: Set<EntityUID>]
    ) -> Set<EntityUID> {
        if let m = memo[uid] { return m }
        var seen: Set<EntityUID> = []
        var stack = direct[uid]?.parents ?? []
        while let p = stack.popLast() {
            guard seen.insert(p).inserted else { continue }
            if let m = memo[p] {
                seen.formUnion(m)
            } else if let parent = direct[p] {
                stack.append(contentsOf: parent.parents)
            } else if let shared = Entities.find(p, in: bases) {
                // A base entity's ancestors are complete already.
                seen.formUnion(shared.ancestors)
            }
        }
        memo[uid] = seen
        return seen
    }

    @inline(__always)
    private func find(_ uid: EntityUID) -> StoredEntity? {
        if let own = table.find(uid) { return own }
        return bases.isEmpty ? nil : Entities.find(uid, in: bases)
    }

    private static func find(_ uid: EntityUID, in tables: [EntityTable]) -> StoredEntity? {
        for table in tables {
            if let found = table.find(uid) { return found }
        }
        return nil
    }

    /// The entity with this uid, if present.
    public func entity(_ uid: EntityUID) -> Entity? { find(uid)?.entity }

    /// The stored record, for the evaluator's fast paths.
    @inline(__always)
    func stored(_ uid: EntityUID) -> StoredEntity? { find(uid) }

    /// Transitive ancestors of `uid` (empty when absent).
    public func ancestors(of uid: EntityUID) -> Set<EntityUID> { Set(find(uid)?.ancestors ?? []) }

    /// Cedar's `in` on two entities: equal, or `ancestor` is a transitive parent of `descendant`.
    @inline(__always)
    public func isDescendant(_ descendant: EntityUID, of ancestor: EntityUID) -> Bool {
        if descendant == ancestor { return true }
        return find(descendant)?.hasAncestor(ancestor) ?? false
    }

    /// Number of entities.
    public var count: Int { bases.reduce(table.items.count) { $0 + $1.items.count } }

    /// All entities, in input order (the deepest layer's first).
    public var all: [Entity] { (bases.reversed() + [table]).flatMap { $0.items.map(\.entity) } }
}

/// One entity as stored: the entity plus lookup-friendly copies of its attributes and ancestors.
final class StoredEntity: Sendable {
    let uid: EntityUID
    let entity: Entity
    let ancestors: [EntityUID]
    /// Set form of `ancestors`, only for entities with many ancestors.
    let ancestorSet: Set<EntityUID>?
    let attributeNames: [String]
    let attributeHashes: [Int]
    let attributeValues: [CedarValue]

    init(_ entity: Entity, ancestors: Set<EntityUID>) {
        self.uid = entity.uid
        self.entity = entity
        self.ancestors = Array(ancestors)
        self.ancestorSet = ancestors.count > 16 ? ancestors : nil
        self.attributeNames = Array(entity.attributes.keys)
        self.attributeHashes = attributeNames.map(AttributeKey.hash)
        self.attributeValues = attributeNames.map { entity.attributes[$0] ?? .bool(false) }
    }

    @inline(__always)
    func hasAncestor(_ uid: EntityUID) -> Bool {
        if let set = ancestorSet { return set.contains(uid) }
        for a in ancestors where a == uid { return true }
        return false
    }

    /// Attribute lookup: a linear scan of short names beats hashing the key.
    @inline(__always)
    func attribute(_ name: String) -> CedarValue? {
        if attributeNames.count > 12 { return entity.attributes[name] }
        for i in attributeNames.indices where attributeNames[i] == name { return attributeValues[i] }
        return nil
    }

    /// Attribute lookup by a key whose hash was computed when the policy was compiled, so the
    /// scan compares integers and only confirms the name on a hash match.
    @inline(__always)
    func attribute(_ key: AttributeKey) -> CedarValue? {
        if attributeNames.count > 12 { return entity.attributes[key.name] }
        var i = 0
        while i < attributeHashes.count {
            if attributeHashes[i] == key.hash && attributeNames[i] == key.name { return attributeValues[i] }
            i += 1
        }
        return nil
    }
}

/// An attribute name with its hash precomputed (per process; Swift seeds hashing at launch).
struct AttributeKey: Sendable {
    let name: String
    let hash: Int

    init(_ name: String) {
        self.name = name
        self.hash = AttributeKey.hash(name)
    }

    static func hash(_ name: String) -> Int {
        var h = Hasher()
        h.combine(name)
        return h.finalize()
    }
}

/// Open-addressing hash table from entity uid to stored entity, probing by the uid's cached hash.
struct EntityTable: Sendable {
    let items: [StoredEntity]
    private let slots: [Int32]
    private let mask: Int

    init(_ items: [StoredEntity]) {
        self.items = items
        var capacity = 8
        while capacity < items.count * 2 { capacity <<= 1 }
        var slots = [Int32](repeating: -1, count: capacity)
        let mask = capacity - 1
        for (i, item) in items.enumerated() {
            var s = item.uid.hashCode & mask
            while slots[s] >= 0 { s = (s + 1) & mask }
            slots[s] = Int32(i)
        }
        self.slots = slots
        self.mask = mask
    }

    @inline(__always)
    func find(_ uid: EntityUID) -> StoredEntity? {
        var s = uid.hashCode & mask
        while true {
            let i = slots[s]
            if i < 0 { return nil }
            let item = items[Int(i)]
            if item.uid == uid { return item }
            s = (s + 1) & mask
        }
    }
}

/// Why entity or context JSON was refused.
public struct EntitiesError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable { case invalid, schema }
    private let code: Code
    /// What was wrong.
    public let message: String

    public var description: String { message }

    static func invalid(_ message: String) -> EntitiesError { .init(code: .invalid, message: message) }
    static func schema(_ message: String) -> EntitiesError { .init(code: .schema, message: message) }

    /// Whether the data disagreed with the schema (as opposed to being malformed).
    public var isSchemaViolation: Bool { code == .schema }
}
