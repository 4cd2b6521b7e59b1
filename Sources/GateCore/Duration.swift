/// Durations as people write them on a command line or in a policy: `90s`, `15m`, `2h`, `1h30m`,
/// `7d`. A unit is required: a bare number is ambiguous and refused.
public struct GateDuration: Equatable, Sendable, CustomStringConvertible {
    public let seconds: UInt64
    /// The longest duration gate accepts anywhere (policy and command line): a year and a day.
    /// Bounded where it is parsed, so no deadline or expiry computed from one can overflow.
    public static let maximumSeconds: UInt64 = 366 * 86400

    public init(seconds: UInt64) { self.seconds = seconds }

    public init?(parsing text: String) {
        var total: UInt64 = 0
        var number: UInt64? = nil
        var sawUnit = false
        for c in text.utf8 {
            if c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") {
                let (m, o1) = (number ?? 0).multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(UInt64(c - UInt8(ascii: "0")))
                guard !o1, !o2 else { return nil }
                number = s
                continue
            }
            let unit: UInt64
            switch c {
            case UInt8(ascii: "s"): unit = 1
            case UInt8(ascii: "m"): unit = 60
            case UInt8(ascii: "h"): unit = 3600
            case UInt8(ascii: "d"): unit = 86400
            default: return nil
            }
            guard let n = number else { return nil }
            let (p, o1) = n.multipliedReportingOverflow(by: unit)
            let (t, o2) = total.addingReportingOverflow(p)
            guard !o1, !o2, t <= Self.maximumSeconds else { return nil }
            total = t
            number = nil
            sawUnit = true
        }
        guard sawUnit, number == nil, total > 0, total <= Self.maximumSeconds else { return nil }
        seconds = total
    }

    public var description: String {
        var s = seconds
        var out = ""
        for (unit, suffix) in [(UInt64(86400), "d"), (3600, "h"), (60, "m"), (1, "s")] where s >= unit {
            out += "\(s / unit)\(suffix)"
            s %= unit
        }
        return out.isEmpty ? "0s" : out
    }
}
