import GateCore
import GateWire
import Glibc
import GateSystem

/// One line per ledger event to syslog, as doas does, when the policy says `syslog [FACILITY]`:
/// existing log pipelines see gate's events, and the checkpoint lines put a copy of the ledger's
/// signed heads where the requester cannot rewrite them (journald, a remote syslog). Best effort:
/// the ledger is the record, so a missing syslog daemon is not an error.
package enum Syslog {
    /// Set from the loaded policy; nil sends nothing.
    nonisolated(unsafe) package static var facility: Int?

    static let info = 6, notice = 5

    static func line(for e: LedgerEntry) -> (severity: Int, text: String) {
        let request = RequestID(e.requestID)?.description ?? ShellQuote.inert(e.requestID)
        let severity = ["refused", "denied", "break-glass"].contains(e.kind) ? notice : info
        let detail = LedgerText.detail(e)
        return (severity, "\(e.kind) \(request) by \(ShellQuote.inert(e.actor))\(detail.isEmpty ? "" : ": " + detail) (seq \(e.seq), hash \(Hex.encode(e.hash)))")
    }

    /// The checkpoint's six lines joined with "|": `tr '|' '\n'` gives back the text that
    /// `gate audit verify --checkpoint` reads (it also reads this one-line form).
    static func line(for c: SignedCheckpoint) -> (severity: Int, text: String) {
        (info, "checkpoint " + c.text.dropLast().split(separator: "\n").joined(separator: "|"))
    }

    static var socketPath: String {
        #if DEBUG
        // Tests point this at their own socket; a release build always uses /dev/log.
        if let p = System.envNonEmpty("GATE_SYSLOG_SOCKET") { return p }
        #endif
        return "/dev/log"
    }

    /// RFC 3164 as glibc's syslog(3) writes it: `<PRI>Mmm dd hh:mm:ss gate[pid]: message`.
    static func send(severity: Int, _ message: String) {
        guard let facility else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(socketPath.utf8)
        guard path.count < MemoryLayout.size(ofValue: address.sun_path) else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path)
            raw[path.count] = 0
        }
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let day = parts.tm_mday < 10 ? " \(parts.tm_mday)" : "\(parts.tm_mday)"
        let stamp = "\(months[Int(parts.tm_mon)]) \(day) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
        let bytes = Array("<\(facility * 8 + severity)>\(stamp) gate[\(getpid())]: \(ShellQuote.inert(message))".utf8)
        _ = withUnsafePointer(to: &address) { a in
            a.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT), sa, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
        }
    }
}
