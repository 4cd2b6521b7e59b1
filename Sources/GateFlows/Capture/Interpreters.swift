import GateWire
import Glibc
import GateSystem

/// What the kernel will really run besides the executable: for a `#!` script, the interpreter on
/// its first line (and for `#!/usr/bin/env NAME`, the NAME env finds on the child's PATH),
/// followed through up to four levels as Linux does; for a dynamically linked ELF file, the
/// loader its PT_INTERP header names. Each one is bound into the intent as a file (path as exec
/// will open it, BLAKE2b of its bytes), so replacing one after approval refuses the run. The
/// first line is read as the kernel reads it — raw bytes, split on space and tab only — and a
/// line gate cannot represent exactly, or one that hands control to a launcher gate does not
/// follow, is refused rather than guessed at.
public enum Interpreters {
    public struct Step: Sendable, Equatable {
        public var path: String
        public var digest: [UInt8]
    }

    /// The kernel reads at most this much of the first line (BINPRM_BUF_SIZE).
    static let firstLineLimit = 256

    /// Interpreters that run the program named after them rather than a script: following them
    /// would take reading their options; gate refuses instead of binding the wrong file.
    static let launchers: Set<String> = ["nohup", "nice", "ionice", "stdbuf", "timeout", "setsid", "taskset", "chrt", "xargs",
                                         "sudo", "doas", "su", "runuser", "chroot", "unshare", "nsenter", "flock", "setpriv",
                                         "busybox", "exec", "command", "time", "strace", "ltrace", "valgrind", "gdb"]

