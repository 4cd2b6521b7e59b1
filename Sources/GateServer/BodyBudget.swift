import GateCore
import Synchronization

/// How much of request bodies the server holds in memory at once (issue 18, finding 4). A body
/// over the small limit is read whole, then parsed and its blobs decoded, so it is admitted only
/// after its statement is authenticated (the Gate-Statement header), and only while the bytes of
/// such bodies in flight stay within `total`, and one requester's within `perRequester`. A body
/// that would pass either is answered 503 `busy` before a byte of it is read (with Retry-After):
/// memory stays bounded however many registered requesters upload at once.
public final class BodyBudget: Sendable {
    public struct Limits: Sendable {
        public var total = 128 << 20
        public var perRequester = 48 << 20
        public init() {}
    }

    /// A body admitted: give it back once it has been handled.
    public struct Reservation: Sendable {
        let key: String
        let bytes: Int
    }

    let limits: Limits
    private let state = Mutex<(used: Int, byKey: [String: Int])>((0, [:]))

    public init(_ limits: Limits) { self.limits = limits }

    /// Admits `bytes` for requester key `key`, or refuses: 413 when it could never fit, 503 when
    /// it does not fit now.
    func reserve(_ bytes: Int, key: String) throws -> Reservation {
        if bytes > limits.total || bytes > limits.perRequester {
            throw Broker.Refusal(status: 413, code: .tooLarge,
                                 message: "the body (\(bytes >> 10) KiB) is larger than the server holds in memory for one request (\(min(limits.total, limits.perRequester) >> 10) KiB)")
        }
        let admitted = state.withLock { s -> Bool in
            let mine = s.byKey[key, default: 0]
            guard s.used + bytes <= limits.total, mine + bytes <= limits.perRequester else { return false }
            s.used += bytes
            s.byKey[key] = mine + bytes
            return true
        }
        guard admitted else {
            throw Broker.Refusal(status: 503, code: .busy, message: "the server is holding as many request bodies as it allows at once; send it again in a moment")
        }
        return Reservation(key: key, bytes: bytes)
    }

    func release(_ r: Reservation) {
        state.withLock { s in
            s.used -= r.bytes
            let left = s.byKey[r.key, default: 0] - r.bytes
            s.byKey[r.key] = left > 0 ? left : nil
        }
    }

    /// Bytes of admitted bodies not yet released (for /v1/health and tests).
    public var inFlight: Int { state.withLock { $0.used } }
}
