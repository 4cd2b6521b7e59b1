import GateCrypto
import GateWire

/// Checks, from a ledger alone, that every approval a run's start records was one the policy in
/// force allowed (SPEC.md §6.3, issue 12): the policy is recorded in the ledger (a `policy` entry
/// with its text) before the first entry made under it, and each start names it by digest.
/// Anyone who could append a start "approved by alice" with a key they made fails here, unless
/// they also forge a policy entry naming that key, which `gate log` then shows as a policy change.
///
/// Fed in seq order: `policy(seq:payload:)` for each `policy` entry, `start(…)` for each start
/// that records approvals.
public struct ApprovalAudit: Sendable {
    public struct Problem: Error, Equatable, Sendable, CustomStringConvertible {
        public var seq: Int64
        public var message: String
        public var description: String { "entry \(seq): \(message)" }
        public init(seq: Int64, message: String) {
            self.seq = seq
            self.message = message
        }
    }

    /// Starts whose approvals were checked against a recorded policy.
    public private(set) var checked = 0
    /// Starts with approvals that precede the first recorded policy (written by a gate that did
    /// not record policies): nothing to check them against.
    public private(set) var unchecked = 0
    private var policies: [[UInt8]: Policy] = [:]
    private var sawPolicy = false

    public init() {}

    public mutating func policy(seq: Int64, payload: JSON) throws(Problem) {
        guard let text = payload["text"]?.stringValue, let hex = payload["digest"]?.stringValue, let digest = try? Hex.decode(hex) else {
            throw Problem(seq: seq, message: "a policy entry without its text and digest")
        }
        guard BLAKE2b.hash(Array(text.utf8)) == digest else {
            throw Problem(seq: seq, message: "the recorded policy text does not have the digest the entry names")
        }
        guard let parsed = try? PolicyParser.parse(text) else {
            throw Problem(seq: seq, message: "the recorded policy does not parse; gate records only policies it has loaded")
        }
        policies[digest] = parsed
        sawPolicy = true
    }

    /// One start (`started` or `break-glass`) of request `request`, its payload parsed.
    public mutating func start(seq: Int64, request: String, payload: JSON) throws(Problem) {
        let approvals = payload["approvals"]?.arrayValue ?? []
        guard !approvals.isEmpty else { return }
        guard let hex = payload["policy_digest"]?.stringValue, let digest = try? Hex.decode(hex) else {
            throw Problem(seq: seq, message: "a start with approvals names no policy digest")
        }
        guard let policy = policies[digest] else {
            if !sawPolicy { unchecked += 1; return }
            throw Problem(seq: seq, message: "its approvals were checked under policy \(hex.prefix(12))…, which the ledger never recorded")
        }
        guard let intent = payload["intent_digest"]?.stringValue.flatMap({ try? Hex.decode($0) }), intent.count == 32 else {
            throw Problem(seq: seq, message: "a start with approvals names no intent digest")
        }
        guard let fields = Self.intent(payload), IntentDigest(fields).bytes == intent else {
            throw Problem(seq: seq, message: "the recorded intent fields do not hash to the recorded intent digest")
        }
        let requester = payload["user"]?.stringValue ?? ""
        var people = Set<String>()
        for a in approvals {
            guard let text = a["token"]?.stringValue, let token = try? SignedToken(text: text) else {
                throw Problem(seq: seq, message: "an approval without a token that parses")
            }
            let p = token.payload
            guard let (approver, key) = policy.approver(forKey: p.keyID) else {
                throw Problem(seq: seq, message: "approval by key \(p.keyID), which the policy in force (\(hex.prefix(12))…) does not name")
            }
            guard key.key.isValidSignature(token.signature, for: token.payloadBytes) else {
                throw Problem(seq: seq, message: "the approval by key \(p.keyID) does not verify")
            }
            guard p.decision == .approve, p.intentDigest == intent, p.requestID == request else {
                throw Problem(seq: seq, message: "the approval by key \(p.keyID) is for another request or intent")
            }
            guard !TextSearch.sameBytes(approver.user, requester) else {
                throw Problem(seq: seq, message: "\(approver.name) approved their own request")
            }
            if let recorded = a["approver"]?.stringValue, recorded != approver.name {
                throw Problem(seq: seq, message: "the approval by key \(p.keyID) is recorded as \(recorded), but the policy names that key \(approver.name)")
            }
            people.insert(approver.name)
        }
        guard people.count == approvals.count else {
            throw Problem(seq: seq, message: "one approver is counted twice")
        }
        checked += 1
    }

    /// The intent a ledger payload records (SPEC.md §6: the fields a verifier recomputes from).
    public static func intent(_ p: JSON) -> Intent? {
        guard let argv = p["argv"]?.arrayValue?.compactMap(\.stringValue), !argv.isEmpty, let exe = p["executable"]?.stringValue,
              let exeDigest = p["executable_digest"]?.stringValue.flatMap({ try? Hex.decode($0) }), let cwd = p["cwd"]?.stringValue,
              let user = p["user"]?.stringValue, let uid = p["uid"]?.intValue, let agent = p["agent"]?.stringValue,
              let host = p["host"]?.stringValue else { return nil }
        var files: [Intent.BoundFile] = []
        for f in p["bound_files"]?.arrayValue ?? [] {
            guard let path = f["path"]?.stringValue, let d = f["digest"]?.stringValue.flatMap({ try? Hex.decode($0) }) else { return nil }
            files.append(.init(path: path, digest: d))
        }
        var env: [Intent.BoundVariable] = []
        for v in p["bound_env"]?.arrayValue ?? [] {
            guard let name = v["name"]?.stringValue, let value = v["value"]?.stringValue else { return nil }
            env.append(.init(name: name, value: value))
        }
        var shown: [Intent.ShownOutput] = []
        for c in p["context_digests"]?.arrayValue ?? [] {
            guard let name = c["name"]?.stringValue, let d = c["digest"]?.stringValue.flatMap({ try? Hex.decode($0) }) else { return nil }
            shown.append(.init(name: name, digest: d))
        }
        return Intent(argv: argv, executable: exe, executableDigest: exeDigest, cwd: cwd, user: user, uid: UInt64(max(0, uid)),
                      agent: agent, host: host, boundFiles: files, boundEnvironment: env, shown: shown)
    }
}
