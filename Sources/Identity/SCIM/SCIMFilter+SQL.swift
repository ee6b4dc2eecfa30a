import JSON
import Store

/// Translates checked filters and sort keys into SQL over the `users` and `groups` tables, for
/// SQLite and PostgreSQL.
///
/// Every literal and every JSON key becomes a bind parameter; the only text spliced in is
/// column names, aliases and operators chosen here. Attributes with their own column
/// (`id`, `externalId`, `userName`, `displayName`, `active`, `meta.created`,
/// `meta.lastModified`) compare on that column so the indexes of migration 100 serve the
/// lookups clients make (`userName eq`, `externalId eq`, `displayName eq`); the rest is read
/// from the stored SCIM document with `json_extract`/`json_each` (SQLite) or `jsonb`
/// operators and `jsonb_array_elements` (PostgreSQL). Group membership (`groups` on users,
/// `members` on groups) is an `EXISTS` over `group_members`.
///
/// Each term is guarded so that it is TRUE or FALSE, never NULL: `NOT` then means what it
/// means in the in-memory matcher, and absent attributes match nothing but `not (...)`.
struct SCIMSQLCompiler {
    let dialect: SQLDialect
    let type: SCIMResourceType
    /// The table alias of the resource row: `u` or `g`.
    let alias: String
    private var counter = 0

    init(dialect: SQLDialect, type: SCIMResourceType) {
        self.dialect = dialect
        self.type = type
        self.alias = type.storage == .user ? "u" : "g"
    }

    private var isPostgres: Bool { dialect == .postgres }

    /// The column an attribute lives in, when it has one.
    private enum Column {
        /// Text; `folded` when the column already holds ASCII-folded text.
        case text(String, folded: Bool, nullable: Bool)
        /// A Boolean stored as 0/1.
        case flag(String)
        /// A time stored as milliseconds since 1970.
        case millis(String)
        /// The same value on every row (`meta.resourceType`).
        case constant(String)
    }

    /// Where one element of a multi-valued attribute is, inside an `EXISTS`.
    private enum Element {
        /// A JSON array element: SQLite `json_each` alias, PostgreSQL `jsonb_array_elements` alias.
        case json(String)
        /// A `group_members` row joined to the other side (`groups` for a user's `groups`,
        /// `users` for a group's `members`).
        case membership(member: String, other: String)
    }

    // MARK: Filters

    /// The WHERE condition for a checked filter.
    mutating func condition(_ filter: SCIMCheckedFilter) throws(SCIMError) -> SQLQuery {
        try condition(filter, element: nil)
    }

    private mutating func condition(_ filter: SCIMCheckedFilter, element: Element?) throws(SCIMError) -> SQLQuery {
        switch filter {
        case .constant(let b): return b ? "(1=1)" : "(1=0)"
        case .and(let a, let b):
            let left = try condition(a, element: element)
            let right = try condition(b, element: element)
            return "(\(left) AND \(right))"
        case .or(let a, let b):
            let left = try condition(a, element: element)
            let right = try condition(b, element: element)
            return "(\(left) OR \(right))"
        case .not(let f):
            let inner = try condition(f, element: element)
            return "(NOT \(inner))"
        case .any(let path, let inner):
            return try exists(path, inner)
        case .term(let path, let predicate):
            if let element { return try elementTerm(path, predicate, element) }
            return try resourceTerm(path, predicate)
        }
    }

    private func column(for path: SCIMResolvedPath) -> Column? {
        guard let attribute = path.attribute else { return nil }
        let a = alias
        switch path.root {
        case .common:
            switch (attribute.name, path.subAttribute?.name) {
            case ("id", nil): return .text("\(a).id", folded: false, nullable: false)
            case ("externalId", nil): return .text("\(a).external_id", folded: false, nullable: true)
            case ("meta", "created"): return .millis("\(a).created_at")
            case ("meta", "lastModified"): return .millis("\(a).updated_at")
            case ("meta", "resourceType"): return .constant(type.id)
            default: return nil
            }
        case .core where path.subAttribute == nil:
            switch (type.storage, attribute.name) {
            case (.user, "userName"): return .text("u.user_name_ci", folded: true, nullable: false)
            case (.user, "displayName"): return .text("u.display_name", folded: false, nullable: true)
            case (.user, "active"): return .flag("u.active")
            case (.group, "displayName"): return .text("g.display_name_ci", folded: true, nullable: false)
            default: return nil
            }
        default:
            return nil
        }
    }

