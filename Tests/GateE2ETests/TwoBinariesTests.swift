import Foundation
import Testing

/// Issue 17: `gate` is the hot path alone; every other command line is gate-commands', run from
/// gate's own directory. The two must agree, and a gate installed without gate-commands must say
/// so in one line and still run commands.
@Suite struct TwoBinariesTests {
    /// gate copied alone into a directory of its own.
    static func loneGate(_ s: Sandbox) throws -> String {
        let dir = s.path("lone")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let lone = dir + "/gate"
        // cp, not an open descriptor here: a spawn by a concurrent test would inherit it, and
        // executing a file open for writing is ETXTBSY.
        let cp = try Spawned.start(["/bin/cp", Sandbox.binary, lone], env: s.env, cwd: s.root.path, stdin: nil).finish()
        #expect(cp.status == 0, "\(cp)")
        return lone
    }

    @Test func aGateWithoutGateCommandsRunsCommandsAndNamesWhatIsMissing() throws {
        let s = try Sandbox()
        try s.writePolicy("allow -- /bin/echo ...\ndefault deny\n")
        let lone = try Self.loneGate(s)
        let ran = try Spawned.start([lone, "--", "/bin/echo", "hi"], env: s.env, cwd: s.root.path, stdin: nil).finish()
        #expect(ran.status == 0 && ran.stdout == "hi\n", "\(ran)")
        for args in [["list"], ["approve", "X"], ["--help"], [], ["bogus", "word"], ["run", "--no-wait", "--", "/bin/echo"]] {
            let r = try Spawned.start([lone] + args, env: s.env, cwd: s.root.path, stdin: nil).finish()
            #expect(r.status == 69, "\(args): \(r)")
            #expect(r.stderr.hasPrefix("gate: error: ") && r.stderr.contains("needs the gate-commands executable next to gate (\(s.path("lone"))/gate-commands is missing)"), "\(args): \(r.stderr)")
            #expect(r.stderr.contains("gate: hint: "), "\(args): \(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
        // The hook and --version are gate's own too.
        let version = try Spawned.start([lone, "--version"], env: s.env, cwd: s.root.path, stdin: nil).finish()
        #expect(version.status == 0 && !version.stdout.isEmpty)
    }

    /// What gate hands over arrives unchanged: arguments with spaces, newlines, dashes and
    /// non-ASCII text reach gate-commands as they were given (here, as the command it runs).
    @Test func argumentsReachGateCommandsUnchanged() throws {
        let s = try Sandbox()
        try s.writePolicy("allow -- /bin/printf ...\ndefault deny\n")
        let odd = ["%s|", "a b", "line\nbreak", "--", "-x", "ünï", ""]
        // `gate run --json-status F -- …` is not the hot path's: it goes through gate-commands.
        let r = try s.run(["run", "--json-status", s.path("status.json"), "--", "/bin/printf"] + odd)
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "a b|line\nbreak|--|-x|ünï||", "\(r.stdout)")
        #expect(FileManager.default.fileExists(atPath: s.path("status.json")))
    }

    /// Found by the issue 17 attack round: gate handed gate-commands Swift's decoding of its
    /// arguments, in which a byte that is not UTF-8 had become U+FFFD, so `gate --json-status F
    /// -- printf $'\\xff'` ran printf with other bytes than typed (gate -- alone refused it).
    @Test func bytesThatAreNotUTF8ReachGateCommandsAsTyped() throws {
        let s = try Sandbox()
        try s.writePolicy("allow -- /usr/bin/printf ...\ndefault deny\n")
        for options in ["", "--json-status \(s.path("st.json"))", "--no-wait", "--reason x"] {
            let r = try Spawned.start(["/bin/bash", "-c", "exec \"$0\" run \(options) -- /usr/bin/printf $'a\\xffb'", Sandbox.binary],
                                      env: s.env, cwd: s.root.path, stdin: nil).finish()
            #expect(r.status == 64 && r.stderr.contains("is not valid UTF-8"), "'\(options)': \(r)")
            #expect(r.stdout.isEmpty, "'\(options)': the command ran: \(r.stdout.utf8.map { $0 })")
        }
    }
}
