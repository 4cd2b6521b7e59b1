import Foundation
import Glibc
import Testing

/// Issue 17: a run whose commit folded the WAL into state.db left the next gate process a log
/// that still read as whole; that process re-read every frame and folded them all into state.db
/// again at its first commit (SQLite's automatic checkpoint, which knows nothing of the fold
/// another process made). A fold now empties the log: the run after a fold writes state.db no
/// more than any other run does.
@Suite struct WALFoldE2ETests {
    static func stamp(_ path: String) -> [Int] {
        var st = stat()
        _ = stat(path, &st)
        return [Int(st.st_size), Int(st.st_mtim.tv_sec), Int(st.st_mtim.tv_nsec), Int(st.st_ctim.tv_sec), Int(st.st_ctim.tv_nsec)]
    }

    @Test func theRunAfterAFoldDoesNotFoldTheSameLogAgain() throws {
        let s = try Sandbox()
        try s.writePolicy("allow -- /bin/true\n")
        let db = s.home + "/state.db"
        #expect(try s.run(["--", "/bin/true"]).status == 0)
        var folds = 0, refolds = 0, runs = 0
        var last = Self.stamp(db)
        while folds < 6 && runs < 400 {
            #expect(try s.run(["--", "/bin/true"]).status == 0)
            runs += 1
            let now = Self.stamp(db)
            guard now != last else { continue }
            // This run folded the log. (File times are coarse: let the clock move on first.)
            folds += 1
            usleep(20_000)
            #expect(try s.run(["--", "/bin/true"]).status == 0)
            runs += 1
            if Self.stamp(db) != now { refolds += 1 }
            last = Self.stamp(db)
        }
        #expect(folds >= 3, "only \(folds) folds in \(runs) runs")
        #expect(refolds == 0, "\(refolds) of \(folds) runs right after a fold wrote state.db again")
        let verify = try s.run(["audit", "verify"])
        #expect(verify.status == 0, "\(verify)")
    }
}