    private func isMembership(_ path: SCIMResolvedPath) -> Bool {
        guard path.root == .core, let name = path.attribute?.name else { return false }
        return (type.storage == .user && name == "groups") || (type.storage == .group && name == "members")
    }

    private mutating func resourceTerm(_ path: SCIMResolvedPath, _ predicate: SCIMFilterPredicate) throws(SCIMError) -> SQLQuery {
        guard let leaf = path.leaf else { throw .invalidFilter("a whole extension cannot be compared") }
        if path.root == .common, path.attribute?.name == "meta" {
            if path.subAttribute == nil, predicate == .present { return "(1=1)" }
            guard column(for: path) != nil else { throw .invalidFilter("\"\(path.displayName)\" cannot be filtered on") }
        }
        if let column = column(for: path) {
            return columnTerm(column, leaf, predicate)
        }
        guard path.root != .common else { throw .invalidFilter("\"\(path.displayName)\" cannot be filtered on") }
        return jsonTerm(base: .resource(path.attributeKeys + (path.subAttribute.map { [$0.name] } ?? [])), leaf, predicate)
    }

    private mutating func elementTerm(_ path: SCIMResolvedPath, _ predicate: SCIMFilterPredicate, _ element: Element) throws(SCIMError) -> SQLQuery {
        guard let leaf = path.leaf else { throw .invalidFilter("a whole extension cannot be compared") }
        switch element {
        case .json(let e):
            return jsonTerm(base: .element(e, path.subAttribute.map { [$0.name] } ?? []), leaf, predicate)
        case .membership(let member, let other):
            let user = type.storage == .user
            switch path.subAttribute?.name {
            case "value": return columnTerm(.text(user ? "\(member).group_id" : "\(member).user_id", folded: false, nullable: false), leaf, predicate)
            case "display":
                let display = user ? "\(other).name" : "COALESCE(\(other).display_name, \(other).user_name)"
                return columnTerm(.text(display, folded: false, nullable: true), leaf, predicate)
            case "type": return columnTerm(.constant(user ? "direct" : "User"), leaf, predicate)
            default: throw .invalidFilter("\"\(path.displayName)\" cannot be filtered on")
            }
        }
    }

    private mutating func exists(_ path: SCIMResolvedPath, _ inner: SCIMCheckedFilter) throws(SCIMError) -> SQLQuery {
        counter += 1
        if isMembership(path) {
            let m = "m\(counter)", o = "o\(counter)"
            let join: String
            let own: String
            if type.storage == .user {
                join = "LEFT JOIN groups \(o) ON \(o).tenant_id = \(m).tenant_id AND \(o).id = \(m).group_id"
                own = "\(m).tenant_id = u.tenant_id AND \(m).user_id = u.id"
            } else {
                join = "LEFT JOIN users \(o) ON \(o).tenant_id = \(m).tenant_id AND \(o).id = \(m).user_id"
                own = "\(m).tenant_id = g.tenant_id AND \(m).group_id = g.id"
            }
            let body = try condition(inner, element: .membership(member: m, other: o))
            return "EXISTS (SELECT 1 FROM group_members \(unsafeSQL: m) \(unsafeSQL: join) WHERE \(unsafeSQL: own) AND \(body))"
        }
        let e = "e\(counter)"
        let body = try condition(inner, element: .json(e))
        return "EXISTS (SELECT 1 FROM \(elements(of: path.attributeKeys, as: e)) WHERE \(body))"
    }

