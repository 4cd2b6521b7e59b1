import GateCore
import GateCrypto
import GateWire
import Testing

struct Ctx: Sendable {
    var user: String
    var agent: String
    var cwd: String
    var env: [String: String]
    var digest: [UInt8]
    var text: String { "user=\(user) agent=\(agent) cwd=\(cwd) env=\(env)" }
}

/// Table-driven matching with conditions, generated as the cross product of rule conditions and
/// request contexts, each case checked against the condition's plain meaning.
@Suite struct PolicyConditionTests {
    static let pinned = BLAKE2b.hash(Array("terraform-1.9".utf8))
    static let other = BLAKE2b.hash(Array("terraform-evil".utf8))

    // (option text, oracle)
    static let conditions: [(String, @Sendable (Ctx) -> Bool)] = [
        ("", { _ in true }),
        ("user=alice", { $0.user == "alice" }),
        ("user=alice user=bob", { $0.user == "alice" || $0.user == "bob" }),
        ("user=ci-*", { $0.user.hasPrefix("ci-") }),
        ("agent=none", { $0.agent.isEmpty }),
        ("agent=*", { !$0.agent.isEmpty }),
        ("agent=claude", { $0.agent == "claude" }),
        ("agent=cl*", { $0.agent.hasPrefix("cl") }),
        ("env:TF_WORKSPACE=prod", { $0.env["TF_WORKSPACE"] == "prod" }),
        ("env:TF_WORKSPACE=prod*", { $0.env["TF_WORKSPACE"]?.hasPrefix("prod") ?? false }),
        ("env:TF_WORKSPACE=", { $0.env["TF_WORKSPACE"] == "" }),
        ("env:TF_WORKSPACE=*", { $0.env["TF_WORKSPACE"] != nil }),
        ("env:TF_WORKSPACE=prod env:AWS_PROFILE=ops", { $0.env["TF_WORKSPACE"] == "prod" && $0.env["AWS_PROFILE"] == "ops" }),
        ("cwd=/srv/infra", { $0.cwd == "/srv/infra" || $0.cwd.hasPrefix("/srv/infra/") }),
        ("cwd=/srv/infra/", { $0.cwd == "/srv/infra" || $0.cwd.hasPrefix("/srv/infra/") }),
        ("cwd=/", { _ in true }),
        ("digest=blake2b:\(Hex.encode(pinned))", { $0.digest == pinned }),
        ("user=alice agent=none cwd=/srv", { $0.user == "alice" && $0.agent.isEmpty && ($0.cwd == "/srv" || $0.cwd.hasPrefix("/srv/")) }),
    ]

    static let contexts: [Ctx] = {
        var out: [Ctx] = []
        for user in ["alice", "bob", "ci-runner", "mallory"] {
            for agent in ["", "claude", "codex"] {
                for cwd in ["/srv/infra", "/srv/infra/prod", "/srv/infrastructure", "/srv", "/home/alice"] {
                    for env in [[:], ["TF_WORKSPACE": "prod"], ["TF_WORKSPACE": "production", "AWS_PROFILE": "ops"],
                                ["TF_WORKSPACE": "prod", "AWS_PROFILE": "ops"], ["TF_WORKSPACE": ""]] as [[String: String]] {
                        out.append(Ctx(user: user, agent: agent, cwd: cwd, env: env, digest: (user == "bob" ? other : pinned)))
                    }
                }
            }
        }
        return out
    }()

    @Test("conditions × contexts, every pair checked against the condition's meaning")
    func conditionsMatchTheirMeaning() throws {
        var checked = 0
        for (text, oracle) in Self.conditions {
            let policy = try PolicyParser.parse("allow \(text) -- terraform apply ...\n")
            for c in Self.contexts {
                let got = policy.decide(MatchContext(executable: "/usr/bin/terraform", trustedAliases: ["/usr/bin/terraform"], executableDigest: c.digest,
                                                     argv: ["terraform", "apply", "tfplan"], user: c.user, agent: c.agent, cwd: c.cwd,
                                                     environment: { [env = c.env] in env[$0] })).action == .allow
                #expect(got == oracle(c), "'\(text)' with \(c.text)")
                checked += 1
            }
        }
        #expect(checked == Self.conditions.count * Self.contexts.count)
    }

    /// Last match wins, against a plain model: walk the rules in order and remember the last hit.
    @Test func lastMatchWinsAgainstAModel() throws {
        var rng = SplitMix(seed: 42)
        let words = ["apply", "plan", "destroy", "*", "a*", "...", "prod", "-auto-approve"]
        for _ in 0..<300 {
            var text = "default deny\n"
            var rules: [(Int, [String])] = []
            for i in 0..<Int(rng.next() % 6 + 1) {
                var pattern = ["terraform"]
                for _ in 0..<Int(rng.next() % 3) { pattern.append(words[Int(rng.next() % UInt64(words.count))]) }
                if let dots = pattern.firstIndex(of: "..."), dots != pattern.count - 1 { pattern.removeSubrange((dots + 1)...) }
                text += "allow -- \(pattern.joined(separator: " "))\n"
                rules.append((i + 2, pattern))
            }
            let policy = try PolicyParser.parse(text)
            for argv in [["terraform"], ["terraform", "apply"], ["terraform", "apply", "prod"], ["terraform", "plan", "-auto-approve"],
                         ["terraform", "destroy", "x", "y"]] {
                var expected: Int? = nil
                for (line, pattern) in rules where Self.naiveMatch(pattern, argv) { expected = line }
                #expect(policy.decide(executable: "/usr/bin/terraform", argv: argv).line == expected, "\(text) \(argv)")
            }
        }
    }

