import ArgumentParser
import GateCore
import GateKit
import GateWire

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "log", abstract: "Show the audit ledger: who asked, who decided, what ran.")

    @Flag(help: "One JSON object per line, with hashes.") var json = false
    @Option(help: "Only entries for this request id.") var request: String?
    @Option(help: "Only the last N entries.") var last: Int?

    func run() throws {
        let store = try Store.open(try GateEnvironment.current())
        var filter: String?
        if let request {
            guard let n = RequestID.normalise(request), n.count == RequestID.length else {
                throw GateFailure.usage("--request needs a full request id")
            }
            filter = n
        }
        var after: Int64 = 0
        if let last {
            guard last > 0 else { throw GateFailure.usage("--last needs a positive number") }
            after = max(0, try store.ledgerCount() - Int64(last))
        }
        var buffer = ""
        try store.forEachLedgerEntry(request: filter, afterSeq: after) { e in
            buffer += json ? Views.logJSON(e).serialized() + "\n" : Views.logLine(e)
            if buffer.utf8.count > 1 << 16 { System.write(1, buffer); buffer = "" }
            return true
        }
        System.write(1, buffer)
    }
}

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Check and export the audit ledger.",
                                                    subcommands: [AuditVerifyCommand.self, AuditExportCommand.self])
}

struct AuditVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify", abstract: "Walk the hash chain; name the first damaged entry.")

    func run() throws {
        let store = try Store.open(try GateEnvironment.current())
        let report = try store.verifyLedger()
        if let damage = report.damage {
            throw GateFailure(ExitCode.dataError, "ledger damaged at entry \(damage.seq): \(damage)",
                              hint: "entries 1–\(report.entries) verify; keep the database for investigation")
        }
        System.write(1, "ledger ok: \(report.entries) entries, head \(Hex.encode(report.head))\n")
    }
}

struct AuditExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export the ledger for auditors: one row per entry, stable field names (SPEC.md).",
        discussion: "JSONL keeps every value exact, with the chain fields, so tools/gate_verify.py can verify an export on its own. CSV is for people; cells a spreadsheet would read as formulas are prefixed with '.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case jsonl, csv }

    @Option(help: "jsonl or csv.") var format: Format = .jsonl
    @Option(help: ArgumentHelp("Only entries at or after this time (UTC: 2026-11-22, 2026-11-22T05:00:00Z, or Unix seconds).", valueName: "time")) var since: String?
    @Option(help: ArgumentHelp("Only entries before this time (same forms).", valueName: "time")) var until: String?

    func run() throws {
        func bound(_ text: String?, _ name: String, _ fallback: Int64) throws -> Int64 {
            guard let text else { return fallback }
            guard let s = parseUTC(text) else {
                throw GateFailure.usage("--\(name) '\(text)' is not a time", hint: "use 2026-11-22, 2026-11-22T05:00:00Z or Unix seconds (UTC)")
            }
            return Int64(s) * 1_000_000
        }
        let from = try bound(since, "since", 0), to = try bound(until, "until", Int64.max)
        let store = try Store.open(try GateEnvironment.current())
        var buffer = format == .csv ? Export.csvHeader : ""
        try store.forEachLedgerEntry(fromMicros: from, untilMicros: to) { e in
            buffer += format == .csv ? Export.csvLine(e) : Export.jsonLine(e)
            if buffer.utf8.count > 1 << 16 { System.write(1, buffer); buffer = "" }
            return true
        }
        System.write(1, buffer)
    }
}
