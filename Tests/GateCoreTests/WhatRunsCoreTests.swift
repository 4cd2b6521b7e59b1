import Glibc
import Testing
@testable import GateCore
import GateWire

/// Issue 11, the pure core: path patterns, the environment reset and the policy statements
/// that drive them.
@Suite struct WhatRunsCoreTests {
    /// `pathname` globbing agrees with fnmatch(3)'s FNM_PATHNAME on random patterns and paths.
    @Test func pathnameGlobAgreesWithFnmatch() {
        var rng = SystemRandomNumberGenerator()
        let patternAlphabet: [Character] = ["a", "b", "/", "*", "?", "."]
        let textAlphabet: [Character] = ["a", "b", "/", "."]
        var checked = 0
        for _ in 0..<20_000 {
            let pattern = String((0..<Int.random(in: 0...7, using: &rng)).map { _ in patternAlphabet.randomElement(using: &rng)! })
            let text = String((0..<Int.random(in: 0...8, using: &rng)).map { _ in textAlphabet.randomElement(using: &rng)! })
            let expected = fnmatch(pattern, text, FNM_PATHNAME) == 0
            #expect(Glob.matches(pattern, text, pathname: true) == expected, "'\(pattern)' vs '\(text)'")
            checked += 1
        }
        #expect(checked == 20_000)
    }

    @Test func absolutePatternsDoNotCrossDirectories() throws {
        let p = try PolicyParser.parse("version 1\ndefault deny\nallow -- /usr/bin/* ...\ndeny -- /usr/bin/rm ...\n")
        #expect(p.decide(executable: "/usr/bin/ls", argv: ["ls"]).action == .allow)
        #expect(p.decide(executable: "/usr/bin/rm", argv: ["rm", "f"]).action == .deny(message: nil))
        #expect(p.decide(executable: "/usr/bin/x/evil", argv: ["evil"]).action == .deny(message: nil))
        #expect(p.decide(executable: "/tmp/evil", argv: ["/usr/bin/../../tmp/evil"]).action == .deny(message: nil))
    }

    @Test func bareNamesMatchOnlyTrustedAliases() throws {
        let p = try PolicyParser.parse("version 1\napprover a user=a key=\(Self.key)\ndefault deny\nallow -- ls ...\nrequire 1 -- bash ...\n")
        // Found in a trusted directory: matches by its name there.
        #expect(p.decide(executable: "/usr/bin/ls", argv: ["ls"]).action == .allow)
        // The same file name elsewhere: no bare name matches.
        #expect(p.decide(executable: "/home/eve/bin/ls", argv: ["ls"]).action == .deny(message: nil))
        // A link named ls, in the requester's directory, to bash: it is bash.
        #expect(p.decide(executable: "/usr/bin/bash", argv: ["ls", "-c", "x"], aliases: ["/usr/bin/bash"]).requirements.count == 1)
        // A link in a trusted directory to a file elsewhere keeps that directory's name for it.
        #expect(p.decide(executable: "/opt/ls/ls-9", argv: ["ls"], aliases: ["/usr/local/bin/ls"]).action == .allow)
    }

    @Test func patternDirectoriesAreReadAsPathsOnThisHost() throws {
        var p = try PolicyParser.parse("version 1\nallow -- /bin/echo ...\nallow -- /bin/*\nallow -- /nonexistent/x\nallow -- /*\nallow -- /opt/*/bin/x\n")
        p.resolvePatternDirectories { $0 == "/bin" ? "/usr/bin" : nil }
        #expect(p.rules.map(\.executable) == ["/usr/bin/echo", "/usr/bin/*", "/nonexistent/x", "/*", "/opt/*/bin/x"])
    }

    static let key = "gatepk1:RWThl0huBHBH7qvD6pa6MRSOrN25yxWGB3QfTZCJGMka-nxgkvjzbw2U"

    @Test func theEnvironmentIsResetToWhatThePolicyKeeps() throws {
        let p = try PolicyParser.parse("version 1\nenv MY_* PYTHONPATH\ntrusted-path /usr/bin:/bin\nallow keep-env=NODE_OPTIONS,X_* -- /usr/bin/env\n")
        let options = p.rules[0].options
        let current = [
            ("HOME", "/root"), ("PATH", "/evil:/usr/bin"), ("LD_PRELOAD", "x.so"), ("PYTHONPATH", "/evil"), ("MY_VAR", "1"),
            ("NODE_OPTIONS", "--require x"), ("X_ONE", "1"), ("X_", "2"), ("LD_LIBRARY_PATH", "/evil"), ("BASH_ENV", "e"),
            ("TF_WORKSPACE", "prod"), ("TF_CLI_ARGS_apply", "-auto-approve"), ("GATE_TOKEN", "t"), ("HOME", "/second"), ("", "x"),
        ].map { EnvironmentReset.Variable($0.0, $0.1) }
        let child = EnvironmentReset.childEnvironment(current, policy: p, options: options)
        #expect(child.map(\.name) == ["HOME", "MY_VAR", "NODE_OPTIONS", "X_ONE", "X_", "TF_WORKSPACE", "PATH"])
        #expect(child.first { $0.name == "HOME" }?.value == "/root")
        #expect(child.last?.value == "/usr/bin:/bin")
        // Keeping PATH by name passes the requester's.
        let keepPath = try PolicyParser.parse("version 1\nallow keep-env=PATH -- /usr/bin/env\n")
        #expect(EnvironmentReset.childEnvironment(current, policy: keepPath, options: keepPath.rules[0].options).first { $0.name == "PATH" }?.value == "/evil:/usr/bin")
        // Every listed injection family is dangerous; a prefix in keep-env never lets one pass.
        for name in ["LD_AUDIT", "BASH_ENV", "ENV", "PYTHONSTARTUP", "PERL5OPT", "RUBYOPT", "NODE_OPTIONS", "TF_CLI_ARGS",
                     "TF_CLI_ARGS_plan", "GIT_SSH_COMMAND", "JAVA_TOOL_OPTIONS", "BASH_FUNC_x%%", "GLIBC_TUNABLES", "PATH"] {
            #expect(EnvironmentReset.isDangerous(name), "\(name)")
        }
        let prefix = try PolicyParser.parse("version 1\nallow keep-env=LD_*,PYTHON* -- /usr/bin/env\n")
        #expect(!EnvironmentReset.keeps("LD_PRELOAD", policy: prefix, options: prefix.rules[0].options))
        #expect(!EnvironmentReset.keeps("PYTHONPATH", policy: prefix, options: prefix.rules[0].options))
    }

