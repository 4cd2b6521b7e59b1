import GateCrypto
import GateWire
import Glibc

public enum Files {
    public struct Info {
        public var mode: UInt32
        public var owner: UInt32
        public var isRegular: Bool
        public var isDirectory: Bool
    }

    public static func info(_ path: String) -> Info? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        let type = st.st_mode & S_IFMT
        return Info(mode: st.st_mode & 0o7777, owner: st.st_uid, isRegular: type == S_IFREG, isDirectory: type == S_IFDIR)
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Reads a whole file (refusing anything over `limit` bytes).
    public static func read(_ path: String, limit: Int = 16 << 20) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(path: path, errno: errno) }
        defer { close(fd) }
        return try read(fd: fd, path: path, limit: limit)
    }

    /// Reads the rest of an open file (`path` names it in errors).
    public static func read(fd: Int32, path: String, limit: Int = 16 << 20) throws -> [UInt8] {
        // Not zeroed, and no larger than the file (plus a byte to meet its end): a zeroed 64 KiB
        // chunk cost every read of a 300-byte policy 16 page faults (BENCHMARKS.md, issue 17). A
        // file that grows meanwhile, or has no size (a pipe, /proc), is read on chunk by chunk.
        var st = stat()
        // (/proc's files are regular and say 0 bytes: a page, then.)
        let size = fstat(fd, &st) == 0 && st.st_mode & S_IFMT == S_IFREG && st.st_size > 0 ? Int(st.st_size) : 4095
        let chunkSize = max(1, min(size, limit, 65535) + 1)
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { chunk.deallocate() }
        var out: [UInt8] = []
        while true {
            let n = Glibc.read(fd, chunk.baseAddress!, chunk.count)
            if n < 0 { if errno == EINTR { continue }; throw FileError(path: path, errno: errno) }
            if n == 0 { break }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
            guard out.count <= limit else { throw FileError(path: path, errno: EFBIG) }
        }
        return out
    }

    public static func readText(_ path: String, limit: Int = 16 << 20) throws -> String {
        let bytes = try read(path, limit: limit)
        guard let s = String(validating: bytes, as: UTF8.self) else { throw FileError(path: path, message: "is not valid UTF-8") }
        return s
    }

    /// BLAKE2b-256 of a file's bytes, streamed.
    public static func digest(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(path: path, errno: errno) }
        defer { close(fd) }
        return try digest(fd: fd, path: path)
    }

    /// BLAKE2b-256 of an open file's bytes from its start (pread: the offset is not moved). A
    /// file whose size, mtime or change time moved while it was read is refused: its start could
    /// have been rewritten after it was hashed (a large file takes seconds).
    public static func digest(fd: Int32, path: String) throws -> [UInt8] {
        var before = stat(), after = stat()
        guard fstat(fd, &before) == 0 else { throw FileError(path: path, errno: errno) }
        let digest = try streamDigest(fd: fd, path: path)
        guard fstat(fd, &after) == 0 else { throw FileError(path: path, errno: errno) }
        guard before.st_size == after.st_size, before.st_mtim.tv_sec == after.st_mtim.tv_sec, before.st_mtim.tv_nsec == after.st_mtim.tv_nsec,
              before.st_ctim.tv_sec == after.st_ctim.tv_sec, before.st_ctim.tv_nsec == after.st_ctim.tv_nsec else {
            throw FileError.changedWhileRead(path)
        }
        return digest
    }

    private static func streamDigest(fd: Int32, path: String) throws -> [UInt8] {
        let hasher = BLAKE2b.Hasher()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { buffer.deallocate() }
        var offset: off_t = 0
        while true {
            let n = Glibc.pread(fd, buffer.baseAddress!, buffer.count, offset)
            if n < 0 { if errno == EINTR { continue }; throw FileError(path: path, errno: errno) }
            if n == 0 { break }
            offset += off_t(n)
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
        return hasher.finalize()
    }

    /// Creates a new file with exactly `mode` (O_EXCL: never follows or replaces an existing file).
    /// Creates `path` with exactly `contents`, or not at all: the bytes go to a temporary name
    /// beside it, are fsynced, and are then linked into place (which fails if `path` exists, as
    /// O_EXCL would). A full disk or a crash never leaves a partial or empty file at `path` (a
    /// 0-byte key file made every later run fail, or stopped checkpoints for good).
    public static func createExclusive(_ path: String, contents: String, mode: mode_t) throws {
        if info(path) != nil { throw FileError(path: path, errno: EEXIST) }
        let temp = temporaryName(beside: path)
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
        guard fd >= 0 else { throw FileError(path: path, errno: errno) }
        var linked = false
        defer { if !linked { unlink(temp) } }
        do {
            defer { close(fd) }
            fchmod(fd, mode)  // umask may have narrowed it; make it exact
            var bytes = Array(contents.utf8)
            var off = 0
            while off < bytes.count {
                let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + off, $0.count - off) }
                if n < 0 { if errno == EINTR { continue }; throw FileError(path: path, errno: errno) }
                off += n
            }
            guard fsync(fd) == 0 else { throw FileError(path: path, errno: errno) }
        }
        try linkIntoPlace(temp, at: path)
        linked = true
        unlink(temp)
    }

    /// A name beside `path` that no other process picks: `.NAME.tmp-PID-RANDOM`.
    public static func temporaryName(beside path: String) -> String {
        Paths.join(Paths.parent(of: path), ".\(Paths.basename(path)).tmp-\(getpid())-\(Hex.encode(SecureRandom.bytes(4)))")
    }

    /// Puts the finished file `temp` in place at `path`, which must not exist (link, unlike
    /// rename, never replaces), and makes the new name durable (fsync of the directory).
    public static func linkIntoPlace(_ temp: String, at path: String) throws {
        guard link(temp, path) == 0 else { throw FileError(path: path, errno: errno) }
        let dir = open(Paths.parent(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 { fsync(dir); close(dir) }
    }

    /// mkdir -p with `mode` for the directories it creates.
    public static func makeDirectories(_ path: String, mode: mode_t) throws {
        if info(path)?.isDirectory == true { return }
        let parent = Paths.parent(of: path)
        if parent != path && !parent.isEmpty { try makeDirectories(parent, mode: mode) }
        if mkdir(path, mode) != 0 && errno != EEXIST { throw FileError(path: path, errno: errno) }
    }
}

public struct FileError: Error, CustomStringConvertible {
    public var path: String
    public var code: Int32?
    public var message: String

    public init(path: String, errno code: Int32) {
        self.path = path
        self.code = code
        self.message = code == EFBIG ? "is too large" : System.errnoString(code)
    }

    /// A file whose size, mtime or change time moved while gate read it (Files.digest).
    public static func changedWhileRead(_ path: String) -> FileError { FileError(path: path, message: changedWhileReadMessage) }
    static let changedWhileReadMessage = "changed while it was being hashed"
    public var changedWhileRead: Bool { code == nil && message == Self.changedWhileReadMessage }

    public init(path: String, message: String) {
        self.path = path
        self.code = nil
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
    public var notFound: Bool { code == ENOENT }
}

public enum Paths {
    /// realpath(3): every link followed, no `.`, `..` or `//`; nil (errno set) when it fails.
    public static func real(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    // Paths are bytes, split at every `/` byte as the kernel splits them, not at Swift's
    // Characters: `/` followed by a combining mark (U+0301) is one Character, and "\u{600}/"
    // (a prepended mark) another, yet both hold a separator (this session's attack round).

    public static func parent(of path: String) -> String {
        let u = path.utf8
        guard let slash = u.lastIndex(of: UInt8(ascii: "/")) else { return "." }
        if slash == u.startIndex { return "/" }
        return String(decoding: u[..<slash], as: UTF8.self)
    }

    /// The last component, trailing `/`s ignored; `path` itself when it has none ("/", "").
    public static func basename(_ path: String) -> String {
        let u = Array(path.utf8), slash = UInt8(ascii: "/")
        var end = u.count
        while end > 0 && u[end - 1] == slash { end -= 1 }
        guard end > 0 else { return path }
        var start = end
        while start > 0 && u[start - 1] != slash { start -= 1 }
        return String(decoding: u[start..<end], as: UTF8.self)
    }

    public static func join(_ a: String, _ b: String) -> String {
        if b.utf8.first == UInt8(ascii: "/") { return b }
        return a.utf8.last == UInt8(ascii: "/") ? a + b : a + "/" + b
    }

    public static func absolute(_ path: String, cwd: String) -> String { join(cwd, path) }

    /// `~/x` → `$HOME/x`, for paths people type in options.
    public static func expandTilde(_ path: String) -> String {
        guard path.utf8.elementsEqual("~".utf8) || path.utf8.starts(with: "~/".utf8), let home = System.homeDirectory() else { return path }
        return home + String(decoding: path.utf8.dropFirst(), as: UTF8.self)
    }
}

func octal(_ mode: UInt32) -> String {
    let s = String(mode, radix: 8)
    return String(repeating: "0", count: max(0, 4 - s.count)) + s
}
