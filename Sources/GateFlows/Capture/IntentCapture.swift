import GateCore
import GateWire
import GateSystem

/// Captures an intent from the running process: what will run, where, as whom.
public enum IntentCapture {
    public struct Identity: Sendable {
        public var user: String
        public var uid: UInt64
        public var agent: String
        public var host: String

        public static func current() -> Identity {
            let uid = System.uid
            return Identity(user: System.userName(uid: uid) ?? "uid:\(uid)", uid: UInt64(uid),
                            agent: System.env("GATE_AGENT") ?? "", host: System.hostName())
        }

        /// How the ledger names the requester: the user, and the agent acting for them.
        public var actor: String { agent.isEmpty ? user : "\(user) (agent \(agent))" }
    }

    /// Resolves the executable (throws 126/127 as shells do) to its canonical path, hashes it,
    /// and says by which paths it was reached through the trusted directories (for patterns).
    public struct Captured {
        public var intent: Intent
        /// MatchContext.trustedAliases.
        public var aliases: [String]
        /// The executable as opened and hashed: what runs (OpenExecutable).
        public var file: OpenExecutable
    }

    public static func capture(argv: [String], identity: Identity, trustedPath: [String]) throws -> Captured {
        try DaemonWorkerMode.asRequester { try captureFiles(argv: argv, identity: identity, trustedPath: trustedPath) }
    }

    private static func captureFiles(argv: [String], identity: Identity, trustedPath: [String]) throws -> Captured {
        let cwd = try System.currentDirectory()
        let resolved = try ExecutableResolver.resolveCanonical(argv[0], cwd: cwd, trustedPath: trustedPath)
        let path = resolved.path
        let file: OpenExecutable
        let digest: [UInt8]
        do {
            file = try OpenExecutable(path)
            digest = try Files.digest(fd: file.fd, path: path)
        } catch let e as FileError {
            throw GateFailure(.notExecutable, "cannot read \(path) to digest it: \(e.message)")
        }
        return Captured(intent: Intent(argv: argv, executable: path, executableDigest: digest, cwd: cwd, user: identity.user,
                                       uid: identity.uid, agent: identity.agent, host: identity.host),
                        aliases: resolved.trustedAliases, file: file)
    }

    /// Re-captures the intent at exec time from what is there now and says what changed, in a
    /// person's words, if anything did.
    /// `environment` is the bound form of the child's environment as it would be now; nil when
    /// this process computed it moments ago from the same inputs (tokens given at capture).
    /// `file` is the executable as opened at capture, which is what will run (an ELF file, from
    /// that descriptor, whose bytes exec reads as they are then): it is re-hashed. What runs by
    /// path (a script, its interpreters) and the bound files are read again by path, through
    /// `digest` (Files.digest, or the run's cache of root-owned files: Store.fileDigest).
    public static func recheck(_ approved: Intent, file: OpenExecutable, environment: [Intent.BoundVariable]?,
                               digest: (String) throws -> [UInt8] = { try Files.digest($0) }) throws -> String? {
        try DaemonWorkerMode.asRequester { try recheckFiles(approved, file: file, environment: environment, digest: digest) }
    }

    private static func recheckFiles(_ approved: Intent, file: OpenExecutable, environment: [Intent.BoundVariable]?,
                                     digest pathDigest: (String) throws -> [UInt8]) throws -> String? {
        let cwd = try System.currentDirectory()
        if cwd != approved.cwd { return "the working directory changed (\(approved.cwd) → \(cwd))" }
        let digest: [UInt8]
        do { digest = try Files.digest(fd: file.fd, path: approved.executable) } catch {
            return unreadable("the executable \(approved.executable)", error)
        }
        if digest != approved.executableDigest { return "the executable \(approved.executable) changed since it was approved" }
        // A script runs by path (OpenExecutable): what the path names now must be it too.
        if !file.isELF, (try? Files.digest(approved.executable)) != approved.executableDigest {
            return "the executable \(approved.executable) changed since it was approved"
        }
        for f in approved.boundFiles {
            let d: [UInt8]
            do { d = try pathDigest(f.path) } catch { return unreadable("bound file \(f.path)", error) }
            if d != f.digest { return "bound file \(f.path) changed since it was approved" }
        }
        guard let environment else { return nil }
        let now = Dictionary(environment.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        for v in approved.boundEnvironment where now[v.name] != v.value {
            return "variable \(v.name) changed since it was approved"
        }
        let approvedNames = Set(approved.boundEnvironment.map(\.name))
        if let added = environment.first(where: { !approvedNames.contains($0.name) }) {
            return "variable \(added.name) would reach the command but was not approved"
        }
        return nil
    }

    /// Why a file could not be hashed, in a person's words: one written to while gate hashed it
    /// has changed (Files.digest), anything else can no longer be read.
    static func unreadable(_ what: String, _ error: Error, then more: String = "") -> String {
        (error as? FileError)?.changedWhileRead == true ? "\(what) changed while gate was hashing it" : "\(what) can no longer be read" + more
    }

    /// What an approver's gate checks before signing: the files the request bound (a plan, a
    /// script's interpreters) and the executable, re-hashed now, so nobody approves a plan that
    /// changed after it was shown; the runner checks again before it runs. In a daemon's worker
    /// the files are read with the file access of the request's requester, who named them.
    public static func approvalRecheck(_ intent: Intent) throws -> String? {
        func check() -> String? {
            let d: [UInt8]
            do { d = try Files.digest(intent.executable) } catch {
                return unreadable("the executable \(intent.executable)", error, then: ", so what would run cannot be checked")
            }
            if d != intent.executableDigest { return "the executable \(intent.executable) changed since the request" }
            for f in intent.boundFiles {
                let d: [UInt8]
                do { d = try Files.digest(f.path) } catch {
                    return unreadable("bound file \(f.path)", error, then: ", so what would run cannot be checked")
                }
                if d != f.digest { return "the plan changed since the request: bound file \(f.path) is not what was shown" }
            }
            return nil
        }
        guard DaemonWorkerMode.active else { return check() }
        guard intent.uid <= UInt64(UInt32.max), let requester = Credentials.lookup(uid: UInt32(intent.uid)) else {
            return "the requester (uid \(intent.uid)) is no longer a user here"
        }
        return try DaemonWorkerMode.withFileAccess(of: requester, check)
    }
}
