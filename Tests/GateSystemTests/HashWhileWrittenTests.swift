import Foundation
import GateSystem
import Glibc
import Testing

/// The second attack round on issue 17: the last hash before exec read a large file once, start
/// to end, so its start could be rewritten after the hasher had passed it and the digest still
/// matched. A file whose size, mtime or change time moves while it is hashed is refused.
@Suite struct HashWhileWrittenTests {
    @Test func aFileRewrittenWhileItIsHashedIsRefused() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gate-hash-\(UUID().uuidString.prefix(8))").path
        defer { unlink(path) }
        // Sparse: 768 MiB that take about a second to hash here, and no disk.
        #expect(try Process.run(URL(fileURLWithPath: "/usr/bin/truncate"), arguments: ["-s", "768M", path]).waitAndStatus() == 0)
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        defer { close(fd) }
        let writer = try Process.run(URL(fileURLWithPath: "/bin/sh"),
                                     arguments: ["-c", "sleep 0.2; printf X | dd of='\(path)' bs=1 conv=notrunc status=none"])
        let started = Date()
        #expect(throws: FileError.self) { _ = try Files.digest(fd: fd, path: path) }
        writer.waitUntilExit()
        #expect(Date().timeIntervalSince(started) > 0.2, "the hash ended before the write: the test proves nothing")
        // Unchanged, the same file hashes.
        #expect(throws: Never.self) { _ = try Files.digest(fd: fd, path: path) }
    }
}

extension Process {
    func waitAndStatus() -> Int32 { waitUntilExit(); return terminationStatus }
}
