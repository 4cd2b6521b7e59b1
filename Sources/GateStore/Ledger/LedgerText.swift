import GateCore
import GateSystem
import GateWire

/// A ledger entry as `gate log` prints it, as syslog carries it and as evidence bundles hold it:
/// the one text form of an entry for people and programs, made inert for a terminal.
public enum LedgerText {
    package static func time(_ micros: Int64) -> String { formatUTC(UInt64(max(0, micros / 1_000_000))) }

    public static func line(_ e: LedgerEntry) -> String {
        let request = RequestID(e.requestID)?.description ?? ShellQuote.inert(e.requestID)
        return "\(e.seq)  \(time(e.timeMicros))  \(request)  \(e.kind.padding(9))  \(ShellQuote.inert(e.actor))  \(detail(e))\n"
    }

    /// What an entry says, in a few words, made inert for a terminal.
    public static func detail(_ e: LedgerEntry) -> String {
        let payload = (try? JSON.parse(e.payload)) ?? .null
        var detail = ""
        switch e.kind {
        case "requested", "started", "break-glass":
            if let argv = payload["argv"]?.arrayValue?.compactMap(\.stringValue) { detail = ShellQuote.join(argv) }
            if e.kind != "requested", let approvals = payload["approvals"]?.arrayValue {
                let names = approvals.compactMap { $0["approver"]?.stringValue }
                detail += names.isEmpty ? "  (no approval needed: \(payload["rule"]?.stringValue ?? "?"))" : "  (approved by \(names.joined(separator: ", ")))"
            }
        case "approved", "denied", "reviewed":
            detail = "key \(payload["key_id"]?.stringValue ?? "?")"
            if let c = payload["comment"]?.stringValue, !c.isEmpty { detail += ": \(ShellQuote.inert(c))" }
        case "refused":
            detail = ShellQuote.inert(payload["message"]?.stringValue ?? "")
        case "finished":
            if let c = payload["exit_code"]?.intValue { detail = "exit \(c)" }
            if let s = payload["signal"]?.intValue { detail = "killed by signal \(s)" }
            if let err = payload["error"]?.stringValue { detail = "failed: \(ShellQuote.inert(err))" }
            if let d = payload["duration_ms"]?.intValue { detail += " after \(d) ms" }
        case "cancelled":
            detail = ShellQuote.inert(payload["why"]?.stringValue ?? "")
        case "policy":
            let text = payload["text"]?.stringValue ?? ""
            detail = "policy \(String((payload["digest"]?.stringValue ?? "").prefix(12)))… in force from here (\(text.split(separator: "\n").count) lines)"
        case "checkpoint-copy":
            detail = "that ledger's checkpoint: entries 1–\(payload["size"]?.intValue ?? 0), head \(ShellQuote.inert(String((payload["head"]?.stringValue ?? "").prefix(12))))…"
        default: break
        }
        return detail
    }

    public static func json(_ e: LedgerEntry) -> JSON {
        .object([
            ("seq", .int(e.seq)),
            ("time", .string(time(e.timeMicros))),
            ("time_us", .int(e.timeMicros)),
            ("kind", .string(e.kind)),
            ("request_id", .string(e.requestID)),
            ("actor", .string(e.actor)),
            ("payload", (try? JSON.parse(e.payload)) ?? .string(e.payload)),
            // The exact stored text, which is what the hash covers (SPEC.md §6).
            ("payload_text", .string(e.payload)),
            ("prev_hash", .string(Hex.encode(e.prevHash))),
            ("hash", .string(Hex.encode(e.hash))),
        ])
    }
}

extension String {
    package func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}

/// Entries as a checkpoint copy carries them (SPEC.md §9.3): the fields the hash covers, the
/// payload as its exact stored text, hashes in hex.
public enum LedgerTransfer {
    public static func encode(_ e: LedgerEntry) -> JSON {
        .object([
            ("seq", .int(e.seq)), ("time_us", .int(e.timeMicros)), ("kind", .string(e.kind)),
            ("request_id", .string(e.requestID)), ("actor", .string(e.actor)), ("payload_text", .string(e.payload)),
            ("prev_hash", .string(Hex.encode(e.prevHash))), ("hash", .string(Hex.encode(e.hash))),
        ])
    }

    public static func decode(_ j: JSON) -> LedgerEntry? {
        guard let seq = j["seq"]?.intValue, let time = j["time_us"]?.intValue, let kind = j["kind"]?.stringValue,
              let request = j["request_id"]?.stringValue, let actor = j["actor"]?.stringValue, let payload = j["payload_text"]?.stringValue,
              let prev = j["prev_hash"]?.stringValue.flatMap({ try? Hex.decode($0) }), prev.count == 32,
              let hash = j["hash"]?.stringValue.flatMap({ try? Hex.decode($0) }), hash.count == 32 else { return nil }
        return LedgerEntry(seq: seq, timeMicros: time, kind: kind, requestID: request, actor: actor, payload: payload, prevHash: prev, hash: hash)
    }
}