    /// The table-valued source of the elements of the JSON array at `keys`.
    private func elements(of keys: [String], as e: String, ordinality: Bool = false) -> SQLQuery {
        if isPostgres {
            let array = jsonExpression(.resource(keys), text: false)
            let source: SQLQuery = "jsonb_array_elements(CASE WHEN jsonb_typeof(\(array)) = 'array' THEN \(array) END)"
            return ordinality ? "\(source) WITH ORDINALITY AS \(unsafeSQL: e)(v, n)" : "\(source) AS \(unsafeSQL: e)(v)"
        }
        return "json_each(\(unsafeSQL: alias).scim, \(Self.sqlitePath(keys))) AS \(unsafeSQL: e)"
    }

    // MARK: Terms

    private func columnTerm(_ column: Column, _ leaf: SCIMAttribute, _ predicate: SCIMFilterPredicate) -> SQLQuery {
        switch column {
        case .constant(let value):
            return SCIMValues.satisfies(.string(value), predicate, caseExact: leaf.caseExact, type: leaf.type) ? "(1=1)" : "(1=0)"
        case .flag(let name):
            guard case .compare(let op, .bool(let b)) = predicate else { return "(1=1)" }
            return "\(unsafeSQL: name) \(unsafeSQL: op == .eq ? "=" : "<>") \(b ? 1 : 0)"
        case .millis(let name):
            guard case .compare(let op, .dateTime(let ms)) = predicate else { return "(1=1)" }
            return "\(unsafeSQL: name) \(unsafeSQL: Self.sqlOperator(op)) \(ms)"
        case .text(let name, let folded, let nullable):
            let expr = SQLQuery(stringLiteral: name)
            guard case .compare(let op, .string(let literal)) = predicate else {
                return nullable ? "(\(expr) IS NOT NULL AND \(expr) <> '')" : "\(expr) <> ''"
            }
            let comparison = textComparison(folded || leaf.caseExact ? expr : lower(expr), op, leaf.caseExact ? literal : SCIMText.fold(literal))
            return nullable ? "(\(expr) IS NOT NULL AND \(comparison))" : comparison
        }
    }

    /// Where a JSON value is read from.
    private enum JSONBase {
        /// Keys from the root of the row's SCIM document.
        case resource([String])
        /// Keys inside an array element (empty: the element itself).
        case element(String, [String])
    }

    private func jsonTerm(base: JSONBase, _ leaf: SCIMAttribute, _ predicate: SCIMFilterPredicate) -> SQLQuery {
        let text = jsonExpression(base, text: true)
        switch predicate {
        case .present:
            if leaf.type.isText { return "(\(text) IS NOT NULL AND \(text) <> '')" }
            return "(\(jsonExpression(base, text: false)) IS NOT NULL)"
        case .compare(let op, .string(let literal)):
            let comparison = textComparison(leaf.caseExact ? text : lower(text), op, leaf.caseExact ? literal : SCIMText.fold(literal))
            return "(\(text) IS NOT NULL AND \(comparison))"
        case .compare(let op, .dateTime(let ms)):
            // Stored dateTimes are canonical UTC text, which sorts in time order.
            return "(\(text) IS NOT NULL AND \(textComparison(text, op, SCIMDateTime.format(millis: ms))))"
        case .compare(let op, .bool(let b)):
            let wanted = (op == .eq) == b ? "true" : "false"
            return "(\(jsonType(base)) IS NOT NULL AND \(jsonType(base)) = \(wanted))"
        case .compare(let op, .number(let n)):
            if isPostgres {
                return "(CASE WHEN \(jsonType(base)) = 'number' THEN CAST(\(text) AS double precision) \(unsafeSQL: Self.sqlOperator(op)) \(n) ELSE FALSE END)"
            }
            return "(CASE WHEN \(jsonType(base)) IN ('integer', 'real') THEN \(jsonExpression(base, text: true)) \(unsafeSQL: Self.sqlOperator(op)) \(n) ELSE 0 END)"
        }
    }

