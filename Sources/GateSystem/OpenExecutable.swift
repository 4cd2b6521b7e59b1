import Glibc

/// The executable, opened once when the intent is captured: its digest is computed from this
/// open file, re-computed from it before exec, and an ELF binary is executed from it (through
/// /proc/self/fd), so renaming or swapping the path after the check runs nothing else. A script
/// is executed by path, because its interpreter opens it by name (fexecve of a script hands the
/// interpreter /dev/fd/N, which breaks every script that uses $0); its window is the moments
/// between the last check and exec, documented in SPEC.md §2.2.
public final class OpenExecutable: @unchecked Sendable {
    public let fd: Int32
    public let isELF: Bool

    package init(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(path: path, errno: errno) }
        var magic = [UInt8](repeating: 0, count: 4)
        isELF = pread(fd, &magic, 4, 0) == 4 && magic == [0x7f, 0x45, 0x4c, 0x46]
        self.fd = fd
    }

    deinit { close(fd) }

    /// What to hand to posix_spawn for `path`.
    package func execPath(_ path: String) -> String {
        guard isELF else { return path }
        let viaFD = "/proc/self/fd/\(fd)"
        return access(viaFD, F_OK) == 0 ? viaFD : path
    }
}
