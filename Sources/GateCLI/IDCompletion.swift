import ArgumentParser
import GateClient
import GateStore
import GateSystem
import GateWire
import Glibc

/// `gate approve|show|deny|review <TAB>`: the pending request ids, from gate itself. The
/// completion scripts run `gate ---completion …`, which runs this; it asks `gate list --ids`
/// (so that the daemon or the gate server answers when one is configured, as for `gate list`).
/// Quiet and quick: anything that fails completes nothing, and nothing is created.
enum IDCompletion {
    static let kind = CompletionKind.custom { _, _, _ in pendingIDs() }

    static func pendingIDs() -> [String] {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return [] }
        let exe = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let pipe = popen("\(ShellQuote.quote(exe)) list --ids </dev/null 2>/dev/null", "r") else { return [] }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while out.count < 1 << 20 {
            let got = fread(&chunk, 1, chunk.count, pipe)
            if got <= 0 { break }
            out += chunk[0..<got]
        }
        pclose(pipe)
        return String(decoding: out, as: UTF8.self).split(separator: "\n").map(String.init).filter { RequestID($0) != nil }
    }

    /// What `gate list --ids` prints: one pending (or to-review) request id per line, as gate
    /// shows ids (`7K3F-Q2XZ`); nothing, and status 0, when there is nothing to say or it fails.
    static func printIDs(server: String?) {
        do {
            if server == nil, let daemon = DaemonClient.configured() { try DaemonRouting.forward(daemon) }
            var ids: [RequestID]
            if let client = try RemoteClient.configured(server) {
                ids = try client.list(all: false).0.map(\.record.id)
            } else {
                let env = try GateEnvironment.current()
                guard access(env.databasePath, R_OK) == 0 else { return }
                var requests = try Store.open(env).requests(status: [.pending, .review])
                if let own = DaemonWorkerMode.onlyRequestsOf { requests = requests.filter { TextSearch.sameBytes($0.intent.user, own) } }
                ids = requests.map(\.id)
            }
            System.write(1, ids.map { "\($0)\n" }.joined())
        } catch {}
    }
}
