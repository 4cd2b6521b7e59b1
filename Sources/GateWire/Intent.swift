/// What a requester asks to run, as captured at request time. Everything in here is bound by the
/// intent digest (SPEC.md §2); request metadata such as the reason or the time is not, so that the
/// same action asked for twice has the same digest and a pre-issued token can be checked against it.
public struct Intent: Equatable, Sendable {
    public static let magic = Array("gateint1".utf8)
    /// The encoding of an intent that binds context outputs (`shown` not empty).
    public static let magicWithContext = Array("gateint2".utf8)
    public static let maxArguments = 4096

    public struct BoundFile: Equatable, Sendable {
        public var path: String
        public var digest: [UInt8]  // BLAKE2b-256 of the file's bytes
        public init(path: String, digest: [UInt8]) { self.path = path; self.digest = digest }
    }

    public struct BoundVariable: Equatable, Sendable {
        public var name: String
        public var value: String
        public init(name: String, value: String) { self.name = name; self.value = value }
    }

    /// A context provider's output as the approver is shown it: its name and the BLAKE2b-256 of
    /// the bytes (SPEC.md §2). Bound so that an approval covers what was shown, not only the
    /// files the output was made from.
    public struct ShownOutput: Equatable, Sendable {
        public var name: String
        public var digest: [UInt8]
        public init(name: String, digest: [UInt8]) { self.name = name; self.digest = digest }
    }

    public var argv: [String]
    /// Absolute path the executable resolved to through PATH at request time.
    public var executable: String
    public var executableDigest: [UInt8]
    public var cwd: String
    public var user: String
    public var uid: UInt64
    /// `GATE_AGENT` label, empty when none. An agent acts as its user for every identity check.
    public var agent: String
    public var host: String
    public var boundFiles: [BoundFile]
    public var boundEnvironment: [BoundVariable]
    /// Context outputs the approvers are shown, sorted by name bytes; empty for most intents
    /// (whose encoding is then `gateint1`, unchanged).
    public var shown: [ShownOutput] {
        didSet { shown.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) } }
    }

    public init(argv: [String], executable: String, executableDigest: [UInt8], cwd: String, user: String,
                uid: UInt64, agent: String, host: String, boundFiles: [BoundFile] = [],
                boundEnvironment: [BoundVariable] = [], shown: [ShownOutput] = []) {
        self.argv = argv
        self.executable = executable
        self.executableDigest = executableDigest
        self.cwd = cwd
        self.user = user
        self.uid = uid
        self.agent = agent
        self.host = host
        // Canonical order, so the encoding does not depend on the order things were captured in.
        self.boundFiles = boundFiles.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
        self.boundEnvironment = boundEnvironment.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        self.shown = shown.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }

    public func encoded() -> [UInt8] {
        var w = ByteWriter()
        w.fixed(shown.isEmpty ? Self.magic : Self.magicWithContext)
        w.u32(UInt32(argv.count))
        for arg in argv { w.string(arg) }
        w.string(executable)
        w.fixed(executableDigest)
        w.string(cwd)
        w.string(user)
        w.u64(uid)
        w.string(agent)
        w.string(host)
        w.u32(UInt32(boundFiles.count))
        for f in boundFiles { w.string(f.path); w.fixed(f.digest) }
        w.u32(UInt32(boundEnvironment.count))
        for v in boundEnvironment { w.string(v.name); w.string(v.value) }
        if !shown.isEmpty {
            w.u32(UInt32(shown.count))
            for o in shown { w.string(o.name); w.fixed(o.digest) }
        }
        return w.bytes
    }

    /// Strict decoding: the input must be exactly the canonical encoding of the result.
    public init(decoding bytes: [UInt8]) throws {
        var r = ByteReader(bytes)
        let magic = try r.fixed(Self.magic.count)
        guard magic == Self.magic || magic == Self.magicWithContext else { throw WireError("not a gate intent (bad magic)") }
        let argc = try r.count(max: Self.maxArguments)
        guard argc >= 1 else { throw WireError("empty argv") }
        var argv: [String] = []
        for _ in 0..<argc { argv.append(try r.string()) }
        let executable = try r.string()
        let digest = try r.fixed(32)
        let cwd = try r.string()
        let user = try r.string()
        let uid = try r.u64()
        let agent = try r.string()
        let host = try r.string()
        var files: [BoundFile] = []
        for _ in 0..<(try r.count(max: 1024)) { files.append(BoundFile(path: try r.string(), digest: try r.fixed(32))) }
        var env: [BoundVariable] = []
        for _ in 0..<(try r.count(max: 1024)) { env.append(BoundVariable(name: try r.string(), value: try r.string())) }
        var shown: [ShownOutput] = []
        if magic == Self.magicWithContext {
            let n = try r.count(max: 256)
            guard n >= 1 else { throw WireError("a gateint2 intent binds at least one context output") }
            for _ in 0..<n { shown.append(ShownOutput(name: try r.string(), digest: try r.fixed(32))) }
        }
        try r.finish()
        self.init(argv: argv, executable: executable, executableDigest: digest, cwd: cwd, user: user, uid: uid,
                  agent: agent, host: host, boundFiles: files, boundEnvironment: env, shown: shown)
        guard encoded() == bytes else { throw WireError("intent encoding is not canonical (order or duplicates)") }
        // As bytes: names that are one text in two Unicode forms are two files (or variables).
        guard Set(files.map { Array($0.path.utf8) }).count == files.count, Set(env.map { Array($0.name.utf8) }).count == env.count,
              Set(shown.map { Array($0.name.utf8) }).count == shown.count else {
            throw WireError("duplicate bound file or variable")
        }
    }
}
