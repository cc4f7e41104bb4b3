import NIOCore
import NIOPosix
import Synchronization

/// A TCP proxy to PostgreSQL whose new connections can be held until the test passes them on or refuses them,
/// and whose relayed connections can be cut: a database failing over (sessions gone, connects that hang and
/// then fail or succeed), step by step.
final class GatedProxy: Sendable {
    let port: Int
    private let server: any Channel
    private let gate: Gate

    /// Listens on a free loopback port; every connection is passed on to `host:port` unless `hold()` was called.
    static func start(upstreamHost host: String, upstreamPort port: Int) async throws -> GatedProxy {
        let gate = Gate(host: host, port: port)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let relay = InboundRelay(inbound: channel)
                return channel.pipeline.addHandler(relay).map { gate.accepted(relay) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return GatedProxy(server: server, port: server.localAddress?.port ?? 0, gate: gate)
    }

    private init(server: any Channel, port: Int, gate: Gate) {
        self.server = server
        self.port = port
        self.gate = gate
    }

    /// New connections wait (accepted, nothing sent upstream) until `passHeld` or `refuseHeld`.
    func hold() { gate.state.withLock { $0.holding = true } }

    /// New connections are passed on at once again.
    func passNew() { gate.state.withLock { $0.holding = false } }

    /// Counts for a failure's message.
    var summary: String {
        gate.state.withLock { s in
            "accepted \(s.accepted), held \(s.held.count), relayed \(s.relayed.count) [\(s.relayed.map(\.summary).joined(separator: "; "))], holding \(s.holding)"
        }
    }

    /// Connections accepted and waiting.
    var heldCount: Int { gate.state.withLock { $0.held.count } }

    /// Closes the first `count` waiting connections (the client sees the server close during its startup).
    func refuseHeld(first count: Int) {
        let refused = gate.state.withLock { s in
            let first = Array(s.held.prefix(count))
            s.held.removeFirst(first.count)
            return first
        }
        for relay in refused { relay.cut() }
    }

    /// Passes every waiting connection on to the database.
    func passHeld() {
        let passed = gate.state.withLock { s in
            let held = s.held
            s.held = []
            s.relayed += held
            return held
        }
        for relay in passed { relay.pass(host: gate.host, port: gate.port) }
    }

    /// Cuts every connection relayed so far (a primary going away under its sessions).
    func cutRelayed() {
        let relayed = gate.state.withLock { s in
            let relayed = s.relayed
            s.relayed = []
            return relayed
        }
        for relay in relayed { relay.cut() }
    }

    func stop() async {
        try? await server.close()
        passHeld()
        cutRelayed()
    }

    private final class Gate: Sendable {
        struct State: Sendable {
            var holding = false
            var held: [InboundRelay] = []
            var relayed: [InboundRelay] = []
            var accepted = 0
        }
        let host: String
        let port: Int
        let state = Mutex(State())

        init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        func accepted(_ relay: InboundRelay) {
            let passNow = state.withLock { s in
                s.accepted += 1
                if s.holding { s.held.append(relay) } else { s.relayed.append(relay) }
                return !s.holding
            }
            if passNow { relay.pass(host: host, port: port) }
        }
    }
}

/// The client's side of one proxied connection: keeps what the client sends until the upstream side is connected.
private final class InboundRelay: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    // Both fields are touched only on the inbound channel's event loop.
    private var pending: [ByteBuffer] = []
    private var outbound: (any Channel)?
    let inbound: any Channel
    private let counts = Mutex((up: 0, down: 0, connected: false))
    var summary: String { counts.withLock { "up \($0.up) down \($0.down) connected \($0.connected) active \(inbound.isActive)" } }
    func countDown(_ n: Int) { counts.withLock { $0.down += n } }

    init(inbound: any Channel) { self.inbound = inbound }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        counts.withLock { $0.up += bytes.readableBytes }
        if let outbound { outbound.writeAndFlush(bytes, promise: nil) } else { pending.append(bytes) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        outbound?.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// Connects upstream on the inbound channel's event loop and relays both ways.
    func pass(host: String, port: Int) {
        let inbound = inbound
        // An address, not a host name: no resolver involved (the test's upstream is a loopback IP).
        guard let address = try? SocketAddress(ipAddress: host, port: port) else {
            inbound.close(promise: nil)
            return
        }
        inbound.eventLoop.execute {
            ClientBootstrap(group: inbound.eventLoop)
                .channelInitializer { channel in channel.pipeline.addHandler(OutboundRelay(peer: inbound, relay: self)) }
                .connect(to: address)
                .whenComplete { result in
                    switch result {
                    case .success(let channel):
                        self.outbound = channel
                        self.counts.withLock { $0.connected = true }
                        for bytes in self.pending { channel.write(bytes, promise: nil) }
                        self.pending = []
                        channel.flush()
                        if !inbound.isActive { channel.close(promise: nil) }
                    case .failure:
                        inbound.close(promise: nil)
                    }
                }
        }
    }

    /// Closes the client's connection (and the upstream one with it).
    func cut() { inbound.close(promise: nil) }
}

/// The database's side of one proxied connection: what the database sends goes to the client.
private final class OutboundRelay: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let peer: any Channel
    let relay: InboundRelay

    init(peer: any Channel, relay: InboundRelay) {
        self.peer = peer
        self.relay = relay
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        relay.countDown(bytes.readableBytes)
        peer.writeAndFlush(bytes, promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        peer.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
