import Foundation
import Testing

/// Issue 11: everything that reaches the child is in the intent. The environment is reset as
/// sudo's env_reset does; what passes is bound, shown, and checked again before exec.
@Suite(.timeLimit(.minutes(3))) struct EnvironmentResetTests {
    /// Variables a requester can use to run code inside an approved command.
    static let injections: [String: String] = [
        "BASH_ENV": "/tmp/evil.sh", "ENV": "/tmp/evil.sh", "LD_PRELOAD": "/tmp/evil.so", "LD_LIBRARY_PATH": "/tmp/evil",
        "LD_AUDIT": "/tmp/evil.so", "PYTHONPATH": "/tmp/evil", "PYTHONSTARTUP": "/tmp/evil.py", "PYTHONHOME": "/tmp",
        "PERL5OPT": "-Mevil", "PERL5LIB": "/tmp/evil", "PERLLIB": "/tmp/evil", "RUBYOPT": "-revil", "RUBYLIB": "/tmp/evil",
        "NODE_OPTIONS": "--require /tmp/evil.js", "NODE_PATH": "/tmp/evil", "TF_CLI_ARGS": "-auto-approve",
        "TF_CLI_ARGS_apply": "-auto-approve", "TF_CLI_CONFIG_FILE": "/tmp/evil.tfrc", "GIT_SSH_COMMAND": "touch /tmp/pwned",
        "GIT_CONFIG_GLOBAL": "/tmp/evil", "JAVA_TOOL_OPTIONS": "-javaagent:/tmp/evil.jar", "_JAVA_OPTIONS": "-Devil",
        "GCONV_PATH": "/tmp/evil", "GLIBC_TUNABLES": "glibc.malloc.check=3", "BASH_FUNC_ls%%": "() { touch /tmp/pwned; }",
        "SHELLOPTS": "xtrace", "PS4": "$(touch /tmp/pwned)", "IFS": "x", "PROMPT_COMMAND": "touch /tmp/pwned",
        "EDITOR": "/tmp/evil", "PAGER": "/tmp/evil", "LESSOPEN": "|/tmp/evil %s", "DOTNET_STARTUP_HOOKS": "/tmp/evil.dll",
        "OPENSSL_CONF": "/tmp/evil.cnf", "GATE_TOKEN": "x", "GATE_HOME_X": "x", "SSH_ASKPASS": "/tmp/evil",
    ]

    static func childEnvironment(_ output: String) -> [String: String] {
        var env: [String: String] = [:]
        for line in output.split(separator: "\n") {
            if let eq = line.firstIndex(of: "=") { env[String(line[..<eq])] = String(line[line.index(after: eq)...]) }
        }
        return env
    }

    @Test func injectionVariablesNeverReachTheCommandUnlessARuleNamesThem() throws {
        let s = try Sandbox()
        try s.writePolicy("allow -- /usr/bin/env\nallow keep-env=PYTHONPATH,NODE_OPTIONS,PATH -- /usr/bin/printenv ...\n")
        var env = Self.injections
        env["TF_WORKSPACE"] = "prod"
        env["AWS_PROFILE"] = "ci"
        env["RANDOM_THING"] = "x"
        env["PATH"] = s.path("bin") + ":/usr/bin:/bin"
        let r = try s.run(["--", "/usr/bin/env"], env: env)
        #expect(r.status == 0, "\(r.stderr)")
        let child = Self.childEnvironment(r.stdout)
        for name in Self.injections.keys { #expect(child[name] == nil, "\(name) reached the command") }
        #expect(child["RANDOM_THING"] == nil)
        #expect(child["GATE_HOME"] == nil && child["GATE_POLICY"] == nil)
        // What the default keeps for terraform, aws and kubectl does pass; PATH is the trusted one.
        #expect(child["TF_WORKSPACE"] == "prod" && child["AWS_PROFILE"] == "ci" && child["LANG"] == "C.UTF-8")
        #expect(child["PATH"] == "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        // A rule that names a variable keeps it, even an injection variable (policy check warns).
        let kept = try s.run(["--", "/usr/bin/printenv", "PYTHONPATH", "NODE_OPTIONS", "PATH"], env: env)
        #expect(kept.stdout == "/tmp/evil\n--require /tmp/evil.js\n\(s.path("bin")):/usr/bin:/bin\n", "\(kept.stdout) \(kept.stderr)")
        let check = try s.run(["policy", "check"])
        #expect(check.stdout.contains("warning: passes PYTHONPATH"), "\(check.stdout)")
    }

    @Test func theApproverSeesTheEnvironmentAndAChangedOneIsAnotherIntent() throws {
        let s = try Sandbox()
        let bob = try s.keygen("bob")
        try s.writePolicy("approver bob user=bob key=\(bob)\nrequire 1 -- /usr/bin/env\n")
        let env = ["TF_WORKSPACE": "prod", "AWS_SECRET_ACCESS_KEY": "hunter2", "BASH_ENV": "/tmp/evil.sh"]
        let requester = try s.start(["--"] + ["/usr/bin/env"], env: env)
        let id = try s.waitForPending()
        let show = try s.run(["show", id, "--no-pager"])
        #expect(show.stdout.contains("TF_WORKSPACE=prod"), "\(show.stdout)")
        #expect(show.stdout.contains("AWS_SECRET_ACCESS_KEY=(redacted) redacted:") && !show.stdout.contains("hunter2"))
        #expect(!show.stdout.contains("BASH_ENV"))
        let token = try s.run(["approve", id, "--key", s.path("bob.key"), "--print-token"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let ran = requester.finish()
        #expect(ran.status == 0 && ran.stdout.contains("TF_WORKSPACE=prod") && !ran.stdout.contains("BASH_ENV"), "\(ran.stderr)")
        // Kept variables are bound: another workspace, another secret, or one more kept variable
        // is another intent, and the token does not fit it.
        let id2 = try s.abandonedRequest(["/usr/bin/env"], env: env)
        #expect(!token.isEmpty)
        let t2 = try s.run(["approve", id2, "--key", s.path("bob.key"), "--print-token"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        for changed in [["TF_WORKSPACE": "dev"], ["AWS_SECRET_ACCESS_KEY": "other"], ["AWS_REGION": "eu-west-1"]] {
            let r = try s.run(["--token", t2, "--", "/usr/bin/env"], env: env.merging(changed) { $1 })
            #expect(r.status == 77 && r.stderr.contains("token approves intent"), "\(changed): \(r.stderr)")
        }
        // An injection variable added at run time is not kept, so the intent is the same.
        let same = try s.run(["--token", t2, "--", "/usr/bin/env"], env: env.merging(["LD_PRELOAD": "/tmp/x.so"]) { $1 })
        #expect(same.status == 0 && !same.stdout.contains("LD_PRELOAD"), "\(same.stderr)")
    }

    @Test func aScriptsInterpreterIsBoundAndShown() throws {
        let s = try Sandbox()
        let bob = try s.keygen("bob")
        try FileManager.default.createDirectory(atPath: s.path("bin"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/usr/bin/dash", toPath: s.path("bin/interp"))
        try s.write("bin/deploy", "#!\(s.path("bin/interp"))\necho deployed\n", mode: 0o755)
        try s.write("bin/viaenv", "#!/usr/bin/env myinterp\necho via env\n", mode: 0o755)
        try FileManager.default.copyItem(atPath: "/usr/bin/dash", toPath: s.path("bin/myinterp"))
        try s.writePolicy("""
            approver bob user=bob key=\(bob)
            require 1 -- \(s.path("bin/deploy"))
            require 1 keep-env=PATH -- \(s.path("bin/viaenv"))
            """)
        let pathEnv = ["PATH": s.path("bin") + ":/usr/bin:/bin"]
        for script in ["deploy", "viaenv"] {
            let id = try s.abandonedRequest([s.path("bin/\(script)")], env: pathEnv)
            let show = try s.run(["show", id, "--no-pager"], env: pathEnv)
            let interpreter = s.path(script == "deploy" ? "bin/interp" : "bin/myinterp")
            #expect(show.stdout.contains(interpreter), "\(show.stdout)")
            let token = try s.run(["approve", id, "--key", s.path("bob.key"), "--print-token"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            // The interpreter is replaced after approval: the run is refused, nothing runs.
            try FileManager.default.removeItem(atPath: interpreter)
            try FileManager.default.copyItem(atPath: "/bin/bash", toPath: interpreter)
            let r = try s.run(["--token", token, "--", s.path("bin/\(script)")], env: pathEnv)
            #expect(r.status == 77 && r.stdout.isEmpty && r.stderr.contains("token approves intent"), "\(script): \(r.stderr)")
        }
    }

    @Test func hugeDurationsAreErrorsNotCrashes() throws {
        let s = try Sandbox()
        let bob = try s.keygen("bob")
        for option in ["ttl=9999999999999s", "approval-ttl=18446744073709551615s", "ttl=367d", "approval-ttl=99999999999999999999d"] {
            try s.writePolicy("approver bob user=bob key=\(bob)\nrequire 1 \(option) -- sh ...\n")
            let check = try s.run(["policy", "check"])
            #expect(check.status == 78 && check.stderr.contains(":3: ") && check.stderr.contains("at most 366d"), "\(option): \(check.stderr)")
            let run = try s.run(["--", "sh", "-c", "true"])
            #expect(run.status == 78, "\(option): \(run.stderr)")
        }
        try s.writePolicy("approver bob user=bob key=\(bob)\nrequire 1 -- sh ...\n")
        for timeout in ["99999999999999999s", "18446744073709551616s", "367d", "0s"] {
            let r = try s.run(["--timeout", timeout, "--", "sh", "-c", "true"])
            #expect(r.status == 64 && r.stderr.hasPrefix("gate: error: --timeout"), "\(timeout): \(r.stderr)")
        }
    }

    @Test func oneUserUnderTwoApproverNamesIsAPolicyError() throws {
        let s = try Sandbox()
        let a = try s.keygen("a"), b = try s.keygen("b")
        try s.writePolicy("approver alice user=alice key=\(a)\napprover alice2 user=alice key=\(b)\ndefault require 2\n")
        let check = try s.run(["policy", "check"])
        #expect(check.status == 78 && check.stderr.contains(":3: user 'alice' is approver 'alice'"), "\(check.stderr)")
    }

    @Test func directionAndInvisibleCharactersAreShownInert() throws {
        let s = try Sandbox()
        let bob = try s.keygen("bob")
        try s.writePolicy("approver bob user=bob key=\(bob)\nrequire 1 -- sh ...\n")
        let tricky = ["\u{202E}", "\u{2066}", "\u{2067}", "\u{2068}", "\u{2069}", "\u{061C}", "\u{200B}", "\u{200F}", "\u{FEFF}"]
        let argv = ["sh", "-c", "echo safe #" + tricky.joined() + "x"]
        let r = try s.start(["--reason", "ok\u{202E}evil", "--"] + argv)
        let id = try s.waitForPending()
        for view in [try s.run(["show", id, "--no-pager"]).stdout, try s.run(["list"]).stdout, try s.run(["log"]).stdout] {
            for c in tricky { #expect(!view.contains(c), "raw U+\(String(c.unicodeScalars.first!.value, radix: 16)) in \(view)") }
        }
        #expect(try s.run(["show", id, "--no-pager"]).stdout.contains("\\u202e"))
        r.signal(SIGINT)
        _ = r.finish()
    }
}
