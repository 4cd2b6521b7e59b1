import GateWire
import Glibc

/// For a `#!` script, what the kernel will really run: the interpreter on its first line (and
/// for `#!/usr/bin/env NAME`, the NAME env finds on the child's PATH), followed through up to
/// four levels as Linux does. Each one is bound into the intent as a file (path as exec will open
/// it, BLAKE2b of its bytes), so replacing an interpreter after approval refuses the run.
public enum Interpreters {
    public struct Step: Sendable, Equatable {
        public var path: String
        public var digest: [UInt8]
    }

    /// The kernel reads at most this much of the first line (BINPRM_BUF_SIZE).
    static let firstLineLimit = 256

    /// The interpreters `executable` runs under, outermost first; empty for a binary.
    /// `childPATH` is the PATH the command will have, for `env NAME`.
    public static func chain(of executable: String, cwd: String, childPATH: String) throws -> [Step] {
        var out: [Step] = []
        var current = executable
        for _ in 0..<4 {
            guard let line = try shebang(current) else { return out }
            let (interpreter, argument) = split(line)
            guard !interpreter.isEmpty else { throw refusal(current, "its #! line names no interpreter") }
            let path = Paths.absolute(interpreter, cwd: cwd)
            out.append(Step(path: path, digest: try digest(path, of: current)))
            if Paths.basename(try realPath(path, of: current)) == "env", let argument {
                let name = try envCommand(argument, script: current)
                let found = name.contains("/") ? Paths.absolute(name, cwd: cwd) : try lookUp(name, in: childPATH, cwd: cwd, script: current)
                out.append(Step(path: found, digest: try digest(found, of: current)))
                current = found
            } else {
                current = path
            }
        }
        if try shebang(current) != nil { throw refusal(executable, "its interpreters nest more than four levels deep") }
        return out
    }

    /// The `#!` line without `#!`, or nil when the file does not start with one.
    static func shebang(_ path: String) throws -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw refusal(path, "cannot read it: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: firstLineLimit)
        let n = read(fd, &buf, buf.count)
        guard n >= 2, buf[0] == UInt8(ascii: "#"), buf[1] == UInt8(ascii: "!") else { return nil }
        let line = buf[2..<Int(n)].prefix { $0 != UInt8(ascii: "\n") }
        return String(decoding: line, as: UTF8.self)
    }

    /// Interpreter and its one optional argument, as Linux splits the line: leading blanks
    /// skipped, the interpreter ends at a blank, the rest (trimmed) is one argument.
    static func split(_ line: String) -> (String, String?) {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        let trimmed = line.drop(while: blank)
        let interpreter = trimmed.prefix { !blank($0) }
        let rest = trimmed.dropFirst(interpreter.count).drop(while: blank)
        var arg = String(rest)
        while let last = arg.last, blank(last) { arg.removeLast() }
        return (String(interpreter), arg.isEmpty ? nil : arg)
    }

    /// The command `env ARG` runs: `NAME`, or with `-S`, the first word that is not an
    /// assignment. Other options are refused: gate will not guess what env does with them.
    static func envCommand(_ argument: String, script: String) throws -> String {
        var words = argument.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        if words.first == "-S" { words.removeFirst() } else if words.first?.hasPrefix("-S") == true { words[0].removeFirst(2) } else {
            guard !argument.hasPrefix("-") else { throw refusal(script, "its '#!… env \(argument)' line uses an env option gate does not follow") }
            return argument
        }
        while let w = words.first, w.contains("="), !w.hasPrefix("=") { words.removeFirst() }
        guard let name = words.first, !name.hasPrefix("-") else { throw refusal(script, "cannot tell which command its '#!… env \(argument)' line runs") }
        return name
    }

    static func lookUp(_ name: String, in path: String, cwd: String, script: String) throws -> String {
        for dir in path.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = Paths.join(dir.isEmpty ? cwd : Paths.absolute(String(dir), cwd: cwd), name)
            if let info = Files.info(candidate), info.isRegular, access(candidate, X_OK) == 0 { return candidate }
        }
        throw refusal(script, "its interpreter '\(name)' is not on the command's PATH (\(path))")
    }

    static func digest(_ path: String, of script: String) throws -> [UInt8] {
        do { return try Files.digest(path) } catch let e as FileError { throw refusal(script, "cannot hash its interpreter \(path): \(e.message)") }
    }

    static func realPath(_ path: String, of script: String) throws -> String {
        guard let p = realpath(path, nil) else { throw refusal(script, "its interpreter \(path) does not exist") }
        defer { free(p) }
        return String(cString: p)
    }

    static func refusal(_ path: String, _ why: String) -> GateFailure {
        GateFailure(ExitCode.notExecutable, "\(path): \(why)")
    }
}
