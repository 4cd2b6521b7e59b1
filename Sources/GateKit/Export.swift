import GateCore
import GateWire

/// `gate audit export`: one row per ledger entry with stable, documented field names (SPEC.md §7),
/// the chain fields included so an export can be verified on its own.
public enum Export {
    /// The field names in order, read off `row` itself so the CSV header cannot drift from it.
    public static let fields: [String] = row(LedgerEntry(seq: 0, timeMicros: 0, kind: "", requestID: "", actor: "", payload: "{}",
                                                         prevHash: [], hash: [])).map(\.0)

    public static func row(_ e: LedgerEntry) -> [(String, JSON)] {
        let p = (try? JSON.parse(e.payload)) ?? .null
        func str(_ k: String) -> JSON { p[k]?.stringValue.map(JSON.string) ?? .null }
        func int(_ k: String) -> JSON { p[k]?.intValue.map(JSON.int) ?? .null }
        let approver: JSON
        let keyID: JSON
        if let approvals = p["approvals"]?.arrayValue {
            approver = .string(approvals.compactMap { $0["approver"]?.stringValue }.joined(separator: " "))
            keyID = .string(approvals.compactMap { $0["key_id"]?.stringValue }.joined(separator: " "))
        } else {
            approver = str("approver")
            keyID = str("key_id")
        }
        return [
            ("seq", .int(e.seq)), ("time", .string(formatUTC(UInt64(max(0, e.timeMicros / 1_000_000))))), ("time_us", .int(e.timeMicros)),
            ("kind", .string(e.kind)), ("request_id", .string(e.requestID)), ("actor", .string(e.actor)),
            ("requester", str("user")), ("agent", str("agent")), ("host", str("host")),
            ("argv", p["argv"] ?? .null), ("intent_digest", str("intent_digest")), ("rule", str("rule")), ("reason", str("reason")),
            ("approver", approver), ("key_id", keyID), ("code", str("code")), ("message", str("message")),
            ("exit_code", int("exit_code")), ("signal", int("signal")), ("duration_ms", int("duration_ms")),
            ("payload_text", .string(e.payload)), ("prev_hash", .string(Hex.encode(e.prevHash))), ("hash", .string(Hex.encode(e.hash))),
        ]
    }

    public static func jsonLine(_ e: LedgerEntry) -> String { JSON.object(row(e)).serialized() + "\n" }

    public static var csvHeader: String { fields.joined(separator: ",") + "\r\n" }

    /// RFC 4180 rows. A cell that a spreadsheet would read as a formula (leading `=`, `+`, `-`,
    /// `@`, tab or CR) is prefixed with `'`; the JSONL export keeps every value exact.
    public static func csvLine(_ e: LedgerEntry) -> String {
        row(e).map { _, v in
            let text: String
            switch v {
            case .null: text = ""
            case .int(let i): text = String(i)
            case .string(let s): text = s
            case .array(let a): text = ShellQuote.join(a.compactMap(\.stringValue))
            default: text = v.serialized()
            }
            return cell(text)
        }.joined(separator: ",") + "\r\n"
    }

    static func cell(_ raw: String) -> String {
        var s = raw
        if let f = s.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(f) { s = "'" + s }
        // Scalars, not Characters: "\r\n" is one Character and would match neither.
        guard s.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingAll("\"", with: "\"\"") + "\""
    }
}
