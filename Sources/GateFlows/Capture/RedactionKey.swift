import GateCore
import GateCrypto
import GateWire
import Glibc
import GateSystem

/// The host's redaction key (`$GATE_HOME/redaction.key`: 64 hex digits, mode 0600, made on first
/// use). A process that cannot use it (another user's, in a shared state directory) uses its
/// user's own (`~/.config/gate/redaction.key`): hashes then compare within one user only, and the
/// key id in every redacted value says which key made it.
enum RedactionKey {
    nonisolated(unsafe) private static var cached: Redactor?

    static func load(home: String) throws -> Redactor {
        if let cached { return cached }
        var candidates = [Paths.join(home, "redaction.key")]
        // A daemon's worker runs as the daemon's user: it never makes or reads a key under a
        // directory the requester's environment names.
        if !DaemonWorkerMode.active {
            candidates.append(Paths.join(System.envNonEmpty("XDG_CONFIG_HOME") ?? Paths.join(System.homeDirectory() ?? "/", ".config"), "gate/redaction.key"))
        }
        var problems: [String] = []
        for path in candidates {
            if let info = Files.info(path) {
                guard info.owner == System.euid else { problems.append("\(path) belongs to uid \(info.owner)"); continue }
                guard info.isRegular, info.mode & 0o077 == 0 else {
                    throw GateFailure.config("redaction key \(path) is accessible by group or others; refusing to use it", hint: "chmod 600 \(path)")
                }
            } else {
                do {
                    try Files.makeDirectories(Paths.parent(of: path), mode: 0o700)
                    try Files.createExclusive(path, contents: Hex.encode(SecureRandom.bytes(32)) + "\n", mode: 0o600)
                } catch let e as FileError where e.code == EEXIST {
                    // Another process made it a moment ago: read theirs.
                } catch let e as FileError {
                    problems.append("cannot create \(path): \(e.message)")
                    continue
                }
            }
            guard let text = try? Files.readText(path, limit: 256), let key = try? Hex.decode(text.trimmingASCIIWhitespace()),
                  let redactor = Redactor(key: key) else {
                throw GateFailure.config("redaction key \(path) is damaged (expected 64 hex digits)")
            }
            cached = redactor
            return redactor
        }
        throw GateFailure.config("no usable redaction key: " + problems.joined(separator: "; "))
    }
}
