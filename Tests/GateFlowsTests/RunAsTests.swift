import GateCore
@testable import GateFlows
import Testing

/// What crosses to another user's command (SPEC §10): not the requester's temporary directory,
/// nor a time zone or locale value that could name a file. Through the daemon the worker drops
/// the locale ones before RunAs sees them, so this is checked here, on RunAs's own rule.
@Suite struct RunAsTests {
    @Test func temporaryDirectoriesAndFileNamingLocalesDoNotCross() {
        for (name, value) in [("TMPDIR", "/tmp/agent"), ("TMP", "x"), ("TEMP", "y"), ("TZ", "/etc/evil"), ("LC_ALL", "C%s"), ("LANG", "../x")] {
            #expect(RunAs.crossesUsers(.init(name, value)), "\(name)=\(value)")
        }
        for (name, value) in [("TZ", "UTC"), ("LANG", "C.UTF-8"), ("TERM", "xterm"), ("NO_COLOR", "1")] {
            #expect(!RunAs.crossesUsers(.init(name, value)), "\(name)=\(value)")
        }
    }
}
