/// A small JSON value with insertion-ordered objects, so gate's JSON output and ledger payloads
/// are byte-for-byte stable. Serialisation escapes every control character; parsing is strict
/// RFC 8259 (used by `gate log` to read payloads back and by tests).
public enum JSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    /// Any other JSON number (a fraction, an exponent, beyond Int64), kept as its exact text.
    /// gate writes none; it reads them in documents from elsewhere (terraform's plan JSON).
    case number(String)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    public static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    public subscript(key: String) -> JSON? {
        if case .object(let pairs) = self { return pairs.first { $0.0 == key }?.1 }
        return nil
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var intValue: Int64? { if case .int(let i) = self { return i }; return nil }
    public var arrayValue: [JSON]? { if case .array(let a) = self { return a }; return nil }

    public func serialized(pretty: Bool = false) -> String {
        var out: [UInt8] = []
        serialize(into: &out, pretty: pretty)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the serialisation as UTF-8 bytes (the export streams a million of these).
    public func serialize(into out: inout [UInt8], pretty: Bool = false) {
        write(to: &out, indent: pretty ? 0 : nil)
    }

    private func write(to out: inout [UInt8], indent: Int?) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .number(let text): out.append(contentsOf: text.utf8)
        case .string(let s): JSON.quote(s, into: &out)
        case .array(let items):
            if items.isEmpty { out.append(contentsOf: "[]".utf8); return }
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSON.newline(&out, indent.map { $0 + 1 })
                item.write(to: &out, indent: indent.map { $0 + 1 })
            }
            JSON.newline(&out, indent)
            out.append(UInt8(ascii: "]"))
        case .object(let pairs):
            if pairs.isEmpty { out.append(contentsOf: "{}".utf8); return }
            out.append(UInt8(ascii: "{"))
            for (i, (k, v)) in pairs.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSON.newline(&out, indent.map { $0 + 1 })
                JSON.quote(k, into: &out)
                out.append(UInt8(ascii: ":"))
                if indent != nil { out.append(UInt8(ascii: " ")) }
                v.write(to: &out, indent: indent.map { $0 + 1 })
            }
            JSON.newline(&out, indent)
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func newline(_ out: inout [UInt8], _ indent: Int?) {
        guard let indent else { return }
        out.append(10)
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * indent))
    }

    /// Escapes `"`, `\` and every terminal control (Unicode.Scalar.isTerminalControl: C0, DEL, C1,
    /// separators, direction and invisible characters; the short forms for \n \r \t, else
    /// \uXXXX), working on UTF-8 bytes and copying the runs between escapes whole.
    private static func quote(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { b in
            var runStart = 0
            var i = 0
            func flush(_ end: Int) {
                if end > runStart { out.append(contentsOf: UnsafeBufferPointer(rebasing: b[runStart..<end])) }
            }
            while i < b.count {
                let c: UInt8 = b[i]
                // Most bytes need nothing: one table lookup decides.
                if needsLook[Int(c)] == 0 { i += 1; continue }
                let next: UInt8 = i + 1 < b.count ? b[i + 1] : 0
                let third: UInt8 = i + 2 < b.count ? b[i + 2] : 0
                var width = 1
                var scalar: UInt32? = nil   // to write as \u00XX
                var short: UInt8 = 0        // to write as \ and this letter
                switch c {
                case 0x22: short = 0x22
                case 0x5c: short = 0x5c
                case 10: short = UInt8(ascii: "n")
                case 13: short = UInt8(ascii: "r")
                case 9: short = UInt8(ascii: "t")
                case 0xc2, 0xd8:  // U+0080–U+009F, U+00AD, U+061C
                    let v = UInt32(c & 0x1f) << 6 | UInt32(next & 0x3f)
                    if Unicode.Scalar(v)?.isTerminalControl == true { scalar = v; width = 2 }
                case 0xe1, 0xe2, 0xef:  // U+180E, U+200B–U+206x (direction, invisible, separators), U+FEFF
                    let v = UInt32(c & 0x0f) << 12 | UInt32(next & 0x3f) << 6 | UInt32(third & 0x3f)
                    if Unicode.Scalar(v)?.isTerminalControl == true { scalar = v; width = 3 }
                default: scalar = UInt32(c)  // the other C0 controls and DEL
                }
                if short == 0 && scalar == nil { i += 1; continue }
                flush(i)
                out.append(0x5c)
                if short != 0 {
                    out.append(short)
                } else if let scalar {
                    out.append(UInt8(ascii: "u"))
                    for shift in [12, 8, 4, 0] as [UInt32] { out.append(hexDigits[Int((scalar >> shift) & 15)]) }
                }
                i += width
                runStart = i
            }
            flush(b.count)
        }
        out.append(UInt8(ascii: "\""))
    }

    /// 1 for a byte that may start something to escape: controls, `"`, `\\`, DEL, and the lead
    /// bytes of the other terminal controls (0xC2, 0xD8, 0xE1, 0xE2, 0xEF).
    private static let needsLook: [UInt8] = (0..<256).map { c in
        c < 0x20 || c == 0x22 || c == 0x5c || c == 0x7f || c == 0xc2 || c == 0xd8 || c == 0xe1 || c == 0xe2 || c == 0xef ? 1 : 0
    }
    private static let hexDigits = Array("0123456789abcdef".utf8)

}