    /// The JSON type name at `base`: SQLite's `json_type` (`true`, `false`, `integer`, ...) or
    /// PostgreSQL's `jsonb_typeof` (`boolean` folded to `true`/`false` via the value).
    private func jsonType(_ base: JSONBase) -> SQLQuery {
        if isPostgres {
            let json = jsonExpression(base, text: false)
            return "(CASE WHEN jsonb_typeof(\(json)) = 'boolean' THEN \(json) #>> '{}' ELSE jsonb_typeof(\(json)) END)"
        }
        switch base {
        case .resource(let keys): return "json_type(\(unsafeSQL: alias).scim, \(Self.sqlitePath(keys)))"
        case .element(let e, let keys): return keys.isEmpty ? "\(unsafeSQL: e).type" : "json_type(\(unsafeSQL: e).value, \(Self.sqlitePath(keys)))"
        }
    }

    /// The value at `base`: as text (strings unquoted) or as JSON (PostgreSQL `jsonb`; on
    /// SQLite `json_extract` gives SQL values either way).
    private func jsonExpression(_ base: JSONBase, text: Bool) -> SQLQuery {
        if isPostgres {
            var q: SQLQuery
            let keys: [String]
            switch base {
            case .resource(let k):
                q = "(\(unsafeSQL: alias).scim::jsonb)"
                keys = k
            case .element(let e, let k):
                q = SQLQuery(stringLiteral: "\(e).v")
                keys = k
            }
            if keys.isEmpty { return text ? "(\(q) #>> '{}')" : q }
            for (i, key) in keys.enumerated() {
                let last = i == keys.count - 1
                q = "\(q) \(unsafeSQL: last && text ? "->>" : "->") \(key)"
            }
            return "(\(q))"
        }
        switch base {
        case .resource(let keys): return "json_extract(\(unsafeSQL: alias).scim, \(Self.sqlitePath(keys)))"
        case .element(let e, let keys): return keys.isEmpty ? "\(unsafeSQL: e).value" : "json_extract(\(unsafeSQL: e).value, \(Self.sqlitePath(keys)))"
        }
    }

    /// ASCII case folding, the same on both backends (see ``SCIMText``).
    private func lower(_ expr: SQLQuery) -> SQLQuery {
        isPostgres ? "lower((\(expr)) COLLATE \"C\")" : "lower(\(expr))"
    }

    /// A string comparison; `expr` is already folded when the attribute is case-insensitive.
    private func textComparison(_ expr: SQLQuery, _ op: SCIMFilter.Operator, _ literal: String) -> SQLQuery {
        switch op {
        case .eq: return "\(expr) = \(literal)"
        case .ne: return "\(expr) <> \(literal)"
        case .co: return isPostgres ? "strpos(\(expr), \(literal)) > 0" : "instr(\(expr), \(literal)) > 0"
        case .sw: return isPostgres ? "starts_with(\(expr), \(literal))" : "substr(\(expr), 1, length(\(literal))) = \(literal)"
        case .ew:
            if isPostgres { return "right(\(expr), length(\(literal))) = \(literal)" }
            return "(length(\(expr)) >= length(\(literal)) AND substr(\(expr), length(\(expr)) - length(\(literal)) + 1) = \(literal))"
        case .gt, .ge, .lt, .le:
            // Byte order on both backends: SQLite's BINARY collation, PostgreSQL's "C".
            let collated: SQLQuery = isPostgres ? "(\(expr)) COLLATE \"C\"" : expr
            return "\(collated) \(unsafeSQL: Self.sqlOperator(op)) \(literal)"
        }
    }

    private static func sqlOperator(_ op: SCIMFilter.Operator) -> String {
        switch op {
        case .eq: return "="
        case .ne: return "<>"
        case .gt: return ">"
        case .ge: return ">="
        case .lt: return "<"
        case .le: return "<="
        case .co, .sw, .ew: return "="
        }
    }

    /// A SQLite JSON path with every key quoted (URN keys contain colons and dots).
    static func sqlitePath(_ keys: [String]) -> String {
        "$" + keys.map { ".\"" + $0 + "\"" }.joined()
    }

    // MARK: Sorting

