import Glibc

/// A user's name read from /etc/passwd, when the name service would read it there first.
///
/// getpwuid_r costs every gate run about 0.1 ms here, half of it asking an nscd that is not
/// running (two sockets made and connected) and reading nsswitch.conf (BENCHMARKS.md, issue 17).
/// When nsswitch.conf's `passwd:` line names `files` first, the answer is the first line of
/// /etc/passwd with that uid, which this reads itself; anything else (another source first, no
/// such line, a file that does not parse) is left to getpwuid_r, so the answer is the name
/// service's either way.
enum PasswdFile {
    static func name(uid: UInt32, nsswitch: String = "/etc/nsswitch.conf", passwd: String = "/etc/passwd") -> String? {
        guard filesFirst(nsswitch), let text = try? Files.read(passwd, limit: 1 << 20) else { return nil }
        return name(uid: uid, in: text)
    }

    /// Whether the `passwd:` database's first source is `files`.
    static func filesFirst(_ path: String) -> Bool {
        guard let bytes = try? Files.read(path, limit: 64 << 10) else { return false }
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            let content = line.prefix { $0 != UInt8(ascii: "#") }
            let words = content.split { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            guard let first = words.first, Array(first) == Array("passwd:".utf8) else { continue }
            return words.count > 1 && Array(words[1]) == Array("files".utf8)
        }
        // No passwd line: glibc's default is "files" too, but say nothing we did not read.
        return false
    }

    /// The name on the first line whose uid field is `uid`.
    static func name(uid: UInt32, in text: [UInt8]) -> String? {
        let wanted = Array(String(uid).utf8)
        for line in text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true) {
            // name:password:uid:gid:gecos:home:shell; a line of another shape is glibc's to judge.
            let fields = line.split(separator: UInt8(ascii: ":"), maxSplits: 6, omittingEmptySubsequences: false)
            guard fields.count == 7 else { return nil }
            guard Array(fields[2]) == wanted else { continue }
            let name = String(decoding: fields[0], as: UTF8.self)
            // A name glibc's files source might not hand back as it is: leave it to getpwuid_r.
            guard !name.isEmpty, !name.unicodeScalars.contains("\u{FFFD}"), !["+", "-", "#"].contains(name.first) else { return nil }
            return name
        }
        return nil
    }
}
