@testable import GateSystem
import Glibc
import Testing

/// Issue 17: the requester's name is read from /etc/passwd when the name service would read it
/// there first; the answer must be the name service's own, or none (getpwuid_r then answers).
@Suite struct PasswdFileTests {
    func viaNameService(_ uid: UInt32) -> String? {
        var pwd = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid, &pwd, &buffer, buffer.count, &result) == 0, result != nil, let name = pwd.pw_name else { return nil }
        return String(cString: name)
    }

    @Test func agreesWithTheNameServiceForEveryUidOnThisHost() throws {
        let text = try Files.read("/etc/passwd")
        var uids: Set<UInt32> = [0, getuid(), 65534, 4_000_000_000]
        for line in text.split(separator: UInt8(ascii: "\n")) {
            let f = line.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
            if f.count > 2, let u = UInt32(String(decoding: f[2], as: UTF8.self)) { uids.insert(u) }
        }
        for uid in uids {
            if let fast = PasswdFile.name(uid: uid) { #expect(fast == viaNameService(uid), "uid \(uid)") }
            #expect(System.userName(uid: uid) == viaNameService(uid), "uid \(uid)")
        }
    }

    @Test func readsOnlyWhenFilesComeFirst() throws {
        let dir = "/tmp/gate-passwd-\(getpid())"
        mkdir(dir, 0o700)
        defer { for f in ["ns", "pw"] { unlink(dir + "/" + f) }; rmdir(dir) }
        func write(_ name: String, _ text: String) {
            let fd = open(dir + "/" + name, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            _ = Array(text.utf8).withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
        write("pw", "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\nbob:x:1000:1000::/home/bob:/bin/sh\n")
        for (ns, expected) in [("passwd:   files systemd\n", "alice"), ("# passwd: sss\npasswd:\tfiles\n", "alice"),
                               ("passwd: sss files\n", nil), ("passwd: compat\n", nil), ("group: files\n", nil),
                               ("passwd: files # and more\n", "alice")] as [(String, String?)] {
            write("ns", ns)
            #expect(PasswdFile.name(uid: 1000, nsswitch: dir + "/ns", passwd: dir + "/pw") == expected, "\(ns)")
        }
        write("ns", "passwd: files\n")
        // A line of another shape before the match, or an odd name: the name service decides.
        for pw in ["broken:x:1000\nalice:x:1000:1000::/home/alice:/bin/sh\n", "+alice:x:1000:1000::/:/bin/sh\n",
                   ":x:1000:1000::/:/bin/sh\n"] {
            write("pw", pw)
            #expect(PasswdFile.name(uid: 1000, nsswitch: dir + "/ns", passwd: dir + "/pw") == nil, "\(pw)")
        }
        write("pw", "root:x:0:0:root:/root:/bin/sh\n")
        #expect(PasswdFile.name(uid: 1000, nsswitch: dir + "/ns", passwd: dir + "/pw") == nil)
    }
}
