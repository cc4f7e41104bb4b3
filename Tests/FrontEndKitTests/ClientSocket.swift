import NIOCore
import NIOPosix

/// A plain TCP connection to a loopback port that sends raw bytes and collects whatever comes back.
final class ClientSocket: Sendable {
    let channel: any Channel
    let answer: EventLoopFuture<String>

    private init(channel: any Channel, answer: EventLoopFuture<String>) {
        self.channel = channel
        self.answer = answer
    }

    static func connect(port: Int) async throws -> ClientSocket {
        let group = MultiThreadedEventLoopGroup.singleton
        let promise = group.next().makePromise(of: String.self)
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collector(done: promise)) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return ClientSocket(channel: channel, answer: promise.futureResult)
    }

    func write(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
    }

    func close() { channel.close(promise: nil) }

    /// Everything the server sent until it closed, or until `timeout` passed (then the connection is closed here).
    func readAll(timeout: TimeAmount) async -> String {
        let channel = channel
        let closer = channel.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        let text = (try? await answer.get()) ?? ""
        closer.cancel()
        return text
    }

    /// Accumulates the inbound bytes; the text is handed over when the connection closes.
    final class Collector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        var received = ByteBuffer()
        let done: EventLoopPromise<String>

        init(done: EventLoopPromise<String>) { self.done = done }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            received.writeBuffer(&buffer)
        }

        func channelInactive(context: ChannelHandlerContext) {
            done.succeed(String(buffer: received))
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
