import Foundation
import Testing

/// Every policy the man pages and the README show is one a reader can copy: it passes
/// `gate policy check` without a warning, and `gate policy explain` gives the outcomes the text
/// around it claims (issue 15: the old EXAMPLES lost plan review to an unreachable rule).
@Suite struct DocumentedPolicyTests {
    static let root = GeneratedFilesTests.root

    /// The `.Bd -literal` blocks of a man page that are whole policies.
    static func manPolicies(_ page: String) throws -> [String] {
        let text = try String(contentsOf: root.appendingPathComponent(page), encoding: .utf8)
        var out: [String] = [], current: [String]? = nil
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(".Bd -literal") { current = [] } else if line.hasPrefix(".Ed") {
                if let c = current, c.first == "version 1" { out.append(c.joined(separator: "\n") + "\n") }
                current = nil
            } else { current?.append(String(line)) }
        }
        return out
    }

    static let statements = ["version", "approver", "group", "requester", "allow", "deny", "require", "default", "context", "env", "trusted-path"]

    /// The README's indented policy snippets: runs of code lines that start with a policy statement.
    static func readmeSnippets() throws -> [String] {
        let text = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        var out: [String] = [], current: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let code = line.hasPrefix("    ") ? line.dropFirst(4) : nil
            if let code, let word = code.split(separator: " ").first, statements.contains(String(word)) {
                current.append(String(code))
            } else if !current.isEmpty {
                out.append(current.joined(separator: "\n") + "\n")
                current = []
            }
        }
        return out
    }

    /// A sandbox with a fake terraform in a trusted directory of its own.
    static func terraformSandbox() throws -> Sandbox {
        let s = try Sandbox()
        try FileManager.default.createDirectory(atPath: s.path("bin"), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        try s.write("bin/terraform", "#!/bin/sh\necho terraform \"$@\"\n", mode: 0o755)
        try s.write("tfplan", "plan\n")
        s.env["PATH"] = s.path("bin") + ":/usr/bin:/bin"
        return s
    }

    @Test func everyManPageAndReadmePolicyChecksClean() throws {
        let policies = try Self.manPolicies("man/gate-policy.5") + Self.manPolicies("man/gate.1")
        #expect(!policies.isEmpty)
        let s = try Sandbox()
        let alice = try s.keygen("alice")
        var checked = 0
        for (i, p) in policies.enumerated() {
            try s.write("etc/p\(i)", p, mode: 0o600)
            let r = try s.run(["policy", "check", s.path("etc/p\(i)")])
            #expect(r.status == 0 && !r.stdout.contains("warning") && !r.stderr.contains("warning"), "man page policy \(i): \(r.stdout)\(r.stderr)")
            checked += 1
        }
        // README snippets are parts of a policy: checked with the approvers and groups they name.
        for (i, snippet) in try Self.readmeSnippets().enumerated() {
            let header = snippet.contains("version 1") ? "" : "version 1\napprover alice user=alice key=\(alice)\ngroup sre alice\n"
            try s.write("etc/r\(i)", header + snippet, mode: 0o600)
            let r = try s.run(["policy", "check", s.path("etc/r\(i)")])
            #expect(r.status == 0 && !r.stdout.contains("warning"), "README snippet \(i):\n\(snippet)\(r.stdout)\(r.stderr)")
            checked += 1
        }
        #expect(checked >= 2)
    }

    /// gate-policy(5) says: break-glass for alice and bob, but not in production, where two SREs
    /// and a reason are needed; a bare apply is denied; others need one SRE who sees the plan.
    @Test func manPageExampleDoesWhatItsTextSays() throws {
        let s = try Self.terraformSandbox()
        var policy = try #require(Self.manPolicies("man/gate-policy.5").first)
        policy = policy.replacingOccurrences(of: "version 1\n", with: "version 1\ntrusted-path \(s.path("bin")):/usr/bin:/bin\n")
        try s.write("etc/policy", policy, mode: 0o600)
        func explain(_ user: String, workspace: String, _ argv: [String] = ["terraform", "apply", "tfplan"]) throws -> [String: Any] {
            let r = try s.run(["policy", "explain", "--json", "--as", user, "--"] + argv, env: ["TF_WORKSPACE": workspace])
            #expect(r.status == 0, "\(r.stderr)")
            return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] ?? [:]
        }
        let alice = try explain("alice", workspace: "prod")
        #expect(alice["requires"] as? [String] == ["2 of sre"] && alice["break_glass"] as? Bool == false && alice["reason_required"] as? Bool == true)
        let aliceDev = try explain("alice", workspace: "dev")
        #expect(aliceDev["requires"] as? [String] == ["1 of sre"] && aliceDev["break_glass"] as? Bool == true)
        let carol = try explain("carol", workspace: "dev")
        #expect(carol["requires"] as? [String] == ["1 of sre"] && carol["break_glass"] as? Bool == false)
        #expect(carol["contexts"] as? [String] == ["plan"] && carol["bind_env"] as? [String] == ["TF_WORKSPACE"])
        let bound = carol["bind_files"] as? [[String: Any]]
        #expect(bound?.first?["argument"] as? Int == 2 && bound?.first?["path"] as? String == "tfplan")
        let bare = try explain("carol", workspace: "dev", ["terraform", "apply"])
        #expect(bare["action"] as? String == "deny")
    }

    /// Every requirement a rule imposes is in `explain`, text and JSON (an agent planning from it
    /// must not learn about a ticket from a refusal).
    @Test func explainListsEveryRequirement() throws {
        let s = try Self.terraformSandbox()
        let bob = try s.keygen("bob")
        try s.writePolicy("trusted-path \(s.path("bin")):/usr/bin:/bin\napprover bob user=bob key=\(bob)\n"
            + "context plan -- /usr/bin/cat {2}\n"
            + "require 1 reason ticket approval-ttl=10m ttl=2h context=plan bind={2} bind-env=TF_WORKSPACE keep-env=TF_LOG -- terraform apply *\n")
        let text = try s.run(["policy", "explain", "--", "terraform", "apply", "tfplan"]).stdout
        for needle in ["reason is required", "ticket is required", "context plan", "binds {2} (tfplan)", "binds $TF_WORKSPACE",
                       "keeps $TF_LOG", "approvals are valid at most 10m", "expires after 2h"] {
            #expect(text.contains(needle), "explain lacks '\(needle)':\n\(text)")
        }
        let r = try s.run(["policy", "explain", "--json", "--", "terraform", "apply", "tfplan"])
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(json["ticket_required"] as? Bool == true && json["reason_required"] as? Bool == true)
        #expect(json["approval_ttl_seconds"] as? Int == 600 && json["request_ttl_seconds"] as? Int == 7200)
        #expect(json["contexts"] as? [String] == ["plan"] && json["keep_env"] as? [String] == ["TF_LOG"])
        #expect(json["bind_env"] as? [String] == ["TF_WORKSPACE"] && (json["bind_files"] as? [Any])?.count == 1)
    }

    /// A break-glass rule after a stricter rule for the same commands overrides it where both
    /// match: `policy check` says so.
    @Test func breakGlassAfterAStricterRuleIsWarned() throws {
        let s = try Sandbox()
        let bob = try s.keygen("bob"), carol = try s.keygen("carol")
        let head = "approver bob user=bob key=\(bob)\napprover carol user=carol key=\(carol)\n"
        let cases: [(String, Bool)] = [
            ("require 2 env:TF_WORKSPACE=prod -- terraform apply ...\nrequire 1 break-glass user=alice -- terraform apply ...\n", true),
            ("deny -- terraform destroy ...\nrequire 1 break-glass user=alice -- terraform ...\n", true),
            ("require 1 reason -- kubectl delete *\nrequire 1 break-glass user=alice -- kubectl ...\n", true),
            ("require 1 break-glass user=alice -- terraform apply ...\nrequire 2 env:TF_WORKSPACE=prod -- terraform apply ...\n", false),
            ("require 2 -- terraform apply ...\nrequire 2 break-glass user=alice -- terraform apply ...\n", false),
            ("require 2 -- terraform destroy ...\nrequire 1 break-glass user=alice -- terraform apply ...\n", false),
        ]
        for (rules, warned) in cases {
            try s.writePolicy(head + rules)
            let r = try s.run(["policy", "check"])
            let out = r.stdout
            #expect(r.status == 0, "\(r.stderr)")
            #expect(out.contains("break-glass rule comes after line") == warned, "\(rules)\(out)")
        }
    }
}
