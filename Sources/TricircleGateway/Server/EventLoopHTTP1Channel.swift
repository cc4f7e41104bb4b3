import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's HTTP/1 connection handling with the connection's task run on the connection's own event loop.
///
/// Without a task executor preference each request crossed between the NIO event loop and Swift's cooperative
/// pool about four times (read, handler, pod call, write: issue 17); on the loop, a routed call whose pod
/// connection lives on the same loop (`PodConnectionPool` prefers one) is read, routed, sent, answered and
/// written by one thread.
struct EventLoopHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value
    let inner: HTTP1Channel

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        inner.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await withTaskExecutorPreference(EventLoopTaskExecutor(value.channel.eventLoop)) {
            await inner.handle(value: value, logger: logger)
        }
    }
}

/// An event loop as a `TaskExecutor`: jobs of a task that prefers it run on the loop's thread.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}

extension HTTPServerBuilder {
    /// `.http1(configuration:)` with each connection's requests handled on its event loop.
    static func http1OnEventLoop(configuration: HTTP1Channel.Configuration) -> HTTPServerBuilder {
        .init { responder in
            EventLoopHTTP1Channel(inner: HTTP1Channel(responder: responder, configuration: configuration))
        }
    }
}
