import Foundation
import Testing

/// Issue 11: what runs is what the policy says about the file that exec runs, however the
/// command is spelled. Each case is a spelling of a command and the outcome the policy gives the
/// file it names; a marker file written by the command proves whether it ran.
@Suite(.timeLimit(.minutes(3))) struct WhatRunsTests {
    enum Outcome: Equatable { case runs, denied, needsApproval }

    /// A sandbox whose policy allows what is in /usr/bin, forbids rm, wants approval for bash
    /// and allows a bare `ls`; and `dir/`, a directory the requester controls.
    static func sandbox() throws -> Sandbox {
        let s = try Sandbox()
        let bob = try s.keygen("bob")
        try s.writePolicy("""
            approver bob user=bob key=\(bob)
            default deny
            allow -- /usr/bin/* ...
            deny "rm is forbidden" -- /usr/bin/rm ...
            require 1 -- bash ...
            allow -- ls ...
            """)
        try FileManager.default.createDirectory(atPath: s.path("dir/sub"), withIntermediateDirectories: true)
        // A script that proves it ran.
        try s.write("dir/evil", "#!/bin/sh\ntouch \(s.path("ran"))\n", mode: 0o755)
        return s
    }

    /// Runs `argv` through gate and says what happened, checking that a refusal ran nothing.
    static func outcome(_ s: Sandbox, _ argv: [String], env: [String: String] = [:], cwd: String? = nil,
                        sourceLocation: SourceLocation = #_sourceLocation) throws -> Outcome {
        try? FileManager.default.removeItem(atPath: s.path("ran"))
        try s.write("victim", "x\n")
        let r = try s.run(["--timeout", "1s", "--"] + argv, env: env, cwd: cwd)
        let ran = FileManager.default.fileExists(atPath: s.path("ran")) || !FileManager.default.fileExists(atPath: s.path("victim"))
        switch r.status {
        case 77:
            #expect(!ran && r.stderr.hasPrefix("gate: error: ") && r.stderr.contains("denied by policy"), "\(argv): \(r.stderr)",
                    sourceLocation: sourceLocation)
            return .denied
        case 75:
            #expect(!ran && r.stderr.contains("approval required"), "\(argv): \(r.stderr)", sourceLocation: sourceLocation)
            return .needsApproval
        default:
            return .runs
        }
    }

    @Test func dotsSlashesAndSymlinksDoNotEscapeAbsolutePatterns() throws {
        let s = try Self.sandbox()
        let victim = s.path("victim")
        let up = String(repeating: "../", count: 8)
        // (spelling, cwd, what the policy says about the file it names)
        let cases: [([String], String?, Outcome)] = [
            (["/usr/bin/rm", victim], nil, .denied),
            (["/usr/bin/./rm", victim], nil, .denied),
            (["/usr/bin//rm", victim], nil, .denied),
            (["//usr//bin//rm", victim], nil, .denied),
            (["/usr/./bin/../bin/rm", victim], nil, .denied),
            (["/bin/rm", victim], nil, .denied),                // /bin is a link to /usr/bin here
            (["./rm", victim], "/usr/bin", .denied),
            (["../bin/rm", victim], "/usr/bin", .denied),
            (["/usr/bin/" + up + s.path("dir/evil").dropFirst()], nil, .denied),  // `*` does not cross `/`
            (["/usr/bin/../../" + s.path("dir/evil").dropFirst()], nil, .denied),
            (["/usr/bin/" + up + "usr/bin/rm", victim], nil, .denied),
            (["/usr/bin/true"], nil, .runs),
            (["/usr/bin/./true"], nil, .runs),
        ]
        for (argv, cwd, expected) in cases {
            #expect(try Self.outcome(s, argv, cwd: cwd) == expected, "\(argv) in \(cwd ?? "the sandbox")")
        }
        // Links the requester makes: to a denied file, and in a directory beside /usr/bin.
        try FileManager.default.createSymbolicLink(atPath: s.path("dir/myrm"), withDestinationPath: "/usr/bin/rm")
        try FileManager.default.createSymbolicLink(atPath: s.path("dir/sub/rm2"), withDestinationPath: "../myrm")
        #expect(try Self.outcome(s, [s.path("dir/myrm"), victim]) == .denied)
        #expect(try Self.outcome(s, [s.path("dir/sub/rm2"), victim]) == .denied)
        #expect(try Self.outcome(s, ["myrm", victim], env: ["PATH": s.path("dir") + ":/usr/bin:/bin"]) == .denied)
        // A copy of rm elsewhere is not /usr/bin/anything: the default (deny) applies.
        try FileManager.default.copyItem(atPath: "/usr/bin/rm", toPath: s.path("dir/rm"))
        #expect(try Self.outcome(s, [s.path("dir/rm"), victim]) == .denied)
        // The record says what ran: the canonical path.
        let r = try s.run(["--", "/usr/bin/../bin/./true"])
        #expect(r.status == 0)
        let started = try s.ledger().last { $0["kind"] as? String == "started" }
        #expect((started?["payload"] as? [String: Any])?["executable"] as? String == "/usr/bin/true")
    }

    @Test func aBareNameMatchesOnlyWhatTrustedDirectoriesHold() throws {
        let s = try Self.sandbox()
        let dir = s.path("dir")
        // `ls` in a directory the requester put first on PATH, linked to bash: it is bash.
        try FileManager.default.createSymbolicLink(atPath: s.path("dir/ls"), withDestinationPath: "/usr/bin/bash")
        let hostile = ["PATH": dir + ":/usr/bin:/bin"]
        #expect(try Self.outcome(s, ["ls", "-c", "touch \(s.path("ran"))"], env: hostile) == .needsApproval)
        // A copy of bash named ls there is no `ls` at all: the default applies.
        try FileManager.default.removeItem(atPath: s.path("dir/ls"))
        try FileManager.default.copyItem(atPath: "/usr/bin/bash", toPath: s.path("dir/ls"))
        #expect(try Self.outcome(s, ["ls", "-c", "touch \(s.path("ran"))"], env: hostile) == .denied)
        // The same through `.` and a relative entry on PATH, and through an explicit path.
        #expect(try Self.outcome(s, ["ls", "-c", "touch \(s.path("ran"))"], env: ["PATH": ".:/usr/bin:/bin"], cwd: dir) == .denied)
        #expect(try Self.outcome(s, ["ls", "-c", "touch \(s.path("ran"))"], env: ["PATH": "dir:/usr/bin:/bin"]) == .denied)
        #expect(try Self.outcome(s, ["ls", "-c", "touch \(s.path("ran"))"], env: ["PATH": ":/usr/bin"], cwd: dir) == .denied)
        #expect(try Self.outcome(s, ["./ls", "-c", "touch \(s.path("ran"))"], cwd: dir) == .denied)
        // A hard link to bash keeps bash's bytes but lives in the requester's directory.
        try FileManager.default.removeItem(atPath: s.path("dir/ls"))
        if link("/usr/bin/bash", s.path("dir/ls")) == 0 {
            #expect(try Self.outcome(s, ["ls", "-c", "touch \(s.path("ran"))"], env: hostile) == .denied)
        }
        // The real ls, found through a trusted directory (also spelled /bin/ls): allowed.
        #expect(try Self.outcome(s, ["ls", dir]) == .runs)
        #expect(try Self.outcome(s, ["/bin/ls", dir]) == .runs)
        // bash by any trusted spelling needs approval; sh (dash) is allowed by /usr/bin/*.
        #expect(try Self.outcome(s, ["bash", "-c", "touch \(s.path("ran"))"]) == .needsApproval)
        #expect(try Self.outcome(s, ["/bin/bash", "-c", "touch \(s.path("ran"))"]) == .needsApproval)
    }

    /// A directory the policy lists as trusted but that others can write (or root does not
    /// own) is not trusted: a stub there matches no bare name.
    @Test func aWritableTrustedDirectoryIsNotTrusted() throws {
        let s = try Self.sandbox()
        let open = s.path("open")
        try FileManager.default.createDirectory(atPath: open, withIntermediateDirectories: true)
        try s.write("open/deploy", "#!/bin/sh\ntouch \(s.path("ran"))\n", mode: 0o755)
        try s.writePolicy("default deny\nallow -- deploy\ntrusted-path \(open):/usr/bin:/bin\n")
        let env = ["PATH": open + ":/usr/bin:/bin"]
        chmod(open, 0o755)
        #expect(try Self.outcome(s, ["deploy"], env: env) == .runs)
        chmod(open, 0o777)
        #expect(try Self.outcome(s, ["deploy"], env: env) == .denied)
        chmod(open, 0o775)
        #expect(try Self.outcome(s, ["deploy"], env: env) == .denied)
        chmod(open, 0o755)
        // Through a link: the same directory reached by another spelling is the same directory.
        try FileManager.default.createSymbolicLink(atPath: s.path("dir/alias"), withDestinationPath: open)
        #expect(try Self.outcome(s, [s.path("dir/alias/deploy")]) == .runs)
    }

    @Test func theCommandsPATHComesFromTheTrustedPath() throws {
        let s = try Self.sandbox()
        try s.writePolicy("allow -- /usr/bin/env\ntrusted-path /usr/bin:/bin\n")
        let r = try s.run(["--", "/usr/bin/env"], env: ["PATH": s.path("dir") + ":/usr/bin:/bin"])
        #expect(r.status == 0 && r.stdout.contains("PATH=/usr/bin:/bin\n"), "\(r.stdout)")
        #expect(!r.stdout.contains(s.path("dir")))
    }

    @Test func policyCheckWarnsAboutPatternsThatMatchMoreThanTheySeem() throws {
        let s = try Self.sandbox()
        try s.writePolicy("allow -- /usr/bin/cat /var/log/*\nallow keep-env=LD_PRELOAD -- /usr/bin/id\n")
        let check = try s.run(["policy", "check"])
        #expect(check.stdout.contains(":2: warning:") && check.stdout.contains("'..'"), "\(check.stdout)")
        #expect(check.stdout.contains(":3: warning:") && check.stdout.contains("LD_PRELOAD"), "\(check.stdout)")
    }

    /// A binary whose path is swapped after approval: what runs is the approved file (it is
    /// executed from the descriptor gate hashed), never the new one.
    @Test func aBinarySwappedAfterApprovalDoesNotRunInItsPlace() throws {
        let s = try Self.sandbox()
        try s.writePolicy("approver bob user=bob key=\(try s.keygen("carol"))\ndefault deny\nrequire 1 -- \(s.path("dir/tool")) ...\n")
        try FileManager.default.copyItem(atPath: "/usr/bin/echo", toPath: s.path("dir/tool"))
        let requester = try s.start(["--", s.path("dir/tool"), "approved"])
        let id = try s.waitForPending()
        // Approved (the requester held), then another binary renamed over the path (a new inode):
        // the approved bytes are still there, and they are what runs.
        requester.signal(SIGSTOP)
        #expect(try s.run(["approve", id, "--key", s.path("carol.key")]).status == 0)
        try FileManager.default.copyItem(atPath: "/usr/bin/id", toPath: s.path("dir/tool.new"))
        #expect(rename(s.path("dir/tool.new"), s.path("dir/tool")) == 0)
        requester.signal(SIGCONT)
        let out = requester.finish()
        #expect(out.status == 0 && out.stdout == "approved\n", "\(out)")
    }

    /// An `allow` applies under the name the program sees: rbash called `bash` is bash.
    @Test func anAllowedNameDoesNotLendItsRuleToAnotherName() throws {
        let s = try Self.sandbox()
        try s.writePolicy("approver bob user=bob key=\(try s.keygen("carol"))\ndefault deny\nrequire 1 -- bash ...\nallow -- rbash ...\n")
        try FileManager.default.createSymbolicLink(atPath: s.path("dir/bash"), withDestinationPath: "/usr/bin/rbash")
        #expect(try Self.outcome(s, [s.path("dir/bash"), "-c", "touch \(s.path("ran"))"]) == .needsApproval)
        #expect(try Self.outcome(s, ["rbash", "-c", "true"]) == .runs)
    }

    /// A pattern's directory is resolved only through paths root controls: a link someone else
    /// owns does not carry `allow -- DIR/*` to /usr/bin.
    @Test func aPatternDirectoryLinkedBySomeoneElseIsNotFollowed() throws {
        let s = try Self.sandbox()
        try FileManager.default.createSymbolicLink(atPath: s.path("tools"), withDestinationPath: "/usr/bin")
        #expect(lchown(s.path("tools"), 65534, 65534) == 0)
        try s.writePolicy("approver bob user=bob key=\(try s.keygen("carol"))\ndefault deny\nrequire 1 -- /usr/bin/* ...\nallow -- \(s.path("tools"))/* ...\n")
        #expect(try Self.outcome(s, ["/usr/bin/touch", s.path("ran")]) == .needsApproval)
        // Owned by root, the same link is the administrator's statement and is followed.
        #expect(lchown(s.path("tools"), 0, 0) == 0)
        #expect(try Self.outcome(s, ["/usr/bin/true"]) == .runs)
    }

    /// A trusted-path directory that others can write is left out of the command's PATH too.
    @Test func anUntrustedDirectoryIsNotOnTheCommandsPATH() throws {
        let s = try Self.sandbox()
        try FileManager.default.createDirectory(atPath: s.path("open"), withIntermediateDirectories: true)
        chmod(s.path("open"), 0o777)
        try s.writePolicy("allow -- /usr/bin/printenv PATH\ntrusted-path \(s.path("open")):/usr/bin:/bin\n")
        let r = try s.run(["--", "/usr/bin/printenv", "PATH"])
        #expect(r.status == 0 && r.stdout == "/usr/bin:/bin\n", "\(r)")
    }

    /// `#!` lines gate cannot follow exactly are refused, not guessed at.
    @Test func shebangLinesAreReadAsTheKernelReadsThem() throws {
        let s = try Self.sandbox()
        try s.writePolicy("approver bob user=bob key=\(try s.keygen("carol"))\ndefault require 1\n")
        try FileManager.default.copyItem(atPath: "/usr/bin/dash", toPath: s.path("dir/int"))
        let scripts = [
            "cr": "#!\(s.path("dir/int"))\r\necho body\n",
            "assign": "#!/usr/bin/env -S PATH=\(s.path("dir")):/usr/bin true\n",
            "quoted": "#!/usr/bin/env -S \"int\"\n",
            "dollar": "#!/usr/bin/env -S ${HOME}/x\n",
            "launcher": "#!/usr/bin/nohup \(s.path("dir/int"))\n",
        ]
        for (name, text) in scripts {
            try s.write("dir/\(name)", text, mode: 0o755)
            let r = try s.run(["--timeout", "1s", "--", s.path("dir/\(name)")])
            #expect(r.status == 126 && r.stderr.hasPrefix("gate: error: "), "\(name): \(r)")
        }
        // An interpreter name that is not UTF-8: read as text it would name another file (a
        // decoy named with U+FFFD), while the kernel runs the one with the raw byte.
        let made = try Spawned.run(["python3", "-c", """
            import os, shutil
            d = os.fsencode('\(s.path("dir"))')
            shutil.copy('/usr/bin/dash', d + b'/int\\xff')
            shutil.copy('/usr/bin/dash', os.fsencode('\(s.path("dir"))/int\u{FFFD}'))
            open(d + b'/raw', 'wb').write(b'#!' + d + b'/int\\xff\\necho body\\n')
            os.chmod(d + b'/raw', 0o755)
            """])
        #expect(made.status == 0, "\(made.stderr)")
        let raw = try s.run(["--timeout", "1s", "--", s.path("dir/raw")])
        #expect(raw.status == 126 && raw.stderr.contains("cannot name exactly"), "\(raw)")
        // env -S reads quotes; gate does not: a decoy named with the quotes themselves would be
        // bound while env runs ./int. Refused for the quote, whatever files exist.
        try FileManager.default.createDirectory(atPath: s.path("dir/\"."), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/usr/bin/dash", toPath: s.path("dir/\"./int\""))
        try s.write("dir/quoted2", "#!/usr/bin/env -S \"./int\"\necho body\n", mode: 0o755)
        let quoted = try s.run(["--timeout", "1s", "--", s.path("dir/quoted2")], cwd: s.path("dir"))
        #expect(quoted.status == 126 && quoted.stderr.contains("cannot tell exactly"), "\(quoted)")
        // A dynamically linked binary's loader is bound and shown.
        let requester = try s.start(["--", "/usr/bin/true"])
        let id = try s.waitForPending()
        let show = try s.run(["show", id, "--no-pager"]).stdout
        #expect(show.contains("interpreter /usr/lib64/ld-linux") || show.contains("interpreter /lib64/ld-linux"), "\(show)")
        requester.signal(SIGINT)
        _ = requester.finish()
    }

    /// Second attack: more #! lines gate cannot follow exactly, and files an interpreter's
    /// argument names.
    @Test func shebangArgumentsAndLongLinesAreBoundOrRefused() throws {
        let s = try Self.sandbox()
        try s.writePolicy("approver bob user=bob key=\(try s.keygen("carol"))\ndefault require 1\n")
        let scripts = [
            "long": "#!/usr/bin/env ./" + String(repeating: "A", count: 300) + "\necho x\n",
            "twowords": "#!/usr/bin/env -S sh ./evil\n",
            "envlauncher": "#!/usr/bin/env -S nohup\n",
        ]
        // The names the long line's interpreter could be read as, cut where gate's buffer ends and
        // where the kernel cuts it: both exist, so only the refusal stops the run.
        for n in [238, 239] { try FileManager.default.copyItem(atPath: "/usr/bin/dash", toPath: s.path("dir/" + String(repeating: "A", count: n))) }
        for (name, text) in scripts {
            try s.write("dir/\(name)", text, mode: 0o755)
            let r = try s.run(["--timeout", "1s", "--", s.path("dir/\(name)")], cwd: s.path("dir"))
            #expect(r.status == 126 && r.stderr.hasPrefix("gate: error: "), "\(name): \(r)")
        }
        // A copy of env under another name runs the file its argument names: that file is bound.
        try FileManager.default.copyItem(atPath: "/usr/bin/env", toPath: s.path("dir/e"))
        try s.write("dir/s", "#!\(s.path("dir/e")) \(s.path("dir/evil"))\n", mode: 0o755)
        try s.write("dir/evil", "#!/bin/sh\necho v1\n", mode: 0o755)
        let id = try s.abandonedRequest([s.path("dir/s")])
        let token = try s.run(["approve", id, "--key", s.path("carol.key"), "--print-token"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try s.write("dir/evil", "#!/bin/sh\necho PWNED\n", mode: 0o755)
        let r = try s.run(["--token", token, "--", s.path("dir/s")])
        #expect(r.status == 77 && !r.stdout.contains("PWNED"), "\(r)")
    }

    /// The kernel reads an ELF header by e_machine, whatever its class and byte-order bytes
    /// say: a flipped byte-order byte does not hide the loader from gate.
    @Test func anELFLoaderIsFoundWhateverTheIdentBytesSay() throws {
        let s = try Self.sandbox()
        try s.writePolicy("approver bob user=bob key=\(try s.keygen("carol"))\ndefault require 1\n")
        for (offset, value) in [(5, UInt8(2)), (4, UInt8(1))] {  // EI_DATA big-endian; EI_CLASS 32-bit
            var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "/usr/bin/true")))
            bytes[offset] = value
            FileManager.default.createFile(atPath: s.path("dir/t\(offset)"), contents: Data(bytes), attributes: [.posixPermissions: 0o755])
            let requester = try s.start(["--", s.path("dir/t\(offset)")])
            let id = try s.waitForPending()
            let show = try s.run(["show", id, "--no-pager"]).stdout
            #expect(show.contains("interpreter /lib64/ld-linux") || show.contains("interpreter /usr/lib64/ld-linux"), "byte \(offset): \(show)")
            requester.signal(SIGINT)
            _ = requester.finish()
        }
    }

    /// In a user namespace the user gate would record is whatever the namespace maps: refused.
    @Test func gateRefusesToRunInsideAUserNamespace() throws {
        let s = try Self.sandbox()
        try s.writePolicy("allow -- /usr/bin/true\n")
        let probe = try Spawned.run(["unshare", "-Ur", "true"])
        guard probe.status == 0 else { return }  // user namespaces are off on this kernel: nothing to refuse
        let r = try Spawned.run(["unshare", "-Ur", Sandbox.binary, "--", "/usr/bin/true"], env: s.env)
        #expect(r.status == 77 && r.stderr.contains("user namespace"), "\(r)")
    }

    /// Without approval, argv[0] may not point the program at a directory the requester
    /// controls (python reads pyvenv.cfg and .pth files beside the path it was called by).
    @Test func anAllowedProgramDoesNotRunFromTheRequestersDirectory() throws {
        let s = try Self.sandbox()
        try FileManager.default.createSymbolicLink(atPath: s.path("dir/python3"), withDestinationPath: "/usr/bin/python3")
        // The tests run as root: a directory of another user's stands for the requester's.
        #expect(chown(s.path("dir"), 65534, 65534) == 0)
        try s.writePolicy("allow -- python3 ...\n")
        let r = try s.run(["--", s.path("dir/python3"), "-c", "print('hi')"])
        #expect(r.status == 77 && r.stdout.isEmpty && r.stderr.contains("neither its own nor root's"), "\(r)")
        #expect(try s.lastEntry().payload["code"] as? String == "name-mismatch")
        #expect(try s.run(["--", "python3", "-c", "print('hi')"]).stdout == "hi\n")
        #expect(try s.run(["--", "/usr/bin/python3", "-c", "print('hi')"]).stdout == "hi\n")
    }
}
