import Foundation
@testable import GateFlows
import Testing

/// An allowed program runs only from its own directory or a root-controlled one (Decide's
/// stray-directory check). "Its own" is decided by bytes: String's == holds "café" and
/// "cafe" + U+0301 equal, yet they are two directories, and the second may be the requester's.
@Suite struct StrayDirectoryTests {
    @Test func aCanonicallyEquivalentDirectoryIsNotTheProgramsOwn() throws {
        guard geteuid() == 0 else { return }   // chown needs root (CI runs as root)
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("gate-stray-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: base) }
        let own = base + "/caf\u{E9}", other = base + "/cafe\u{301}"
        #expect(own == other)   // equal as Swift Strings, two names on disk
        #expect(!own.utf8.elementsEqual(other.utf8))
        #expect(mkdir(base, 0o755) == 0)
        for dir in [own, other] { #expect(mkdir(dir, 0o755) == 0 || errno == EEXIST) }
        #expect(FileManager.default.createFile(atPath: own + "/tool", contents: Data("#!/bin/sh\n".utf8)))
        #expect(chown(other, 65534, 65534) == 0)
        let why = Decide.strayDirectory(other + "/tool", canonical: own + "/tool", cwd: "/")
        #expect(why != nil, "the requester's directory passed as the program's own")
        #expect(Decide.strayDirectory(own + "/tool", canonical: own + "/tool", cwd: "/") == nil)
    }
}
