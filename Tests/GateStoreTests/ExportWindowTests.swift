import GateCore
@testable import GateStore
import GateSQLite
import GateSystem
import GateWire
import Glibc
import Testing

/// An export window is a run of seqs: from the first entry in the window to the last, with every
/// entry between, even one whose time a stepped clock put outside (SPEC.md §7). A gap would
/// make a genuine export fail verification.
@Suite struct ExportWindowTests {
    @Test func aClockThatSteppedBackLeavesNoGap() throws {
        let dir = MigrationTests.directory()
        let store = try Store(path: dir + "/state.db")
        var previous: (seq: Int64, hash: [UInt8])?
        // Seconds 10, 20, then a clock stepped back to 5, then 30, 40.
        for (i, second) in [10, 20, 5, 30, 40].enumerated() {
            let e = LedgerEntry.next(after: previous, timeMicros: Int64(second) * 1_000_000, kind: "started", requestID: "RUN\(i)",
                                     actor: "alice", payload: "{}")
            try store.db.prepare("INSERT INTO ledger(seq, time_us, kind, request_id, actor, payload, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?)").run([
                .int(e.seq), .int(e.timeMicros), .text(e.kind), .text(e.requestID), .text(e.actor), .text(e.payload), .blob(e.prevHash), .blob(e.hash),
            ])
            previous = (e.seq, e.hash)
        }
        let path = dir + "/export.jsonl"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        #expect(fd >= 0)
        var window: Store.Window?
        try store.export(fromMicros: 8_000_000, untilMicros: 35_000_000, header: { window = $0; return [] }, to: fd) { e, out in
            out += Array("\(e.seq)\n".utf8)
        }
        close(fd)
        let seqs = try Files.readText(path, limit: 1 << 20).split(separator: "\n").map { Int64($0)! }
        #expect(seqs == [1, 2, 3, 4])
        #expect(window?.first == 1 && window?.last == 4 && window?.entries == 4)
    }
}
