import GateCore
import GateSystem
import Glibc
import Synchronization

public enum PolicyLoader {
    /// The last policy loaded, kept until the process exits. gate runs one command and exits;
    /// tearing down a large policy's rules on the way out cost more than parsing half of them
    /// (callgrind), and the operating system frees it all at exit anyway. Behind a lock: the
    /// server loads its policy on many threads at once, and an unguarded swap of this global
    /// freed a policy twice (a crash seen under the parallel test run).
    static let keepAlive = Mutex<Policy?>(nil)

    /// Reads, safety-checks and parses the policy. Every failure is exit 78 with the file named.
    public static func load(_ path: String) throws -> Policy {
        guard Files.exists(path) else {
            throw GateFailure.config("no policy at \(path); gate refuses to run without one",
                                     hint: "write one (see gate-policy(5) and examples/demo.policy), or set GATE_POLICY")
        }
        try FileSafety.checkPolicy(path)
        let text: String
        do { text = try Files.readText(path, limit: 8 << 20) } catch let e as FileError {
            throw GateFailure.config("cannot read policy: \(e)")
        }
        do {
            var policy = try PolicyParser.parse(text)
            // Pattern directories are resolved only through paths no one but root controls: a
            // link the requester can make must not carry a pattern somewhere else.
            policy.resolvePatternDirectories { FileSafety.isRootControlled($0) ? Paths.real($0) : nil }
            // The command's PATH holds only the trusted directories that are trusted here.
            policy.trustedPath = policy.trustedPath.filter { FileSafety.isRootControlled($0) }
            keepAlive.withLock { $0 = policy }
            Syslog.facility = policy.syslogFacility
            return policy
        } catch let e as PolicyError {
            throw GateFailure.config("\(path):\(e.line): \(e.message)", hint: "gate-policy(5) describes the format")
        }
    }
}
