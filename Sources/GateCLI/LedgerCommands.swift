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
                                                    subcommands: [AuditVerifyCommand.self])
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
