import GateCore
internal import GateSQLite
import GateWire
import GateSystem

/// Runs whose start is on record and whose end is not (issue 13, item 7): a gate killed
/// mid-command, a disk that filled before `finished`, or a run still going. `gate audit verify`
/// lists them; the `started` entry names the gate process that ran the command (`runner_pid`,
/// `runner_process`, SPEC.md §6), so a runner that is gone (by pid and start time: pids are
/// reused) means the run ended with an outcome no one recorded.
public struct UnendedRun: Sendable, Equatable {
    public enum State: String, Sendable {
        /// Its gate is still alive: the command may be running now.
        case running
        /// Its gate is gone and no end was recorded: the command's outcome is unknown (it may
        /// even still run, orphaned).
        case outcomeUnknown = "outcome-unknown"
        /// Neither the entry nor a request row says which process ran it (an older gate).
        case unknown
    }
    public var request: String
    public var seq: Int64
    public var timeMicros: Int64
    public var state: State
}

/// Collected during the verify walk (each half its own), from the kind column's bytes: only
/// starts and ends make a String, and only the open ones are kept.
struct StartTracker {
    /// Starts with no end after them in this part, by request.
    var open: [String: Int64] = [:]
    /// Ends in this part whose start came before it (in an earlier part).
    var endsOfEarlier: [String] = []

    private static let started = Array("started".utf8), breakGlass = Array("break-glass".utf8), finished = Array("finished".utf8)

    mutating func see(seq: Int64, kind: UnsafeRawBufferPointer, request: () -> String) {
        if kind.elementsEqual(Self.started) || kind.elementsEqual(Self.breakGlass) {
            open[request()] = seq
        } else if kind.elementsEqual(Self.finished) {
            let r = request()
            if open.removeValue(forKey: r) == nil { endsOfEarlier.append(r) }
        }
    }
}

extension Store {
    /// How many runs are shown in detail; the count covers them all.
    static let unendedShown = 20

    /// The parts' trackers in seq order, merged: how many starts have no end, and the oldest
    /// `unendedShown` of them judged by their runner (a ledger with many lone starts must not
    /// cost a look-up each).
    func unendedRuns(_ parts: [StartTracker]) throws -> (count: Int, oldest: [UnendedRun]) {
        var open: [String: Int64] = [:]
        for p in parts {
            for r in p.endsOfEarlier { open.removeValue(forKey: r) }
            open.merge(p.open) { _, new in new }
        }
        var runs: [UnendedRun] = []
        for (request, seq) in open.sorted(by: { $0.value < $1.value }).prefix(Self.unendedShown) {
            var found: LedgerEntry?
            try forEachLedgerEntry(afterSeq: seq - 1) { found = $0; return false }
            guard let entry = found else { continue }
            runs.append(UnendedRun(request: request, seq: seq, timeMicros: entry.timeMicros, state: try state(of: entry)))
        }
        return (open.count, runs)
    }

    private func state(of entry: LedgerEntry) throws -> UnendedRun.State {
        var pid: Int32 = 0, identity = ""
        if let j = try? JSON.parse(entry.payload), let p = j["runner_pid"]?.intValue, let i = j["runner_process"]?.stringValue {
            pid = Int32(clamping: p); identity = i
        } else if let id = RequestID(entry.requestID), let r = try request(id), r.requesterPID > 0 {
            pid = r.requesterPID; identity = r.requesterStart
        }
        guard pid > 0 else { return .unknown }
        return ProcessIdentity.hasEnded(pid: pid, identity: identity) ? .outcomeUnknown : .running
    }
}
