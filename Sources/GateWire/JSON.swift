/// A small JSON value with insertion-ordered objects, so gate's JSON output and ledger payloads
/// are byte-for-byte stable. Serialisation escapes every control character; parsing is strict
/// RFC 8259 (used by `gate log` to read payloads back and by tests).
public indirect enum JSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    public static func == (a: JSON, b: JSON) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
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
        var out = ""
        write(to: &out, indent: pretty ? 0 : nil)
        return out
    }

    private func write(to out: inout String, indent: Int?) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .string(let s): JSON.quote(s, into: &out)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                JSON.newline(&out, indent.map { $0 + 1 })
                item.write(to: &out, indent: indent.map { $0 + 1 })
            }
            JSON.newline(&out, indent)
            out += "]"
        case .object(let pairs):
            if pairs.isEmpty { out += "{}"; return }
            out += "{"
            for (i, (k, v)) in pairs.enumerated() {
                if i > 0 { out += "," }
                JSON.newline(&out, indent.map { $0 + 1 })
                JSON.quote(k, into: &out)
                out += indent == nil ? ":" : ": "
                v.write(to: &out, indent: indent.map { $0 + 1 })
            }
            JSON.newline(&out, indent)
            out += "}"
        }
    }

    private static func newline(_ out: inout String, _ indent: Int?) {
        guard let indent else { return }
        out += "\n" + String(repeating: "  ", count: indent)
    }

    private static func quote(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.isTerminalControl {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }
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
            if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object(pairs) }
            while true {
                skipSpace()
                guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw WireError("JSON: expected a key") }
                let k = try string()
                skipSpace(); try expect(":"); skipSpace()
                pairs.append((k, try value(depth: depth + 1)))
                skipSpace()
                guard i < b.count else { throw WireError("JSON: unexpected end") }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "}") { i += 1; return .object(pairs) }
                throw WireError("JSON: expected ',' or '}'")
            }
        default:
            let start = i
            if b[i] == UInt8(ascii: "-") { i += 1 }
            while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
            guard let n = Int64(String(decoding: b[start..<i], as: UTF8.self)) else {
                throw WireError("JSON: only integers are used in gate documents")
            }
            return .int(n)
        }
    }

    mutating func hex4() throws -> UInt32 {
        guard i + 4 <= b.count, let v = UInt32(String(decoding: b[i..<i + 4], as: UTF8.self), radix: 16) else {
            throw WireError("JSON: bad \\u escape")
        }
        i += 4
        return v
    }

    mutating func string() throws -> String {
        i += 1
        var out = String.UnicodeScalarView()
        var run: [UInt8] = []
        func flush() throws {
            guard let s = String(validating: run, as: UTF8.self) else { throw WireError("JSON: invalid UTF-8") }
            out.append(contentsOf: s.unicodeScalars)
            run.removeAll()
        }
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\"") { i += 1; try flush(); return String(out) }
            if c < 0x20 { throw WireError("JSON: control character in string") }
            if c != UInt8(ascii: "\\") { run.append(c); i += 1; continue }
            try flush()
            i += 1
            guard i < b.count else { break }
            let e = b[i]; i += 1
            switch e {
            case UInt8(ascii: "\""): out.append("\"")
            case UInt8(ascii: "\\"): out.append("\\")
            case UInt8(ascii: "/"): out.append("/")
            case UInt8(ascii: "b"): out.append("\u{8}")
            case UInt8(ascii: "f"): out.append("\u{c}")
            case UInt8(ascii: "n"): out.append("\n")
            case UInt8(ascii: "r"): out.append("\r")
            case UInt8(ascii: "t"): out.append("\t")
            case UInt8(ascii: "u"):
                var v = try hex4()
                if v >= 0xD800 && v < 0xDC00 {
                    try expect("\\u")
                    let lo = try hex4()
                    guard lo >= 0xDC00 && lo < 0xE000 else { throw WireError("JSON: bad surrogate pair") }
                    v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00)
                }
                guard let s = Unicode.Scalar(v) else { throw WireError("JSON: bad \\u escape") }
                out.append(s)
            default: throw WireError("JSON: bad escape")
            }
        }
        throw WireError("JSON: unterminated string")
    }
}
