import JSON

extension TimeBucketAggregator {
    /// Reads points out of JSON items using the configured field paths. Items that cannot be
    /// read (missing or non-numeric value, bad timestamp, a label that is not a scalar) are
    /// counted in the report, never thrown; extraction itself does not fail.
    public func extract(_ items: [JSONValue]) -> (points: [Point], invalid: InvalidPoints) {
        var points: [Point] = []
        points.reserveCapacity(min(items.count, configuration.maximumPoints))
        var invalid = InvalidPoints()
        let keep = configuration.maximumInvalidExamples
        for (index, item) in items.enumerated() {
            switch point(from: item) {
            case .success(let p): points.append(p)
            case .failure(let problem): invalid.record(index: index, kind: problem.kind, detail: problem.detail, keep: keep)
            }
        }
        return (points, invalid)
    }

    /// Why one item is not a point: a short kind for counting and a detail for examples.
    struct ItemProblem: Error {
        let kind: String
        let detail: String
    }

    func point(from item: JSONValue) -> Swift.Result<Point, ItemProblem> {
        let c = configuration
        // Value.
        let value: Double
        switch Self.lookup(item, c.valueField) {
        case nil, .null?:
            return .failure(ItemProblem(kind: "missing value", detail: "no value at \(c.valueField)"))
        case .int(let i)?: value = Double(i)
        case .double(let d)?: value = d
        case .string(let s)? where c.acceptNumericStrings:
            guard let d = Self.decimal(s) else {
                return .failure(ItemProblem(kind: "non-numeric value", detail: "\(c.valueField) is a string that is not a decimal number"))
            }
            value = d
        case let other?:
            return .failure(ItemProblem(kind: "non-numeric value", detail: "\(c.valueField) is a \(other.typeName), not a number"))
        }
        guard value.isFinite else {
            return .failure(ItemProblem(kind: "non-numeric value", detail: "\(c.valueField) is not finite"))
        }
        // Timestamp.
        let timestamp: Double
        switch Self.lookup(item, c.timestampField) {
        case nil, .null?:
            return .failure(ItemProblem(kind: "missing timestamp", detail: "no timestamp at \(c.timestampField)"))
        case .int(let i)?: timestamp = c.numericTimestampsInMilliseconds ? Double(i) / 1000 : Double(i)
        case .double(let d)?: timestamp = c.numericTimestampsInMilliseconds ? d / 1000 : d
        case .string(let s)?:
            guard let t = RFC3339Timestamp.parse(s) else {
                return .failure(ItemProblem(kind: "invalid timestamp", detail: "\(c.timestampField) is not an RFC 3339 date-time"))
            }
            timestamp = t
        case let other?:
            return .failure(ItemProblem(kind: "invalid timestamp", detail: "\(c.timestampField) is a \(other.typeName)"))
        }
        guard Self.timestampRange.contains(timestamp) else {
            let hint = c.numericTimestampsInMilliseconds ? "" : " (milliseconds given as seconds?)"
            return .failure(ItemProblem(kind: "invalid timestamp", detail: "\(c.timestampField) is outside years 1-9999\(hint)"))
        }
        // Labels.
        var labels: [String: String] = [:]
        if let path = c.labelsField, let found = Self.lookup(item, path), !found.isNull {
            guard case .object(let members) = found else {
                return .failure(ItemProblem(kind: "invalid labels", detail: "\(path) is a \(found.typeName), not an object"))
            }
            for (name, v) in members {
                switch Self.labelText(v) {
                case .some(.some(let text)): labels[name] = text
                case .some(.none): break
                case .none: return .failure(ItemProblem(kind: "invalid labels", detail: "label \(name) is a \(v.typeName), not a scalar"))
                }
            }
        }
        for path in c.labelFields {
            guard let v = Self.lookup(item, path) else { continue }
            switch Self.labelText(v) {
            case .some(.some(let text)): labels[path] = text
            case .some(.none): break
            case .none: return .failure(ItemProblem(kind: "invalid labels", detail: "\(path) is a \(v.typeName), not a scalar"))
            }
        }
        return .success(Point(timestamp: timestamp, value: value, labels: labels))
    }

    /// A label's text: strings as they are, numbers and Booleans as their JSON text, `null`
    /// as absent (`.some(nil)`); `nil` for arrays and objects, which are not labels.
    static func labelText(_ v: JSONValue) -> String?? {
        switch v {
        case .string(let s): return .some(s)
        case .int, .double, .bool: return .some(v.serialized())
        case .null: return .some(nil)
        case .array, .object: return nil
        }
    }

    /// The value at a path: the whole path as one key first, then dot-separated keys.
    static func lookup(_ item: JSONValue, _ path: String) -> JSONValue? {
        if let direct = item[path] { return direct }
        guard path.contains(".") else { return nil }
        var current = item
        for component in path.split(separator: ".", omittingEmptySubsequences: false) {
            guard let next = current[String(component)] else { return nil }
            current = next
        }
        return current
    }

    /// A plain decimal (`-1.5`, `2e3`); not `nan`, `inf` or hex, which `Double(_:)` accepts.
    static func decimal(_ s: String) -> Double? {
        guard !s.isEmpty, s.utf8.count <= 64,
              s.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }),
              let d = Double(s), d.isFinite
        else { return nil }
        return d
    }
}
