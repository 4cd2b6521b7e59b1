/// Parses the times people give `--since`/`--until`: `2026-11-22`, `2026-11-22T05:00:00Z`, or
/// Unix seconds. UTC only: an audit window should not depend on the exporting host's zone.
public func parseUTC(_ text: String) -> UInt64? {
    if let seconds = UInt64(text) { return seconds }
    let u = Array(text.utf8)
    func number(_ r: Range<Int>) -> Int64? {
        guard r.upperBound <= u.count else { return nil }
        var n: Int64 = 0
        for c in u[r] {
            guard c >= 48 && c <= 57 else { return nil }
            n = n * 10 + Int64(c - 48)
        }
        return n
    }
    guard u.count == 10 || (u.count == 20 && u[10] == UInt8(ascii: "T") && u[19] == UInt8(ascii: "Z")
                            && u[13] == UInt8(ascii: ":") && u[16] == UInt8(ascii: ":")),
          u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-"),
          let y = number(0..<4), let m = number(5..<7), let d = number(8..<10), (1...12).contains(m), (1...31).contains(d) else {
        return nil
    }
    var h: Int64 = 0, mi: Int64 = 0, s: Int64 = 0
    if u.count == 20 {
        guard let hh = number(11..<13), let mm = number(14..<16), let ss = number(17..<19), hh < 24, mm < 60, ss < 61 else { return nil }
        (h, mi, s) = (hh, mm, ss)
    }
    // days-from-civil (H. Hinnant), the inverse of formatUTC.
    let yy = m <= 2 ? y - 1 : y
    let era = (yy >= 0 ? yy : yy - 399) / 400
    let yoe = yy - era * 400
    let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    let days = era * 146097 + doe - 719468
    let total = days * 86400 + h * 3600 + mi * 60 + s
    guard total >= 0, formatUTC(UInt64(total)).prefix(10) == text.prefix(10) else { return nil }  // rejects 2026-02-31
    return UInt64(total)
}
