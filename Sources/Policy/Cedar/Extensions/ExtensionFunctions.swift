extension CedarExtFunction {
    /// Builds the extension value a constructor call with this string would produce.
    func construct(_ text: String) -> Result<ExtensionValue, ExtensionError> {
        switch self {
        case .ip: return CedarIPAddress.parse(text).map(ExtensionValue.ipaddr)
        case .decimal: return CedarDecimal.parse(text).map(ExtensionValue.decimal)
        case .datetime: return CedarDatetime.parse(text).map(ExtensionValue.datetime)
        case .duration: return CedarDuration.parse(text).map(ExtensionValue.duration)
        default: return .failure(.malformed("`\(rawValue)` is not a constructor"))
        }
    }
}

extension CedarEvaluator {
    /// Applies an extension function or method to evaluated arguments (receiver first).
    func callExtension(_ f: CedarExtFunction, _ args: [CedarValue]) throws(CedarEvaluationError) -> CedarValue {
        try CedarEvaluator.applyExtension(f, args)
    }

    /// Applies an extension function or method to evaluated arguments (receiver first).
    static func applyExtension(_ f: CedarExtFunction, _ args: [CedarValue]) throws(CedarEvaluationError) -> CedarValue {
        guard args.count == f.arity else {
            throw .arity("wrong number of arguments provided to extension function `\(f.rawValue)`: expected \(f.arity), got \(args.count)")
        }
        func arg<T>(_ i: Int, _ name: String, _ extract: (ExtensionValue) -> T?) throws(CedarEvaluationError) -> T {
            if case .ext(let e) = args[i], let v = extract(e) { return v }
            throw .type(expected: name, got: args[i])
        }
        func ip(_ i: Int) throws(CedarEvaluationError) -> CedarIPAddress {
            try arg(i, "ipaddr") { if case .ipaddr(let v) = $0 { return v } else { return nil } }
        }
        func dec(_ i: Int) throws(CedarEvaluationError) -> CedarDecimal {
            try arg(i, "decimal") { if case .decimal(let v) = $0 { return v } else { return nil } }
        }
        func dt(_ i: Int) throws(CedarEvaluationError) -> CedarDatetime {
            try arg(i, "datetime") { if case .datetime(let v) = $0 { return v } else { return nil } }
        }
        func dur(_ i: Int) throws(CedarEvaluationError) -> CedarDuration {
            try arg(i, "duration") { if case .duration(let v) = $0 { return v } else { return nil } }
        }
        switch f {
        case .ip, .decimal, .datetime, .duration:
            guard case .string(let s) = args[0] else { throw .type(expected: "string", got: args[0]) }
            switch f.construct(s) {
            case .success(let v): return .ext(v)
            case .failure(let e):
                throw .extensionFailure("error while evaluating `\(f == .ip ? "ipaddr" : f.rawValue)` extension function: \(e.message)")
            }
        case .isIpv4: return .bool(try ip(0).isV4)
        case .isIpv6: return .bool(!(try ip(0).isV4))
        case .isLoopback: return .bool(try ip(0).isLoopback)
        case .isMulticast: return .bool(try ip(0).isMulticast)
        case .isInRange: return .bool(try ip(0).isInRange(try ip(1)))
        case .lessThan: return .bool(try dec(0) < dec(1))
        case .lessThanOrEqual: return .bool(try dec(0) <= dec(1))
        case .greaterThan: return .bool(try dec(0) > dec(1))
        case .greaterThanOrEqual: return .bool(try dec(0) >= dec(1))
        case .offset:
            let (v, o) = try dt(0).milliseconds.addingReportingOverflow(try dur(1).milliseconds)
            if o { throw .overflow("overflows when adding an offset") }
            return .ext(.datetime(CedarDatetime(milliseconds: v)))
        case .durationSince:
            let (v, o) = try dt(0).milliseconds.subtractingReportingOverflow(try dt(1).milliseconds)
            if o { throw .overflow("overflows when computing a duration") }
            return .ext(.duration(CedarDuration(milliseconds: v)))
        case .toDate:
            guard let d = try dt(0).toDate() else { throw .overflow("overflows when computing the date") }
            return .ext(.datetime(d))
        case .toTime: return .ext(.duration(try dt(0).toTime()))
        case .toDays: return .long(try dur(0).days)
        case .toHours: return .long(try dur(0).hours)
        case .toMinutes: return .long(try dur(0).minutes)
        case .toSeconds: return .long(try dur(0).seconds)
        case .toMilliseconds: return .long(try dur(0).milliseconds)
        }
    }
}
