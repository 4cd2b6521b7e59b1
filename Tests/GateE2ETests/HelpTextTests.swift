import Foundation
import Testing

/// Issue 15 item 21: the help and the man pages made from it read cleanly. No option's help says
/// its default when argument-parser already prints it ("(default 15m). (default: 15m)"), in any
/// command of gate or gate-server; the man pages format without a warning from groff or man-db
/// (scripts/test.sh installs both).
@Suite(.timeLimit(.minutes(2))) struct HelpTextTests {
    /// Every command path under `gate`: [], ["run"], ["audit"], ["audit", "verify"], …
    static func commandPaths() throws -> [[String]] {
        var out: [[String]] = [], queue: [[String]] = [[]]
        while let path = queue.first {
            queue.removeFirst()
            out.append(path)
            let help = try GeneratedFilesTests.gate(path.isEmpty ? ["--help"] : ["help"] + path)
            guard let section = help.components(separatedBy: "SUBCOMMANDS:\n").dropFirst().first else { continue }
            // The list ends at its first blank line (then comes "See 'gate help …'").
            for line in section.split(separator: "\n", omittingEmptySubsequences: false).prefix(while: { !$0.isEmpty })
            where line.hasPrefix("  ") && !line.hasPrefix("   ") {
                guard let name = line.split(separator: " ").first, name.allSatisfy({ $0.isLetter || $0 == "-" }),
                      out.count + queue.count < 100 else { continue }
                queue.append(path + [String(name)])
            }
        }
        return out
    }

    /// The help's option and argument entries, each with its continuation lines joined.
    static func entries(_ help: String) -> [String] {
        var out: [String] = [], open = false
        for line in help.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  -") || line.hasPrefix("  <") {
                out.append(line.trimmingCharacters(in: .whitespaces))
                open = true
            } else if open && line.hasPrefix("    ") {
                out[out.count - 1] += " " + line.trimmingCharacters(in: .whitespaces)
            } else {
                open = false  // a heading or a blank line ends the entry
            }
        }
        return out
    }

    @Test func noOptionSaysItsDefaultTwice() throws {
        // The scan itself, on the line that started this.
        let sample = "OPTIONS:\n  --ttl <duration>        How long the approval stays valid (default 15m).\n                          (default: 15m)\n  --x                     Once. (default: 1)\n"
        #expect(Self.entries(sample).filter { Self.defaults($0) > 1 }.count == 1)
        let paths = try Self.commandPaths()
        #expect(paths.contains(["approve"]) && paths.contains(["audit", "export"]) && paths.contains(["policy", "check"]), "\(paths)")
        var helps = try paths.map { ("gate " + $0.joined(separator: " "), try GeneratedFilesTests.gate($0.isEmpty ? ["--help"] : ["help"] + $0)) }
        helps.append(("gate-server", try Spawned.run([RemoteRig.serverBinary, "--help"]).stdout))
        for (command, help) in helps {
            #expect(help.contains("OPTIONS:") || help.contains("SUBCOMMANDS:"), "\(command): \(help)")
            for entry in Self.entries(help) {
                #expect(Self.defaults(entry) <= 1, "\(command): \(entry)")
            }
        }
    }

    static func defaults(_ entry: String) -> Int {
        entry.lowercased().components(separatedBy: "default").count - 1
    }

    /// groff (as man-db runs it) warns about nothing in the man pages: an empty line in mdoc is
    /// a warning ("Empty input line"), so paragraphs are `.Pp`.
    @Test(arguments: ["man/gate.1", "man/gate-server.1", "man/gate-policy.5"])
    func manPagesFormatWithoutWarnings(_ page: String) throws {
        let path = GeneratedFilesTests.root.appendingPathComponent(page).path
        let groff = try Spawned.run(["groff", "-mandoc", "-ww", "-z", path])
        #expect(groff.status == 0 && groff.stderr.isEmpty, "groff: \(groff.stderr)")
        let man = try Spawned.run(["man", "--warnings", "-l", path], env: ["MANWIDTH": "80", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"])
        #expect(man.status == 0 && man.stderr.isEmpty && man.stdout.contains("NAME"), "man: \(man.stderr)")
    }
}
