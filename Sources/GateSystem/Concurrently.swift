import Glibc

/// Runs two pieces of work at the same time, one on a new thread, and waits for both. A plain
/// pthread, not Dispatch: nothing on gate's run path should pay for a thread pool it never uses.
package enum Concurrently {
    /// The callers hand each closure its own SQLite connection and state: nothing is shared
    /// between the two while they run, which is what makes the unchecked box sound.
    private final class Job<T>: Runnable, @unchecked Sendable {
        let work: () throws -> T
        var result: Result<T, any Error>?
        init(_ work: @escaping () throws -> T) { self.work = work }
        func run() { result = Result { try work() } }
    }

    package static func both<A, B>(_ first: () throws -> A, _ second: @escaping () throws -> B) throws -> (A, B) {
        let job = Job(second)
        guard let thread = startThread(job) else {
            return (try first(), try second())  // no second thread: one after the other
        }
        let a = Result { try first() }
        pthread_join(thread, nil)
        return (try a.get(), try job.result!.get())
    }

    /// Non-generic on purpose (the Swift 6.3 region checker crashes on the generic form).
    private static func startThread(_ job: any Runnable) -> pthread_t? {
        let box = Unmanaged.passRetained(RunnableBox(job)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            let box = Unmanaged<RunnableBox>.fromOpaque(raw!).takeRetainedValue()
            box.job.run()
            return nil
        }, box)
        if rc != 0 {
            Unmanaged<RunnableBox>.fromOpaque(box).release()
            return nil
        }
        return thread
    }
}

protocol Runnable: AnyObject { func run() }

private final class RunnableBox: @unchecked Sendable {
    let job: any Runnable
    init(_ job: any Runnable) { self.job = job }
}