extension JSON {
    public static func parse(_ text: String) throws -> JSON {
        var p = JSONParser(Array(text.utf8))
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        guard p.i == p.b.count else { throw WireError("JSON: trailing characters") }
        return v
    }
}

private struct JSONParser {
    let b: [UInt8]
    var i = 0
    init(_ b: [UInt8]) { self.b = b }

    mutating func skipSpace() { while i < b.count, [9, 10, 13, 32].contains(b[i]) { i += 1 } }

    mutating func expect(_ s: String) throws {
        for c in s.utf8 {
            guard i < b.count, b[i] == c else { throw WireError("JSON: expected '\(s)'") }
            i += 1
        }
    }

    mutating func value(depth: Int) throws -> JSON {
        guard depth < 64 else { throw WireError("JSON: nested too deeply") }
        guard i < b.count else { throw WireError("JSON: unexpected end") }
        switch b[i] {
        case UInt8(ascii: "n"): try expect("null"); return .null
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "["):
            i += 1; skipSpace()
            var items: [JSON] = []
            if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            while true {
                skipSpace(); items.append(try value(depth: depth + 1)); skipSpace()
                guard i < b.count else { throw WireError("JSON: unexpected end") }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                throw WireError("JSON: expected ',' or ']'")
            }
        case UInt8(ascii: "{"):
            i += 1; skipSpace()
            var pairs: [(String, JSON)] = []
            var seen: Set<[UInt8]>?  // for large objects; small ones are scanned
            if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object(pairs) }
            while true {
                skipSpace()
                guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw WireError("JSON: expected a key") }
                let k = try string()
                // A key twice is refused: readers disagree on which value counts (the subscript
                // here took the first, Python's json the last). Compared as bytes, as Python does.
                if pairs.count >= 32, seen == nil { seen = Set(pairs.map { Array($0.0.utf8) }) }
                guard seen?.insert(Array(k.utf8)).inserted ?? !pairs.contains(where: { $0.0.utf8.elementsEqual(k.utf8) }) else {
                    throw WireError("JSON: the key '\(k.prefix(40))' appears twice in one object")
                }
                skipSpace(); try expect(":"); skipSpace()
                pairs.append((k, try value(depth: depth + 1)))
                skipSpace()
                guard i < b.count else { throw WireError("JSON: unexpected end") }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "}") { i += 1; return .object(pairs) }
                throw WireError("JSON: expected ',' or '}'")
            }
        default:
            // RFC 8259 number: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
            let start = i
            func digits() -> Int { let from = i; while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }; return i - from }
            if b[i] == UInt8(ascii: "-") { i += 1 }
            let intStart = i
            let intDigits = digits()
            guard intDigits > 0, !(intDigits > 1 && b[intStart] == 48) else { throw WireError("JSON: bad number") }
            var integral = true
            if i < b.count, b[i] == UInt8(ascii: ".") {
                i += 1
                guard digits() > 0 else { throw WireError("JSON: bad number") }
                integral = false
            }
            if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
                i += 1
                if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
                guard digits() > 0 else { throw WireError("JSON: bad number") }
                integral = false
            }
            let text = String(decoding: b[start..<i], as: UTF8.self)
            if integral, let n = Int64(text) { return .int(n) }
            return .number(text)
        }
    }

    mutating func hex4() throws -> UInt32 {
        guard i + 4 <= b.count, let v = UInt32(String(decoding: b[i..<i + 4], as: UTF8.self), radix: 16) else {
            throw WireError("JSON: bad \\u escape")
        }
        i += 4
        return v
    }

    /// Collects the string's UTF-8 bytes (escapes decoded into bytes) and validates once; a
    /// string without escapes, the usual case, is one validated slice.
    mutating func string() throws -> String {
        i += 1
        let start = i
        while i < b.count, b[i] != UInt8(ascii: "\""), b[i] != UInt8(ascii: "\\"), b[i] >= 0x20 { i += 1 }
        if i < b.count, b[i] == UInt8(ascii: "\"") {
            i += 1
            return try Self.validated(b[start..<(i - 1)])
        }
        var out = Array(b[start..<i])
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\"") { i += 1; return try Self.validated(out[...]) }
            if c < 0x20 { throw WireError("JSON: control character in string") }
            if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
            i += 1
            guard i < b.count else { break }
            let e = b[i]; i += 1
            switch e {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "/"): out.append(UInt8(ascii: "/"))
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "u"):
                var v = try hex4()
                if v >= 0xD800 && v < 0xDC00 {
                    try expect("\\u")
                    let lo = try hex4()
                    guard lo >= 0xDC00 && lo < 0xE000 else { throw WireError("JSON: bad surrogate pair") }
                    v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(v) else { throw WireError("JSON: bad \\u escape") }
                out.append(contentsOf: UTF8.encode(scalar)!)
            default: throw WireError("JSON: bad escape")
            }
        }
        throw WireError("JSON: unterminated string")
    }

    /// The parser's input is a Swift String, so it is valid UTF-8, and a slice between ASCII
    /// delimiters (or bytes made from escapes by UTF8.encode) is too: decoding cannot repair
    /// anything here, and skips a generic validation that costs a runtime metadata lookup.
    private static func validated(_ bytes: ArraySlice<UInt8>) throws -> String {
        bytes.withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) }
    }
}
