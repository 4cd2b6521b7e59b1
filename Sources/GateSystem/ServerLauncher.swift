import Glibc

/// `gate serve …` runs `gate-server …` from the same directory as this gate binary. The server
/// is a separate executable so that linking Hummingbird does not cost every `gate` command its
/// start-up time (BENCHMARKS.md, issue 5); to people it is still `gate serve`.
public enum ServerLauncher {
    public static func serverPath() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        let exe = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return Paths.join(Paths.parent(of: exe), "gate-server")
    }

    public static func exec(_ arguments: [String]) throws -> Never {
        guard let path = serverPath(), access(path, X_OK) == 0 else {
            throw GateFailure(.unavailable, "gate serve needs the gate-server executable next to gate (\(serverPath() ?? "?") is missing)",
                              hint: "install both: swift build -c release --product gate-server")
        }
        let argv = (["gate-server"] + arguments).map { strdup($0) } + [nil]
        execv(path, argv)
        throw GateFailure(.unavailable, "cannot run \(path): \(System.errnoString())")
    }
}
