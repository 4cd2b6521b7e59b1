import Glibc
import NIOCore
import NIOHTTPTypes
import Synchronization

/// What a connection may hold of the server (issue 13, item 10), enforced per connection below
/// Hummingbird's router. Hummingbird's idle timeout closes a connection that is quiet, but a
/// client that trickles a byte every few seconds is never quiet: 500 such clients held 500
/// connections and their buffers indefinitely. So:
/// - at most `maxConnections` at once; one more is closed as it arrives (and logged, at most
///   once every ten seconds);
/// - a request head must arrive within `headSeconds` of the connection opening (or of the previous
///   response, on a kept-alive connection), however slowly its bytes trickle in;
/// - its body must arrive within `bodySeconds` of its head;
/// - while the server works on a request (a long poll waits up to a minute) no deadline runs.
/// When a flood of connections has drained, the memory their buffers took is returned to the
/// system (malloc_trim), so the server's RSS comes back to its baseline.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Shared by every connection of one server.
    final class Limits: Sendable {
        let maxConnections: Int
        let headSeconds: Int64
        let bodySeconds: Int64
        let open = Atomic<Int>(0)
        /// The most connections open at once since memory was last given back.
        let peak = Atomic<Int>(0)
        let lastCapLog = Atomic<Int64>(0)

        init(maxConnections: Int, headSeconds: Int64, bodySeconds: Int64) {
            self.maxConnections = maxConnections
            self.headSeconds = headSeconds
            self.bodySeconds = bodySeconds
        }
    }

    /// Below this many connections at the peak, freed buffers are left to malloc.
    static let trimAfterPeak = 64

    private let limits: Limits
    private var counted = false
    private var deadline: Scheduled<Void>?

    init(_ limits: Limits) { self.limits = limits }

    func handlerAdded(context: ChannelHandlerContext) {
        let now = limits.open.add(1, ordering: .relaxed).newValue
        counted = true
        if now > limits.maxConnections {
            let second = Int64(time(nil))
            let last = limits.lastCapLog.load(ordering: .relaxed)
            if second - last >= 10, limits.lastCapLog.compareExchange(expected: last, desired: second, ordering: .relaxed).exchanged {
                ServerLog.line("connection limit reached (\(limits.maxConnections) open): closing new connections until some end (--max-connections)")
            }
            context.close(promise: nil)
            return
        }
        var peak = limits.peak.load(ordering: .relaxed)
        while now > peak, !limits.peak.compareExchange(expected: peak, desired: now, ordering: .relaxed).exchanged {
            peak = limits.peak.load(ordering: .relaxed)
        }
        arm(context, seconds: limits.headSeconds)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        guard counted else { return }
        counted = false
        if limits.open.subtract(1, ordering: .relaxed).newValue == 0,
           limits.peak.exchange(0, ordering: .relaxed) >= Self.trimAfterPeak {
            _ = Self.mallocTrim?(0)
            // Again a moment later: the other event loops free their connections' buffers as
            // they close, after this one counted the last of them out.
            let limits = self.limits
            context.eventLoop.scheduleTask(in: .seconds(1)) {
                if limits.open.load(ordering: .relaxed) == 0 { _ = Self.mallocTrim?(0) }
            }
        }
    }

    /// glibc's malloc_trim (not in Swift's Glibc module map), looked up once.
    static let mallocTrim: (@convention(c) (Int) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
    }()

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: arm(context, seconds: limits.bodySeconds)
        case .body: break
        case .end: disarm()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // The response is complete: the next request head has its own deadline.
        if case .end = unwrapOutboundIn(data) { arm(context, seconds: limits.headSeconds) }
        context.write(data, promise: promise)
    }

    private func arm(_ context: ChannelHandlerContext, seconds: Int64) {
        deadline?.cancel()
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: .seconds(seconds)) { channel.close(promise: nil) }
    }

    private func disarm() {
        deadline?.cancel()
        deadline = nil
    }
}
