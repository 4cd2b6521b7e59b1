import GateCore
import GateSystem

/// Refusals of writes no registered key vouches for (issue 18, finding 3): a statement under an
/// unknown key or with a bad signature, a token that does not parse or is not signed by an
/// approver. Anyone on the network can send those, as fast as they like, naming any request:
/// recorded in the chained ledger they grew it without limit. So they go to the operator's log
/// instead, rate-limited (a burst of `burst`, then `perSecond` a second, and one line saying how
/// many were left out), and are counted in /v1/health. Refusals a registered key signed for stay
/// in the ledger (Broker.refuse), where they are evidence.
struct UnattributedRefusals {
    static let burst = 20.0
    static let perSecond = 5.0

    private(set) var total: Int64 = 0
    private var tokens = burst
    private var last = System.nowMicros()
    private var suppressed: Int64 = 0

    mutating func note(_ status: Int, _ code: RefusalCode, _ message: String) {
        total += 1
        let now = System.nowMicros()
        tokens = min(Self.burst, tokens + Double(now - last) / 1_000_000 * Self.perSecond)
        last = now
        guard tokens >= 1 else { suppressed += 1; return }
        tokens -= 1
        var line = "refused an unsigned or unknown write (\(status) \(code)): \(message.prefix(300))"
        if suppressed > 0 { line += " (and \(suppressed) more since the last line, not logged)" }
        suppressed = 0
        ServerLog.line(line)
    }
}
