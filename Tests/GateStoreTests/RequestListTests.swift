import GateCore
@testable import GateStore
import GateWire
import Testing

/// A list cut at its limit says how many it left out, and the next page is reachable (issue 13:
/// 200 of 3,000 were returned with no sign).
@Suite struct RequestListTests {
    @Test func aCutListCountsAndPages() throws {
        let store = try Store(path: MigrationTests.directory() + "/state.db")
        let intent = Intent(argv: ["/bin/true"], executable: "/usr/bin/true", executableDigest: Array(repeating: 1, count: 32),
                            cwd: "/", user: "ci", uid: 1000, agent: "", host: "h")
        try store.write {
            for i in 0..<205 {
                var bytes = [UInt8](repeating: 0, count: 5)
                bytes[3] = UInt8(i >> 8); bytes[4] = UInt8(i & 255)
                try store.insert(RequestRecord(id: RequestID(randomBytes: bytes), createdMicros: Int64(1_000 + i), intent: intent))
            }
        }
        let first = try store.requests(status: [])
        #expect(first.count == 200 && first.first?.createdMicros == 1_204)
        #expect(try store.requestCount(status: []) == 205 && store.requestCount(status: [.pending]) == 205)
        let next = try store.requests(status: [], after: Store.ListCursor(after: first.last!))
        #expect(next.map(\.createdMicros) == [1_004, 1_003, 1_002, 1_001, 1_000])
    }

    /// Requests made in the same microsecond straddle a page boundary: paging by time alone
    /// dropped (or repeated) them. Each list, followed cursor by cursor, holds every request once.
    @Test func pagesFollowedByCursorListEveryRequestOnce() throws {
        let store = try Store(path: MigrationTests.directory() + "/state.db")
        let intent = Intent(argv: ["/bin/true"], executable: "/usr/bin/true", executableDigest: Array(repeating: 1, count: 32),
                            cwd: "/", user: "ci", uid: 1000, agent: "", host: "h")
        var ids: Set<String> = []
        try store.write {
            for i in 0..<530 {
                var bytes = [UInt8](repeating: 0, count: 5)
                bytes[2] = UInt8((i * 7919) & 255); bytes[3] = UInt8(i >> 8); bytes[4] = UInt8(i & 255)
                let r = RequestRecord(id: RequestID(randomBytes: bytes), createdMicros: Int64(1_000 + i / 150), intent: intent)
                ids.insert(r.id.compact)
                try store.insert(r)
            }
        }
        for statuses in [[], [RequestStatus.pending]] {
            var seen: [String] = [], cursor: Store.ListCursor?
            repeat {
                let page = try store.requests(status: statuses, after: cursor)
                seen += page.map(\.id.compact)
                cursor = page.count == 200 ? Store.ListCursor(after: page.last!) : nil
                if let c = cursor { #expect(Store.ListCursor(c.text) == c) }
            } while cursor != nil
            #expect(seen.count == 530 && Set(seen) == ids, "\(statuses): \(seen.count) listed, \(Set(seen).count) distinct")
        }
        #expect(Store.ListCursor("12-nope") == nil && Store.ListCursor("x-7K3FQ2XZ") == nil && Store.ListCursor("7K3FQ2XZ") == nil)
    }
}