    @Test func newStatementsAndOptionsAreCheckedWhereTheyAreParsed() {
        let bad: [(String, String)] = [
            ("trusted-path usr/bin", "not an absolute directory"),
            ("trusted-path /usr/bin:", "not an absolute directory"),
            ("trusted-path /usr/../bin", "not canonical"),
            ("trusted-path /usr/bin/", "not canonical"),
            ("trusted-path /a\ntrusted-path /b", "given twice"),
            ("allow keep-env= -- x", "keep-env= needs variable names"),
            ("allow keep-env=A,,B -- x", "keep-env= needs variable names"),
            ("allow keep-env=A=B -- x", "keep-env= needs variable names"),
            ("allow ttl=367d -- x", "at most 366d"),
            ("allow approval-ttl=18446744073709551615s -- x", "at most 366d"),
            ("context c timeout=99999999999999d -- x", "at most 366d"),
        ]
        for (text, message) in bad {
            #expect(throws: PolicyError.self, "\(text)") { try PolicyParser.parse("version 1\n" + text + "\n") }
            do { _ = try PolicyParser.parse("version 1\n" + text + "\n") } catch let e as PolicyError {
                #expect(e.message.contains(message), "\(text): \(e.message)")
            } catch {}
        }
        #expect(GateDuration(parsing: "366d")?.seconds == 366 * 86400)
        #expect(GateDuration(parsing: "366d1s") == nil)
        #expect(GateDuration(parsing: "99999999999999999999s") == nil)
    }

    @Test func directionAndInvisibleCharactersAreControls() {
        for v: UInt32 in [0x202E, 0x202A, 0x2066, 0x2067, 0x2068, 0x2069, 0x061C, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0xFEFF, 0x2060, 0xAD, 0x1b, 0x9b] {
            #expect(Unicode.Scalar(v)!.isTerminalControl, "U+\(String(v, radix: 16))")
        }
        for v: UInt32 in [0x41, 0xe9, 0x4e2d, 0x1F600, 0x2010, 0x2030] { #expect(!Unicode.Scalar(v)!.isTerminalControl) }
    }
}

/// The Claude Code hook splits a command into argv only when bash would read it as plain words.
@Suite struct ShellWordsTests {
    @Test(arguments: [
        ("ls -l /tmp", ["ls", "-l", "/tmp"]), ("git commit -m 'a b'", ["git", "commit", "-m", "a b"]),
        ("echo \"x y\" z", ["echo", "x y", "z"]), ("printf a\\ b", ["printf", "a b"]), ("  kubectl   get pods ", ["kubectl", "get", "pods"]),
        ("echo \"say \\\"hi\\\"\"", ["echo", "say \"hi\""]), ("echo ''", ["echo", ""]), ("terraform apply -auto-approve=false", ["terraform", "apply", "-auto-approve=false"]),
    ])
    func plainWordsSplit(_ command: String, _ argv: [String]) {
        #expect(ShellWords.split(command) == argv)
    }

    @Test(arguments: [
        "ls; rm -rf /", "ls | sh", "ls && id", "ls & id", "echo $HOME", "echo `id`", "echo \"$(id)\"", "cat < /etc/shadow", "echo > x",
        "(id)", "{ id; }", "ls *", "ls ?", "ls [a]", "cd /tmp", "export A=1", "source x", ". x", "FOO=1 ls", "ls ~", "ls ~/x", "ls a=~/x",
        "echo # c", "ls\nid", "ls\rid", "echo 'unclosed", "echo \"unclosed", "echo \\", "if true", "time ls", "exec sh", "eval id", "!",
        "echo \"a\\$b\"", "", "   ", "echo \u{7f}", "echo 'a\nb'", "a=b", "echo \"!x\"",
    ])
    func shellSyntaxIsNotGuessedAt(_ command: String) {
        #expect(ShellWords.split(command) == nil, "\(command)")
    }
}
