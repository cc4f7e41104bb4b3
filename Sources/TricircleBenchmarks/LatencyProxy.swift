import NIOCore
import NIOPosix

/// A TCP proxy that holds every chunk for a fixed delay in each direction: a database "on another site" for
/// benchmarks, in user space (the kernels here have no netem). Order is kept: every chunk waits the same delay
/// on one event loop, so scheduled writes run in the order they were read.
final class LatencyProxy: Sendable {
    let port: Int
    private let channel: any Channel

    /// Listens on a free loopback port and forwards to `upstreamHost:upstreamPort` with `delay` added each way.
    static func start(upstreamHost: String, upstreamPort: Int, delay: TimeAmount) async throws -> LatencyProxy {
        let group = MultiThreadedEventLoopGroup.singleton
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.autoRead, value: true)
            .childChannelInitializer { inbound in
                // Connect upstream on the same event loop, then wire both ends to each other.
                ClientBootstrap(group: inbound.eventLoop)
                    .channelOption(.socketOption(.tcp_nodelay), value: 1)
                    .connect(host: upstreamHost, port: upstreamPort)
                    .flatMap { outbound in
                        outbound.pipeline.addHandler(DelayedRelay(peer: inbound, delay: delay)).flatMap {
                            inbound.pipeline.addHandler(DelayedRelay(peer: outbound, delay: delay))
                        }
                    }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return LatencyProxy(channel: server, port: server.localAddress?.port ?? 0)
    }

    private init(channel: any Channel, port: Int) {
        self.channel = channel
        self.port = port
    }

    func stop() async { try? await channel.close() }
}

/// Writes what one side reads to the other side `delay` later; closing either side closes both.
private final class DelayedRelay: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    // Confined to one event loop (both channels share it).
    let peer: any Channel
    let delay: TimeAmount

    init(peer: any Channel, delay: TimeAmount) {
        self.peer = peer
        self.delay = delay
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        let peer = peer
        if delay == .zero {
            peer.writeAndFlush(bytes, promise: nil)
        } else {
            context.eventLoop.scheduleTask(in: delay) { peer.writeAndFlush(bytes, promise: nil) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        let peer = peer
        context.eventLoop.scheduleTask(in: delay) { peer.close(promise: nil) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
        peer.close(promise: nil)
    }
}
