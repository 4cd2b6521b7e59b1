import ArgumentParser
import GateCore
import GateWire
import Glibc
import GateSystem
import GateStore
import GateClient
import GateFlows
import GateRun

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "log", abstract: "Show the audit ledger: who asked, who decided, what ran.")

    @Flag(help: "One JSON object per line, with hashes.") var json = false
    @Option(help: "Only entries for this request id.") var request: String?
    @Option(help: "Only the last N entries.") var last: Int?

    func run() throws {
        if let daemon = DaemonClient.configured() { try DaemonRouting.forward(daemon) }
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
            buffer += json ? LedgerText.json(e).serialized() + "\n" : LedgerText.line(e)
            if buffer.utf8.count > 1 << 16 { System.write(1, buffer); buffer = "" }
            return true
        }
        System.write(1, buffer)
    }
}

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Check and export the audit ledger.",
                                                    subcommands: [AuditVerifyCommand.self, AuditCheckpointCommand.self, AuditKeyCommand.self, AuditExportCommand.self, AuditEvidenceCommand.self,
                                                                  AuditBackupCommand.self])
}

struct AuditVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Walk the hash chain and the signed checkpoints; name the first damage.",
        discussion: """
            Detects edited, removed and reordered entries (the chain), a removed tail or a rewritten history \
            (against the newest checkpoint, and any --checkpoint copies kept elsewhere), and forged checkpoints. \
            The newest checkpoint's signature is always verified; the older ones are checked for ledger, key \
            and head (the chain makes them redundant), or fully with --all-signatures.
            """)

    @Option(help: ArgumentHelp("The ledger key you expect (gatepk1:…); refuses a ledger signed by another.", valueName: "public-key")) var key: String?
    @Option(help: ArgumentHelp("A checkpoint kept elsewhere (from 'gate audit checkpoint' or syslog); repeatable.", valueName: "file")) var checkpoint: [String] = []
    @Flag(help: "Verify the signature of every checkpoint, not only the newest.") var allSignatures = false
    @Flag(help: "Also check against the newest checkpoint copy the gate server holds for this ledger (and the key it holds the ledger to).")
    var fromServer = false
    @OptionGroup var remote: ServerOption

    /// Runs with a start and no end: the chain is whole, but what they did is not on record.
    static func unendedLines(_ runs: [UnendedRun], count: Int) -> String {
        guard count > 0 else { return "" }
        var out = "runs started with no end on record: \(count)\(count > runs.count ? " (the oldest \(runs.count) below)" : "")\n"
        for r in runs {
            let id = RequestID(r.request)?.description ?? ShellQuote.inert(r.request)
            let what: String
            switch r.state {
            case .running: what = "running (its gate is alive)"
            case .outcomeUnknown: what = "ended, outcome unknown (its gate is gone)"
            case .unknown: what = "no end recorded (the entry does not say which process ran it)"
            }
            out += "  \(id) entry \(r.seq), started \(formatUTC(UInt64(max(0, r.timeMicros) / 1_000_000))): \(what)\n"
        }
        if count > runs.count { out += "  … and \(count - runs.count) more\n" }
        return out
    }

    func run() throws {
        var pinned: PublicKey?
        do { pinned = try key.map { try PublicKey(text: $0) } } catch let e as WireError {
            throw GateFailure.usage("--key is not a gate public key: \(e.description)")
        }
        var external: [SignedCheckpoint] = []
        for path in checkpoint {
            let text: String
            do { text = try Files.readText(path, limit: 4096) } catch let e as FileError {
                throw GateFailure.usage("cannot read checkpoint \(e)")
            }
            do { external.append(try SignedCheckpoint(parsing: Self.unfoldSyslogForm(text))) } catch let e as WireError {
                throw GateFailure(.dataError, "\(path) is not a gate checkpoint: \(e.description)")
            }
        }
        let store = try Store.open(try GateEnvironment.current())
        // The head file remembers how far the ledger had got (a lost WAL, a database restored
        // or recreated alone, leaves a shorter chain that would otherwise verify).
        var headLine = ""
        switch store.head() {
        case .checkpoint(let head):
            let ledgerID = try store.ledgerID()
            guard head.body.ledgerID == ledgerID else {
                throw GateFailure(.dataError, "state.db holds ledger \(ledgerID), but \(Store.headPath(home: store.home)) is the head of ledger \(head.body.ledgerID): the database was replaced or recreated",
                                  hint: "restore the database from a backup (gate audit backup makes them)")
            }
            external.append(head)
        case .unusable(let why): headLine = "head file: \(why) (it is rewritten by the next checkpoint)\n"
        case .absent: break
        }
        var serverLine = ""
        if fromServer {
            guard let client = try RemoteClient.configured(remote.server) else {
                throw GateFailure.usage("--from-server needs a server", hint: "set GATE_SERVER or pass --server URL")
            }
            let copies = try CheckpointCopy.fetch(store: store, client: client)
            let copy = copies[copies.count - 1]
            // The server holds the ledger to the first key it saw, for the requester that sent
            // it; a ledger now signed by another key was re-keyed since, or its id was claimed
            // on the server by someone else first: say who holds it.
            if let pinned, pinned != copy.key {
                throw GateFailure(.dataError, "the gate server holds this ledger to key \(copy.key.id) (copies from requester \(ShellQuote.inert(copy.from))), not the --key given (\(pinned.id))")
            }
            if let mine = RequesterKey.keyIDWithoutPrompt(), let holder = copy.fromKey, mine != holder {
                throw GateFailure(.dataError, "the gate server holds ledger \(copy.checkpoint.body.ledgerID) for requester \(ShellQuote.inert(copy.from)) (key \(holder)), not for this host's requester key (\(mine)): \(ShellQuote.inert(copy.from)) claimed this ledger id on the server first, and the server refuses this host's copies (ledger-claimed)",
                                  hint: "ask the server's operator to look into requester \(ShellQuote.inert(copy.from)); its copies cannot vouch for this ledger")
            }
            if let recorded = try store.recordedLedgerKey(), recorded != copy.key {
                throw GateFailure(.dataError, "the gate server holds ledger \(copy.checkpoint.body.ledgerID) to key \(copy.key.id), from requester \(ShellQuote.inert(copy.from)); this ledger's key is \(recorded.id)",
                                  hint: "if \(ShellQuote.inert(copy.from)) is not this host's requester, it claimed this ledger id on the server first (the server refuses this host's copies: ledger-claimed); otherwise this ledger was re-keyed since its first copy")
            }
            pinned = copy.key
            // Every copy the server holds, not only the newest: each must match this chain.
            external += copies.map(\.checkpoint)
            serverLine = "server copy: covers entries 1–\(copy.checkpoint.body.size), received \(formatUTC(UInt64(max(0, copy.receivedMicros / 1_000_000)))) from \(ShellQuote.inert(copy.from)); matches, as do all \(copies.count) copies it holds\n"
        }
        let report = try store.audit(pinnedKey: pinned, external: external, allSignatures: allSignatures)
        if let damage = report.damage {
            throw GateFailure(.dataError, "ledger damaged at entry \(damage.seq): \(damage)", hint: damage.hint(verified: report.entries))
        }
        if let problem = try store.ledgerKeyProblem() {
            throw GateFailure(.dataError, "the chain is whole, but the ledger key cannot sign: \(problem)",
                              hint: "restore it from a backup: until then no checkpoint is signed, and a removed tail cannot be detected")
        }
        var out = "ledger ok: \(report.entries) entries, head \(Hex.encode(report.head))\n"
        out += "ledger id \(report.ledgerID), key \(report.key.map { "\($0.id) (\($0.text))" } ?? "none yet")\n"
        if let newest = report.newest {
            out += "checkpoints: \(report.checkpoints) match the chain (\(report.signaturesVerified) signature\(report.signaturesVerified == 1 ? "" : "s") verified); "
            out += "newest covers entries 1–\(newest.body.size), signed \(formatUTC(UInt64(newest.body.timeMicros / 1_000_000)))\n"
        } else {
            out += "checkpoints: none, so a removed tail could not be detected\n"
        }
        if report.uncovered > 0 {
            out += "not yet covered by a checkpoint: entries \(report.entries - report.uncovered + 1)–\(report.entries)\n"
        }
        if report.approvalsChecked > 0 {
            out += "approvals: every approval of \(report.approvalsChecked) run\(report.approvalsChecked == 1 ? "" : "s") is by a key the policy in force named (policies recorded in the ledger)\n"
        }
        if report.approvalsUnchecked > 0 {
            out += "approvals not checkable: \(report.approvalsUnchecked) run\(report.approvalsUnchecked == 1 ? "" : "s") older than the first policy recorded in the ledger\n"
        }
        out += Self.unendedLines(report.unended, count: report.unendedCount)
        System.write(1, out + headLine + serverLine)
    }
}

