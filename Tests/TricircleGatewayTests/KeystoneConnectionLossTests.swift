import Foundation
import NIOCore
import NIOPosix
import OpenStackClient
import Synchronization
import Testing

/// Keystone closing a kept-alive connection as the gateway reuses it (seen under Tempest: "Connection reset by
/// peer") must not turn a token validation into a 503: a GET changed nothing and is sent once more.
@Suite("Keystone connection lost under a validation")
struct KeystoneConnectionLossTests {
    @Test("the first GET /v3/auth/tokens has its connection cut: the validation is sent again and succeeds")
    func validationSurvivesACutConnection() async throws {
        try await withLiveKeystone { keystone async throws in
            let user = try keystone.token("demo", "demopass", project: "demo")
            let upstream = try #require(URLComponents(string: keystone.url))
            let proxy = try await CuttingProxy.start(upstreamPort: try #require(upstream.port), cutting: "GET /v3/auth/tokens")
            defer { Task { await proxy.stop() } }
            let client = KeystoneClient(
                configuration: KeystoneClientConfiguration(authURL: "http://127.0.0.1:\(proxy.port)/v3", password: "servicepass"),
                httpClient: keystone.http)
            let validated = try await client.validate(userToken: user)
            #expect(validated?.userName == "demo")
            #expect(proxy.cuts == 1)
        }
    }
}

/// A TCP proxy to a loopback port that closes, once, the connection whose data first contains `marker`
/// (without passing that data on), and relays everything else.
final class CuttingProxy: Sendable {
    let port: Int
    private let channel: any Channel
    private let counter: CutCounter

    var cuts: Int { counter.value.load(ordering: .relaxed) }

    static func start(upstreamPort: Int, cutting marker: String) async throws -> CuttingProxy {
        let counter = CutCounter()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { inbound in
                ClientBootstrap(group: inbound.eventLoop).connect(host: "127.0.0.1", port: upstreamPort).flatMap { outbound in
                    outbound.pipeline.addHandler(Relay(peer: inbound, marker: nil, counter: counter)).flatMap {
                        inbound.pipeline.addHandler(Relay(peer: outbound, marker: marker, counter: counter))
                    }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return CuttingProxy(channel: server, port: server.localAddress?.port ?? 0, counter: counter)
    }

    private init(channel: any Channel, port: Int, counter: CutCounter) {
        self.channel = channel
        self.port = port
        self.counter = counter
    }

    func stop() async { try? await channel.close() }

    /// Shares the one cut between the proxy's connections.
    final class CutCounter: Sendable {
        let value = Atomic<Int>(0)
        /// True for the first caller only.
        func takeTheCut() -> Bool { value.compareExchange(expected: 0, desired: 1, ordering: .relaxed).exchanged }
    }

    private final class Relay: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        let peer: any Channel
        let marker: String?
        let counter: CutCounter

        init(peer: any Channel, marker: String?, counter: CutCounter) {
            self.peer = peer
            self.marker = marker
            self.counter = counter
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = unwrapInboundIn(data)
            if let marker, String(buffer: bytes).contains(marker), counter.takeTheCut() {
                context.close(promise: nil)
                peer.close(promise: nil)
                return
            }
            peer.writeAndFlush(bytes, promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            peer.close(promise: nil)
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
            peer.close(promise: nil)
        }
    }
}