    /// The interpreters `executable` runs under, outermost first; empty for a static binary.
    /// `childPATH` is the PATH the command will have, for `env NAME`.
    /// `fd`: the executable as opened at capture (OpenExecutable), read instead of the path for
    /// the first step, so that what is bound belongs to the file that runs.
    /// `digest` hashes an interpreter from its open descriptor: Files.digest, or a run's cache of
    /// root-owned interpreters (Store.fileDigest).
    public static func chain(of executable: String, fd: Int32? = nil, cwd: String, childPATH: String,
                             digest: (Int32, String) throws -> [UInt8] = { try Files.digest(fd: $0, path: $1) }) throws -> [Step] {
        var out: [Step] = []
        var current = executable
        var first = fd
        for _ in 0..<5 {
            let kind = try first.map { try header(fd: $0, path: current) } ?? header(current)
            first = nil
            switch kind {
            case .other:
                return out
            case .elf(let loader):
                if let loader { out.append(Step(path: loader, digest: try hash(loader, of: current, digest))) }
                return out
            case .script(let interpreter, let argument):
                if out.count >= 4 { throw refusal(executable, "its interpreters nest more than four levels deep") }
                let path = Paths.absolute(interpreter, cwd: cwd)
                out.append(Step(path: path, digest: try hash(path, of: current, digest)))
                let name = Paths.basename(try realPath(path, of: current))
                if launchers.contains(name) {
                    throw refusal(current, "its #! line runs \(path), a launcher of other programs; gate does not follow it (name the real interpreter)")
                }
                if name == "env" {
                    guard let argument else { return out }  // env alone prints the environment
                    let command = try envCommand(argument, script: current)
                    let found = command.utf8.contains(UInt8(ascii: "/")) ? Paths.absolute(command, cwd: cwd) : try lookUp(command, in: childPATH, cwd: cwd, script: current)
                    if launchers.contains(Paths.basename(try realPath(found, of: current))) {
                        throw refusal(current, "its #! line runs \(found), a launcher of other programs; gate does not follow it (name the real interpreter)")
                    }
                    out.append(Step(path: found, digest: try hash(found, of: current, digest)))
                    current = found
                } else {
                    // An interpreter may run a file its argument names (a copy of env or nohup
                    // under another name does): every word of the argument that names a file
                    // is bound too.
                    for word in (argument ?? "").split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                        let named = Paths.absolute(String(word), cwd: cwd)
                        guard let info = Files.info(named), info.isRegular, !out.contains(where: { $0.path.utf8.elementsEqual(named.utf8) }) else { continue }
                        out.append(Step(path: named, digest: try hash(named, of: current, digest)))
                    }
                    current = path
                }
            }
        }
        throw refusal(executable, "its interpreters nest more than four levels deep")
    }

    enum Header: Equatable {
        case script(interpreter: String, argument: String?)
        case elf(loader: String?)
        case other
    }

    /// What the first bytes of `path` say it is.
    static func header(_ path: String) throws -> Header {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw refusal(path, "cannot read it: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        return try header(fd: fd, path: path)
    }

    static func header(fd: Int32, path: String) throws -> Header {
        var buf = [UInt8](repeating: 0, count: firstLineLimit)
        let n = pread(fd, &buf, buf.count, 0)
        if n >= 2 && buf[0] == 0x23 && buf[1] == 0x21 && n == firstLineLimit && !buf.contains(0x0a) {
            // The kernel cuts such a line where gate cannot follow it exactly.
            throw refusal(path, "its #! line does not end within \(firstLineLimit) bytes")
        }
        guard n >= 4 else { return n >= 2 && buf[0] == 0x23 && buf[1] == 0x21 ? try script(buf[2..<max(2, n)], path) : .other }
        if buf[0] == 0x7f && buf[1] == 0x45 && buf[2] == 0x4c && buf[3] == 0x46 { return .elf(loader: try elfInterpreter(fd, path)) }
        if buf[0] == 0x23 && buf[1] == 0x21 { return try script(buf[2..<n], path) }
        return .other
    }

    /// The `#!` line as Linux splits it: leading blanks (space, tab) skipped, the interpreter
    /// ends at a blank, the rest with trailing blanks removed is one argument. Bytes, not text:
    /// a line that is not valid UTF-8 or holds a NUL or CR is refused (gate could not name the
    /// file the kernel would run).
    static func script(_ bytes: ArraySlice<UInt8>, _ path: String) throws -> Header {
        let line = bytes.prefix { $0 != 0x0a }
        let blank: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 }
        guard !line.contains(0), !line.contains(0x0d), let text = String(validating: line, as: UTF8.self) else {
            throw refusal(path, "its #! line holds bytes gate cannot name exactly (NUL, CR or invalid UTF-8)")
        }
        _ = text
        let trimmed = line.drop(while: blank)
        let interpreter = trimmed.prefix { !blank($0) }
        var rest = trimmed.dropFirst(interpreter.count).drop(while: blank)
        while let last = rest.last, blank(last) { rest = rest.dropLast() }
        guard !interpreter.isEmpty else { throw refusal(path, "its #! line names no interpreter") }
        return .script(interpreter: String(decoding: interpreter, as: UTF8.self), argument: rest.isEmpty ? nil : String(decoding: rest, as: UTF8.self))
    }

    /// The command `env ARG` runs: `NAME`, or with `-S`, the one word after it. Anything env
    /// would interpret first (an option, an assignment, quotes, escapes, `$`) is refused: gate
    /// will not guess what env does with it.
    static func envCommand(_ argument: String, script: String) throws -> String {
        var words = argument.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        if words.first == "-S" { words.removeFirst() } else if words.first?.hasPrefix("-S") == true { words[0].removeFirst(2) }
        else if argument.hasPrefix("-") { throw refusal(script, "its '#!… env \(argument)' line uses an env option gate does not follow") }
        else { words = [argument] }
        // One command and nothing else: further words could name files it runs, unbound.
        guard words.count == 1, let name = words.first, !name.isEmpty,
              !name.contains(where: { "=\"'\\$`-".contains($0) }), !words.dropFirst().contains(where: { $0.contains(where: { "\"'\\$`".contains($0) }) }) else {
            throw refusal(script, "cannot tell exactly which command its '#!… env \(argument)' line runs (assignments, options, quotes, escapes and variables are not followed)")
        }
        return name
    }

    /// PT_INTERP of an ELF file (64- or 32-bit, either byte order), nil for a static one.
    static func elfInterpreter(_ fd: Int32, _ path: String) throws -> String? {
        var h = [UInt8](repeating: 0, count: 64)
        guard pread(fd, &h, 64, 0) >= 52 else { return nil }
        // The kernel reads the header as its own format and decides by e_machine, whatever
        // e_ident's class and byte-order bytes say: so does gate (x86-64 and AArch64 as 64-bit,
        // i386 and ARM as 32-bit, little-endian; another machine cannot run here).
        let little = true
        let machine = Int(h[18]) | Int(h[19]) << 8
        let is64: Bool
        switch machine {
        case 62, 183: is64 = true
        case 3, 40: is64 = false
        default: return nil
        }
        func int(_ b: [UInt8], _ at: Int, _ size: Int) -> Int {
            var v = 0
            for i in 0..<size { v |= Int(b[at + (little ? i : size - 1 - i)]) << (8 * i) }
            return v
        }
        let phoff = is64 ? int(h, 32, 8) : int(h, 28, 4)
        let phentsize = is64 ? int(h, 54, 2) : int(h, 42, 2)
        let phnum = is64 ? int(h, 56, 2) : int(h, 44, 2)
        guard phentsize >= (is64 ? 56 : 32), phentsize <= 4096, phnum <= 4096, phoff >= 0, phoff < 1 << 40 else { return nil }
        var ph = [UInt8](repeating: 0, count: phentsize)
        for i in 0..<phnum {
            guard pread(fd, &ph, phentsize, off_t(phoff + i * phentsize)) == phentsize else { return nil }
            guard int(ph, 0, 4) == 3 else { continue }  // PT_INTERP
            let offset = is64 ? int(ph, 8, 8) : int(ph, 4, 4)
            let size = is64 ? int(ph, 32, 8) : int(ph, 16, 4)
            guard size > 1, size <= 4096, offset >= 0, offset < 1 << 40 else { throw refusal(path, "its ELF loader name is malformed") }
            var name = [UInt8](repeating: 0, count: size)
            guard pread(fd, &name, size, off_t(offset)) == size else { throw refusal(path, "its ELF loader name cannot be read") }
            let bytes = name.prefix { $0 != 0 }
            guard let text = String(validating: bytes, as: UTF8.self), text.utf8.first == UInt8(ascii: "/") else {
                throw refusal(path, "its ELF loader name is not an absolute path gate can name")
            }
            return text
        }
        return nil
    }

    static func lookUp(_ name: String, in path: String, cwd: String, script: String) throws -> String {
        for dir in path.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = Paths.join(dir.isEmpty ? cwd : Paths.absolute(String(dir), cwd: cwd), name)
            if let info = Files.info(candidate), info.isRegular, access(candidate, X_OK) == 0 { return candidate }
        }
        throw refusal(script, "its interpreter '\(name)' is not on the command's PATH (\(path))")
    }

    static func hash(_ path: String, of script: String, _ digest: (Int32, String) throws -> [UInt8]) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw refusal(script, "cannot hash its interpreter \(path): \(FileError(path: path, errno: errno).message)") }
        defer { close(fd) }
        do { return try digest(fd, path) } catch let e as FileError { throw refusal(script, "cannot hash its interpreter \(path): \(e.message)") }
    }

    static func realPath(_ path: String, of script: String) throws -> String {
        guard let real = Paths.real(path) else { throw refusal(script, "its interpreter \(path) does not exist") }
        return real
    }

    static func refusal(_ path: String, _ why: String) -> GateFailure {
        GateFailure(.notExecutable, "\(path): \(why)")
    }
}