struct AuditEvidenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evidence", abstract: "Write one self-contained file that proves one run (SPEC.md §8).",
        discussion: "The bundle holds the run's ledger entries and the chain up to the next signed checkpoint, that checkpoint, the ledger key, every approval token and the approvers' public keys. tools/gate_verify.py evidence FILE verifies it without gate. Only a run has evidence: a request that never started (denied, withdrawn, refused, pending) is refused with the reason.")

    @Argument(help: ArgumentHelp("The run's request id (from 'gate log').", valueName: "run-id")) var runID: String
    @Option(help: ArgumentHelp("Where to write the bundle (a new file; '-' for standard output).", valueName: "file")) var out: String

    func run() throws {
        guard let id = RequestID.normalise(runID).flatMap(RequestID.init) else {
            throw GateFailure.usage("'\(runID)' is not a run id", hint: "run ids look like 7K3F-Q2XZ; see 'gate log'")
        }
        let env = try GateEnvironment.current()
        let store = try Store.open(env)
        let policy = try? PolicyLoader.load(env.policyPath)
        let text = try Evidence.bundle(store: store, run: id, policy: policy).serialized(pretty: true) + "\n"
        if out == "-" { System.write(1, text); return }
        do { try Files.createExclusive(out, contents: text, mode: 0o644) } catch let e as FileError {
            throw GateFailure.usage("cannot write \(e)", hint: e.code == EEXIST ? "choose a new file name; evidence is never overwritten" : nil)
        }
        System.write(2, "gate: wrote evidence for run \(id) to \(out)\n")
    }
}

