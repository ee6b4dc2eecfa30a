import JSON

extension SVGLineChart {
    /// Value-axis ticks: evenly spaced round numbers covering the data, and the unit their
    /// labels are written in.
    struct ValueScale {
        var ticks: [Double]
        var step: Double
        /// Labels are divided by this and suffixed (`k`, `M`, ...) to stay short.
        var divisor: Double
        var suffix: String
    }

    /// "Nice" ticks after Heckbert: a step of 1, 2 or 5 times a power of ten, bounds rounded
    /// outwards to multiples of it, about five ticks in all.
    static func valueTicks(min low: Double, max high: Double) -> ValueScale {
        var low = low
        var high = high
        if low == high {
            // A constant series: open a band around it so the line sits mid-chart.
            let pad = low == 0 ? 1 : abs(low) * 0.1
            low -= pad
            high += pad
        }
        let range = niceNumber(high - low, round: false)
        var step = niceNumber(range / 4, round: true)
        if !(step > 0) || !step.isFinite { step = 1 }
        let first = (low / step).rounded(.down)
        let last = (high / step).rounded(.up)
        var ticks: [Double] = []
        // At most 20 rounds: a step can be so small next to the values that `k += 1` no
        // longer changes `k`, and the loop must still end.
        var k = first
        for _ in 0..<20 where k <= last {
            let v = k * step
            let tick = abs(v) < step * 1e-9 ? 0 : v  // no "-0"
            // Far from zero a step can be below the values' precision; skip repeats.
            if ticks.last != tick { ticks.append(tick) }
            k += 1
        }
        if ticks.count < 2 { ticks = [low, high] }
        let largest = ticks.map(abs).max() ?? 0
        let units: [(Double, String)] = [(1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e4, "k")]
        var divisor = 1.0
        var suffix = ""
        for (d, s) in units where largest >= d {
            divisor = d == 1e4 ? 1e3 : d
            suffix = s
            break
        }
        return ValueScale(ticks: ticks, step: step, divisor: divisor, suffix: suffix)
    }

    static func niceNumber(_ x: Double, round: Bool) -> Double {
        guard x > 0, x.isFinite else { return 1 }
        let exponent = decimalExponent(x)
        let power = pow10(exponent)
        let fraction = x / power
        let nice: Double
        if round {
            nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
        } else {
            nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        }
        return nice * power
    }

    static func pow10(_ e: Int) -> Double {
        var r = 1.0
        if e >= 0 { for _ in 0..<min(e, 320) { r *= 10 } } else { for _ in 0..<min(-e, 320) { r /= 10 } }
        return r
    }

    /// A tick label with as many decimals as the step needs, in the scale's unit.
    static func formatTick(_ value: Double, step: Double, unitOf scale: ValueScale) -> String {
        if value == 0 { return "0" }
        let scaledStep = step / scale.divisor
        let decimals = max(0, min(15, -decimalExponent(scaledStep)))
        return SVGBuilder.fixed(value / scale.divisor, decimals: decimals) + scale.suffix
    }

    /// Time-axis ticks at round intervals of local time, labelled for that interval.
    static func timeTicks(from start: Double, to end: Double, target: Int, zone: CronZone) -> [(time: Double, label: String)] {
        let steps: [Int64] = [
            1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200,
            86_400, 172_800, 604_800, 1_209_600, 2_592_000, 7_776_000, 15_552_000, 31_536_000,
        ]
        let span = end - start
        var step = steps.first { span / Double($0) <= Double(target) } ?? 0
        if step == 0 {
            // Beyond a year per tick: whole multiples of 365 days.
            let years = Int64((span / Double(target) / 31_536_000).rounded(.up))
            step = max(1, years) * 31_536_000
        }
        let startSecond = Int64(start.rounded(.down))
        let localStart = startSecond + Int64(zone.offset(at: startSecond))
        var local = CivilCalendar.floorDiv(localStart, step) * step
        var result: [(Double, String)] = []
        var lastInstant = Int64.min
        for _ in 0..<(target * 3 + 4) {
            let civil = CivilDateTime(secondsSinceEpoch: local)
            let instant = zone.firstInstant(of: civil)
            local += step
            guard Double(instant) >= start, instant > lastInstant else { continue }
            if Double(instant) > end { break }
            lastInstant = instant
            result.append((Double(instant), timeLabel(civil, step: step, span: span)))
        }
        return result
    }

    static func timeLabel(_ t: CivilDateTime, step: Int64, span: Double) -> String {
        let p = CivilDateTime.pad
        if step >= 86_400 { return "\(p(t.year, 4))-\(p(t.month, 2))-\(p(t.day, 2))" }
        let clock = step < 60 ? "\(p(t.hour, 2)):\(p(t.minute, 2)):\(p(t.second, 2))" : "\(p(t.hour, 2)):\(p(t.minute, 2))"
        return span > 86_400 ? "\(p(t.month, 2))-\(p(t.day, 2)) \(clock)" : clock
    }
}

extension SVGLineChart {
    /// ⌊log10(|value|)⌋ for finite non-zero values, by repeated division so exact powers of
    /// ten never land one below (as `log10` can).
    static func decimalExponent(_ value: Double) -> Int {
        guard value.isFinite, value != 0 else { return 0 }
        var x = abs(value)
        var e = 0
        while x >= 10 && e < 400 { x /= 10; e += 1 }
        while x < 1 && e > -400 { x *= 10; e -= 1 }
        return e
    }
}

/// Accumulates SVG text, escaping everything that did not come from this file.
struct SVGBuilder {
    private(set) var text = ""

    init() {}

    /// Markup written by the renderer itself, never containing caller text.
    mutating func raw(_ markup: String) { text += markup }

    /// `<name attr="...">escaped text</name>`, attributes in the order given.
    mutating func element(_ name: String, _ attributes: KeyValuePairs<String, String> = [:], text content: String) {
        text += "<" + name
        for (key, value) in attributes { text += " \(key)=\"\(SVGBuilder.escape(value))\"" }
        text += ">" + SVGBuilder.escape(content) + "</" + name + ">\n"
    }

    /// XML-escapes text for element content and attribute values. Characters XML 1.0 cannot
    /// hold at all (most C0 controls, U+FFFE, U+FFFF) become U+FFFD, so the document always
    /// parses.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF || (0x7F...0x9F).contains(scalar.value) {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// A coordinate with at most two decimals and no trailing zeros (`12.5`, `3`).
    static func number(_ v: Double) -> String {
        var s = fixed(v, decimals: 2)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }

    /// `v` with exactly `decimals` decimals, independent of any locale; `-0` is written `0`.
    static func fixed(_ v: Double, decimals: Int) -> String {
        guard v.isFinite else { return "0" }
        let scale = SVGLineChart.pow10(decimals)
        let scaled = (v * scale).rounded()
        guard abs(scaled) < 9e18 else { return v.description }
        let n = Int64(scaled)
        if n == 0 { return decimals == 0 ? "0" : "0." + String(repeating: "0", count: decimals) }
        let digits = String(n.magnitude)
        var result: String
        if decimals == 0 {
            result = digits
        } else {
            let padded = String(repeating: "0", count: max(0, decimals + 1 - digits.count)) + digits
            result = String(padded.dropLast(decimals)) + "." + String(padded.suffix(decimals))
        }
        return n < 0 ? "-" + result : result
    }
}
