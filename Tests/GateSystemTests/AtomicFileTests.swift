import Foundation
import GateSystem
import Glibc
import Testing

/// Key files are created whole or not at all (issue 13): on a full disk the old code left a
/// 0-byte `ledger.key` (no checkpoint was ever signed again) or `redaction.key` (every request
/// failed with exit 78 until someone deleted it).
@Suite struct AtomicFileTests {
    static func scratch() -> String {
        var template = Array("/tmp/gate-atomic-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    @Test func aFullDiskLeavesNoFileBehind() throws {
        let dir = Self.scratch()
        defer { _ = Spawned.run(["umount", dir]) }
        // A 64 KiB tmpfs, filled: needs root (CI runs as root); elsewhere the case is skipped.
        guard getuid() == 0, Spawned.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir]) == 0 else { return }
        #expect(Spawned.run(["mountpoint", "-q", dir]) == 0)
        _ = Spawned.run(["dd", "if=/dev/zero", "of=\(dir)/fill", "bs=4k", "count=64"])
        let path = dir + "/ledger.key"
        #expect(throws: FileError.self) { try Files.createExclusive(path, contents: String(repeating: "k", count: 8192), mode: 0o600) }
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["fill"])
    }

    @Test func anExistingFileIsNeitherReplacedNorTouched() throws {
        let dir = Self.scratch()
        let path = dir + "/redaction.key"
        try Files.createExclusive(path, contents: "first\n", mode: 0o600)
        #expect(throws: FileError.self) { try Files.createExclusive(path, contents: "second\n", mode: 0o600) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "first\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["redaction.key"])
        var st = stat()
        #expect(stat(path, &st) == 0 && st.st_mode & 0o777 == 0o600)
    }
}

/// A child process for the test's set-up (mount, dd), its exit status or -1.
enum Spawned {
    @discardableResult
    static func run(_ argv: [String]) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }
}