struct AuditKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "Print the ledger's public key (record it; pass it to 'audit verify --key').")

    func run() throws {
        let store = try Store.open(try GateEnvironment.current())
        guard let key = try store.recordedLedgerKey() else {
            throw GateFailure(.unavailable, "this ledger has no key yet", hint: "it is made with the first checkpoint: 'gate audit checkpoint'")
        }
        System.write(1, key.text + "\n")
    }
}

extension AuditVerifyCommand {
    /// A checkpoint as gate's syslog line carries it (its lines joined with "|", after whatever
    /// prefix the log adds) becomes the six-line text again; anything else is left as it is.
    static func unfoldSyslogForm(_ text: String) -> String {
        let marker = CheckpointBody.header + "|"
        guard let start = text.firstRange(of: marker) else { return text }
        let line = text[start.lowerBound...].prefix { $0 != "\n" }
        return line.split(separator: "|", omittingEmptySubsequences: false).joined(separator: "\n") + "\n"
    }
}

struct AuditCheckpointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint", abstract: "Sign a checkpoint of the ledger now and print it (keep a copy elsewhere).",
        discussion: "Prints the newest checkpoint if it already covers every entry. Keep the output off the host (a ticket, a bucket, an auditor's mail): 'gate audit verify --checkpoint FILE' then proves the ledger still holds everything it covered. With a gate server (--server, GATE_SERVER) the checkpoint is also sent to it, signed with the requester key.")

    @OptionGroup var remote: ServerOption

    func run() throws {
        let env = try GateEnvironment.current()
        // The policy only decides whether the checkpoint also goes to syslog.
        _ = try? PolicyLoader.load(env.policyPath)
        let store = try Store.open(env)
        System.write(1, try store.checkpointNow().text)
        if let client = try RemoteClient.configured(remote.server),
           let answer = try CheckpointCopy.send(store: store, client: client, as: try RequesterKey.load()) {
            Diagnostics.note("copied to \(client.url) (the server now holds entries 1–\(answer["size"]?.intValue ?? 0))")
        }
    }
}

struct AuditExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export the ledger for auditors: one row per entry, stable field names (SPEC.md).",
        discussion: "JSONL starts with a header line (format, ledger id, window, which entries follow) and keeps every value exact, with the chain fields, so tools/gate_verify.py can verify an export on its own and tell a cut one from a window (SPEC.md §7). CSV is for people; cells a spreadsheet would read as formulas are prefixed with '.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case jsonl, csv }

    @Option(help: "The format: jsonl verifies on its own, csv is for people.") var format: Format = .jsonl
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
        let csv = format == .csv
        let ledgerID = try store.ledgerID()
        let header: (Store.Window) -> [UInt8] = { window in
            csv ? Array(Export.csvHeader.utf8)
                : Export.jsonHeader(ledgerID: ledgerID, sinceMicros: since == nil ? nil : from, untilMicros: until == nil ? nil : to, window: window)
        }
        try store.export(fromMicros: from, untilMicros: to, header: header, to: 1) { e, out in
            if csv { Export.csvLine(e, into: &out) } else { Export.jsonLine(e, into: &out) }
        }
    }
}

struct AuditBackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Copy the state database, ledger and checkpoints, consistently, to a new file.",
        discussion: "Uses SQLite's online backup API, so the copy includes what still lives only in state.db-wal (copying state.db alone can lose the newest entries). The copy is verified before it is put in place, and an existing file is never overwritten. Restore by stopping gate and putting the file in place as $GATE_HOME/state.db; gate then records nothing until $GATE_HOME/ledger.head (the newest checkpoint, which the older copy does not reach) is moved aside, accepting the loss of what came after the copy.")

    @Argument(help: ArgumentHelp("The new file.", valueName: "file")) var file: String

    func run() throws {
        let store = try Store.open(try GateEnvironment.current())
        try store.backup(to: file)
        System.write(1, "wrote \(file)\n")
    }
}
