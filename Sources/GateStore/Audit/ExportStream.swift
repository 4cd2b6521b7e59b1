import GateCore
internal import GateSQLite
import Glibc
import GateSystem

/// Writes export rows for a time window to a file descriptor, in seq order. A large window is cut
/// into chunks of seqs; two threads, each with its own read-only connection, format alternate
/// chunks and take turns writing them, so the output is byte for byte what one thread would write.
extension Store {
    static let exportChunk: Int64 = 8_192

    /// What an export holds, fixed before the first row is written: the seqs of its first and
    /// last entries and how many there are. Later appends are outside it (seqs only grow).
    public struct Window: Sendable {
        public var first: Int64?
        public var last: Int64?
        public var entries: Int64
    }

    public func export(fromMicros: Int64, untilMicros: Int64, header: (Window) -> [UInt8], to fd: Int32,
                       row: @escaping (LedgerEntry, inout [UInt8]) -> Void) throws {
        // From the first entry in the window to the last, with nothing left out between: a clock
        // that stepped back can put an entry in between outside the window, and a chain with a
        // gap would not verify (SPEC.md §7).
        let range = try seqRange(fromMicros: fromMicros, untilMicros: untilMicros)
        let count = range.map { $0.upperBound - $0.lowerBound + 1 } ?? 0
        try System.writeAll(fd, header(Window(first: range?.lowerBound, last: range?.upperBound, entries: count)))
        guard let range else { return }
        let chunks = Int((range.upperBound - range.lowerBound) / Self.exportChunk) + 1
        let turns = Turns()
        func work(_ db: Database, first: Int, step: Int) throws {
            var buffer: [UInt8] = []
            var chunk = first
            while chunk < chunks {
                let lo = range.lowerBound + Int64(chunk) * Self.exportChunk
                let hi = min(range.upperBound, lo + Self.exportChunk - 1)
                buffer.removeAll(keepingCapacity: true)
                do {
                    try Self.stream(db, seq: lo...hi) { e in
                        row(e, &buffer)
                        return true
                    }
                    guard turns.wait(for: chunk) else { return }  // the other side failed
                    try System.writeAll(fd, buffer)
                    turns.done(chunk)
                } catch {
                    turns.fail()
                    throw error
                }
                chunk += step
            }
        }
        if chunks < 2 {
            try wrap { try work(db, first: 0, step: 1) }
            return
        }
        let second = try wrap {
            let d = try Database(path: path, mode: .readOnly)
            d.setBusyTimeout(milliseconds: 10_000)
            return d
        }
        _ = try wrap { try Concurrently.both({ try work(self.db, first: 0, step: 2) }, { try work(second, first: 1, step: 2) }) }
    }
}

/// Whose turn it is to write: chunk numbers in order. A failure on either side ends the waiting.
final class Turns: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var turn = 0
    private var failed = false

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        cond.deallocate()
        mutex.deallocate()
    }

    /// Waits until chunk `n` may write; false if the other side failed.
    func wait(for n: Int) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while turn != n && !failed { pthread_cond_wait(cond, mutex) }
        return !failed
    }

    func done(_ n: Int) {
        pthread_mutex_lock(mutex)
        turn = n + 1
        pthread_cond_broadcast(cond)
        pthread_mutex_unlock(mutex)
    }

    func fail() {
        pthread_mutex_lock(mutex)
        failed = true
        pthread_cond_broadcast(cond)
        pthread_mutex_unlock(mutex)
    }
}
