import GateCore
import GateWire
import GateSystem

/// `gate audit export`: one row per ledger entry with stable, documented field names (SPEC.md §7),
/// the chain fields included so an export can be verified on its own.
public enum Export {
    /// The field names in order, read off `row` itself so the CSV header cannot drift from it.
    public static let fields: [String] = row(LedgerEntry(seq: 0, timeMicros: 0, kind: "", requestID: "", actor: "", payload: "{}",
                                                         prevHash: [], hash: [])).map(\.0)

    public static func row(_ e: LedgerEntry) -> [(String, JSON)] {
        // One pass over the payload's fields (a million rows: no repeated lookups).
        var user = JSON.null, agent = JSON.null, host = JSON.null, argv = JSON.null, digest = JSON.null
        var rule = JSON.null, reason = JSON.null, ticket = JSON.null, approver = JSON.null, keyID = JSON.null, code = JSON.null
        var message = JSON.null, exitCode = JSON.null, signal = JSON.null, duration = JSON.null
        if case .object(let pairs)? = try? JSON.parse(e.payload) {
            func str(_ v: JSON) -> JSON { if case .string = v { return v }; return .null }
            func int(_ v: JSON) -> JSON { if case .int = v { return v }; return .null }
            var approvals: [JSON]?
            for (k, v) in pairs {
                switch k {
                case "user": user = str(v)
                case "agent": agent = str(v)
                case "host": host = str(v)
                case "argv": argv = v
                case "intent_digest": digest = str(v)
                case "rule": rule = str(v)
                case "reason": reason = str(v)
                case "ticket": ticket = str(v)
                case "approver": approver = str(v)
                case "key_id": keyID = str(v)
                case "code": code = str(v)
                case "message": message = str(v)
                case "exit_code": exitCode = int(v)
                case "signal": signal = int(v)
                case "duration_ms": duration = int(v)
                case "approvals": approvals = v.arrayValue
                default: break
                }
            }
            if let approvals {
                approver = .string(approvals.compactMap { $0["approver"]?.stringValue }.joined(separator: " "))
                keyID = .string(approvals.compactMap { $0["key_id"]?.stringValue }.joined(separator: " "))
            }
        }
        return [
            ("seq", .int(e.seq)), ("time", .string(formatUTC(UInt64(max(0, e.timeMicros / 1_000_000))))), ("time_us", .int(e.timeMicros)),
            ("kind", .string(e.kind)), ("request_id", .string(shownID(e.requestID))), ("actor", .string(e.actor)),
            ("requester", user), ("agent", agent), ("host", host),
            ("argv", argv), ("intent_digest", digest), ("rule", rule), ("reason", reason), ("ticket", ticket),
            ("approver", approver), ("key_id", keyID), ("code", code), ("message", message),
            ("exit_code", exitCode), ("signal", signal), ("duration_ms", duration),
            ("payload_text", .string(e.payload)), ("prev_hash", .string(Hex.encode(e.prevHash))), ("hash", .string(Hex.encode(e.hash))),
        ]
    }

    /// The request id as people are shown it everywhere else (`7K3F-Q2XZ`), in every row of both
    /// formats, so a search for the id gate printed finds all of its rows (SPEC.md §7). The chain
    /// hashes the compact form: a verifier drops the dash. Anything that is not a request id (an
    /// empty one, a gate server's ledger ids) is as stored.
    static func shownID(_ compact: String) -> String {
        guard compact.utf8.count == RequestID.length, let id = RequestID(compact), id.compact == compact else { return compact }
        return id.description
    }

    public static let format = "gate-export-v1"

    /// The JSONL export's first line (SPEC.md §7): which ledger, which window, and which entries
    /// follow, so that an export whose first or last lines were cut is told from a window.
    public static func jsonHeader(ledgerID: String, sinceMicros: Int64?, untilMicros: Int64?, window: Store.Window) -> [UInt8] {
        func int(_ v: Int64?) -> JSON { v.map { .int($0) } ?? .null }
        var out: [UInt8] = []
        JSON.object([
            ("format", .string(format)), ("ledger_id", .string(ledgerID)),
            ("since_us", int(sinceMicros)), ("until_us", int(untilMicros)),
            ("first_seq", int(window.first)), ("last_seq", int(window.last)), ("entries", .int(window.entries)),
        ]).serialize(into: &out)
        out.append(10)
        return out
    }

    public static func jsonLine(_ e: LedgerEntry, into out: inout [UInt8]) {
        JSON.object(row(e)).serialize(into: &out)
        out.append(10)
    }

    public static var csvHeader: String { fields.joined(separator: ",") + "\r\n" }

    /// RFC 4180 rows. A cell that a spreadsheet would read as a formula (leading `=`, `+`, `-`,
    /// `@`, tab or CR) is prefixed with `'`; the JSONL export keeps every value exact.
    public static func csvLine(_ e: LedgerEntry, into out: inout [UInt8]) {
        for (i, (_, v)) in row(e).enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            switch v {
            case .null: break
            case .int(let n): out.append(contentsOf: String(n).utf8)
            case .string(let s): cell(s, into: &out)
            case .array(let a): cell(ShellQuote.join(a.compactMap(\.stringValue)), into: &out)
            default: cell(v.serialized(), into: &out)
            }
        }
        out.append(13)
        out.append(10)
    }

    static func csvLine(_ e: LedgerEntry) -> String {
        var out: [UInt8] = []
        csvLine(e, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func cell(_ raw: String, into out: inout [UInt8]) {
        var raw = raw
        raw.withUTF8 { b in
            let formula = b.first.map { [0x3d, 0x2b, 0x2d, 0x40, 9, 13].contains($0) } ?? false
            // Bytes, not Characters: "\r\n" is one Character and would match neither.
            let quoted = b.contains { $0 == 0x2c || $0 == 0x22 || $0 == 10 || $0 == 13 }
            if quoted { out.append(0x22) }
            if formula { out.append(0x27) }
            for c in b {
                out.append(c)
                if c == 0x22 { out.append(0x22) }
            }
            if quoted { out.append(0x22) }
        }
    }
}