    /// The ORDER BY clause for `sortBy` (or creation order), missing values last when
    /// ascending and first when descending (RFC 7644 §3.4.2.3), with the id as tiebreak so
    /// that pages are stable.
    mutating func orderBy(_ sortBy: SCIMResolvedPath?, descending: Bool) throws(SCIMError) -> SQLQuery {
        guard let sortBy else { return "\(unsafeSQL: alias).created_at, \(unsafeSQL: alias).id" }
        let (key, nullable) = try sortKey(sortBy)
        let direction = descending ? "DESC" : "ASC"
        // Columns that cannot be NULL sort on the column alone, so an index can give the order;
        // a unique one (the id, the user name) needs no tiebreak either.
        let nulls: SQLQuery = nullable ? "(\(key) IS NULL) \(unsafeSQL: direction), " : ""
        let name = sortBy.subAttribute == nil ? sortBy.attribute?.name : nil
        let unique = (sortBy.root == .common && name == "id") || (type.storage == .user && sortBy.root == .core && name == "userName")
        return unique ? "\(key) \(unsafeSQL: direction)" : "\(nulls)\(key) \(unsafeSQL: direction), \(unsafeSQL: alias).id"
    }

    /// The sort expression and whether it can be NULL.
    private mutating func sortKey(_ path: SCIMResolvedPath) throws(SCIMError) -> (SQLQuery, Bool) {
        guard let attribute = path.attribute, let leaf = path.leaf else { throw .invalidValue("cannot sort by a whole extension") }
        if isMembership(path) { throw .invalidValue("cannot sort by \(path.displayName)") }
        if let column = column(for: path) {
            switch column {
            case .text(let name, let folded, let nullable):
                let expr = SQLQuery(stringLiteral: name)
                let key = folded || leaf.caseExact ? expr : lower(expr)
                return (isPostgres ? "\(key) COLLATE \"C\"" : key, nullable)
            case .flag(let name), .millis(let name): return (SQLQuery(stringLiteral: name), false)
            case .constant: return ("NULL", true)
            }
        }
        guard path.root != .common else { throw .invalidValue("cannot sort by \(path.displayName)") }
        if leaf.type == .complex, !attribute.multiValued || attribute.subAttribute(named: "value") == nil {
            throw .invalidValue("cannot sort by the complex \(path.displayName); name a sub-attribute")
        }
        if attribute.multiValued {
            // The primary value, else the first (RFC 7644 §3.4.2.3).
            counter += 1
            let e = "s\(counter)"
            let sub = path.subAttribute ?? (attribute.type == .complex ? attribute.subAttribute(named: "value") : nil)
            let subKeys = sub.map { [$0.name] } ?? []
            let sortLeaf = sub ?? attribute
            let value = sortable(jsonExpression(.element(e, subKeys), text: sortLeaf.type.isText || sortLeaf.type == .dateTime), sortLeaf, element: .element(e, subKeys))
            let primary = attribute.type == .complex ? jsonType(.element(e, ["primary"])) : "NULL"
            let position: SQLQuery = isPostgres ? "\(unsafeSQL: e).n" : "\(unsafeSQL: e).key"
            let first: SQLQuery = """
                (SELECT \(value) FROM \(elements(of: path.attributeKeys, as: e, ordinality: true)) \
                ORDER BY CASE WHEN \(primary) = 'true' THEN 0 ELSE 1 END, \(position) LIMIT 1)
                """
            return (first, true)
        }
        let keys = path.attributeKeys + (path.subAttribute.map { [$0.name] } ?? [])
        return (sortable(jsonExpression(.resource(keys), text: true), leaf, element: .resource(keys)), true)
    }

    private func sortable(_ text: SQLQuery, _ leaf: SCIMAttribute, element base: JSONBase) -> SQLQuery {
        if leaf.type.isNumber {
            return isPostgres ? "(CASE WHEN jsonb_typeof(\(jsonExpression(base, text: false))) = 'number' THEN CAST(\(text) AS double precision) END)" : text
        }
        if leaf.type == .boolean { return isPostgres ? text : jsonType(base) }
        let key = leaf.caseExact || !leaf.type.isText ? text : lower(text)
        return isPostgres ? "(\(key)) COLLATE \"C\"" : key
    }
}