    static func naiveMatch(_ pattern: [String], _ argv: [String]) -> Bool {
        var i = 1
        for p in pattern.dropFirst() {
            if p == "..." { return true }
            guard i < argv.count, Glob.matches(p, argv[i]) else { return false }
            i += 1
        }
        return i == argv.count
    }

    @Test func optionsAreParsed() throws {
        let p = try PolicyParsingTests.parse("require 2 of sre reason ttl=1h approval-ttl=10m break-glass user=alice -- terraform apply ...\n")
        let o = p.rules[0].options
        #expect(o.reasonRequired && o.breakGlass && o.requestTTL == 3600 && o.approvalTTL == 600)
        let d = try PolicyParser.parse("approver a user=a key=\(TestKeys.alice.publicKey.text)\ndefault require 1 ttl=30m\n")
        #expect(d.defaultOptions.requestTTL == 1800)
    }

    static let optionErrorCases: [(String, String)] = [
        ("allow user= -- ls", "user= needs"),
        ("allow agent= -- ls", "agent= needs"),
        ("allow agent=a agent=b -- ls", "agent= is given twice"),
        ("allow env:=x -- ls", "expected env:NAME=VALUE"),
        ("allow env:FOO -- ls", "expected env:NAME=VALUE"),
        ("allow cwd=relative -- ls", "absolute directory"),
        ("allow digest=sha256:00 -- ls", "blake2b:"),
        ("allow digest=blake2b:abcd -- ls", "64 hex digits"),
        ("require 1 ttl=soon -- ls", "ttl= needs a duration"),
        ("require 1 approval-ttl=5 -- ls", "approval-ttl= needs a duration"),
        ("allow reason -- ls", "'reason' has no effect on 'allow'"),
        ("allow frobnicate -- ls", "unknown rule option 'frobnicate'"),
        ("default deny user=alice", "'default' cannot have conditions"),
        ("require 3 of sre and 1 of dba -- ls", "needs 4 distinct approvers but the groups named have only 3 people"),
    ]

    @Test("option errors name their line", arguments: optionErrorCases)
    func optionErrors(_ c: (String, String)) {
        do {
            _ = try PolicyParsingTests.parse(c.0)
            Issue.record("accepted: \(c.0)")
        } catch let e as PolicyError {
            #expect(e.line == 7 && e.message.contains(c.1), "\(c.0): \(e)")
        } catch { Issue.record("\(error)") }
    }

    @Test func onePersonFillsOnePlaceAcrossClauses() throws {
        // carol is in sre and dba; "1 of sre and 1 of dba" needs two people.
        let policy = try PolicyParsingTests.parse("require 1 of sre and 1 of dba -- ls\n")
        var check = ApprovalCheck(policy: policy, requirements: [.init(count: 1, group: "sre"), .init(count: 1, group: "dba")],
                                  requesterUser: "dave", intentDigest: ApprovalCheckTests.digest, now: ApprovalCheckTests.now)
        check.requestID = "AAAABBBB"
        guard case .pending = check.evaluate([ApprovalCheckTests.token(TestKeys.carol)]) else { Issue.record("carol alone filled two places"); return }
        guard case .approved = check.evaluate([ApprovalCheckTests.token(TestKeys.carol), ApprovalCheckTests.token(TestKeys.alice)]) else {
            Issue.record("carol (dba) + alice (sre) should do"); return
        }
    }

    @Test func approvalLifetimeLongerThanTheRuleAllowsIsRefused() {
        var check = ApprovalCheckTests.check()
        check.approvalTTL = 600
        let long = ApprovalCheckTests.token(TestKeys.alice, issued: ApprovalCheckTests.now - 10, expires: ApprovalCheckTests.now + 3600)
        #expect(check.verify(long) == .failure(.lifetimeTooLong(seconds: 3610, allowed: 600)))
        let short = ApprovalCheckTests.token(TestKeys.alice, issued: ApprovalCheckTests.now - 10, expires: ApprovalCheckTests.now + 500)
        #expect(check.verify(short).map(\.approver) == .success("alice"))
    }

    @Test func lintWarnings() throws {
        let p = try PolicyParsingTests.parse("""
            group unused alice
            require 1 of sre -- terraform apply
            allow -- terraform ...
            allow -- bash ...
            require 1 of sre break-glass -- kubectl ...
            """)
        let w = p.warnings().map { "\($0.line): \($0.message)" }
        #expect(w.contains { $0.hasPrefix("7: group 'unused'") })
        #expect(w.contains { $0.hasPrefix("8: rule is unreachable: line 9") })
        #expect(w.contains { $0.hasPrefix("10: allows 'bash' with any arguments") })
        #expect(w.contains { $0.hasPrefix("11: break-glass is open to every requester") })
        #expect(!w.contains { $0.hasPrefix("9:") })
    }
}

/// A small deterministic generator, so random cases reproduce.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
