import NIOCore
import NIOPosix
import Synchronization

/// A TCP proxy on a free loopback port in front of a database or service, for tests and benchmarks. It can add a
/// fixed delay to every chunk in each direction (a database on another site, in user space: the kernels here have no
/// netem), hold new connections until told to pass or refuse them and cut the relayed ones (a failover, step by
/// step), and cut the one connection that sends a marker (a server closing a kept-alive connection under a request).
public final class LoopbackProxy: Sendable {
    public let port: Int
    private let server: any Channel
    private let gate: Gate
    private let cut: Cut?

    /// Listens on a free loopback port; every connection is passed on to `upstreamHost:upstreamPort` unless
    /// `hold()` was called, with `delay` added to each chunk each way. With `cutting`, the first connection whose
    /// client sends a chunk containing that text is closed instead of passing the chunk on (once per proxy).
    public static func start(
        upstreamHost host: String, upstreamPort port: Int, delay: Duration = .zero, cutting marker: String? = nil
    ) async throws -> LoopbackProxy {
        let delay = TimeAmount(delay)
        let gate = Gate(upstream: Upstream(host: host, port: port), delay: delay)
        let cut = marker.map(Cut.init(marker:))
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let relay = InboundRelay(inbound: channel, delay: delay, cut: cut)
                return channel.pipeline.addHandler(relay).map { gate.accepted(relay) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return LoopbackProxy(server: server, port: server.localAddress?.port ?? 0, gate: gate, cut: cut)
    }

    private init(server: any Channel, port: Int, gate: Gate, cut: Cut?) {
        self.server = server
        self.port = port
        self.gate = gate
        self.cut = cut
    }

    /// Connections cut for sending the `cutting` marker (0 or 1).
    public var cuts: Int { cut?.taken.load(ordering: .relaxed) ?? 0 }

    /// New connections wait (accepted, nothing sent upstream) until `passHeld` or `refuseHeld`.
    public func hold() { gate.state.withLock { $0.holding = true } }

    /// New connections are passed on at once again.
    public func passNew() { gate.state.withLock { $0.holding = false } }

    /// Counts for a failure's message.
    public var summary: String {
        gate.state.withLock { s in
            "accepted \(s.accepted), held \(s.held.count), relayed \(s.relayed.count) [\(s.relayed.map(\.summary).joined(separator: "; "))], holding \(s.holding)"
        }
    }

    /// Connections accepted and waiting.
    public var heldCount: Int { gate.state.withLock { $0.held.count } }

    /// Closes the first `count` waiting connections (the client sees the server close during its startup).
    public func refuseHeld(first count: Int) {
        let refused = gate.state.withLock { s in
            let first = Array(s.held.prefix(count))
            s.held.removeFirst(first.count)
            return first
        }
        for relay in refused { relay.cut() }
    }

    /// Passes every waiting connection on upstream.
    public func passHeld() {
        let passed = gate.state.withLock { s in
            let held = s.held
            s.held = []
            s.relayed += held
            return held
        }
        for relay in passed { relay.pass(to: gate.upstream) }
    }

    /// Cuts every connection relayed so far (a primary going away under its sessions).
    public func cutRelayed() {
        let relayed = gate.state.withLock { s in
            let relayed = s.relayed
            s.relayed = []
            return relayed
        }
        for relay in relayed { relay.cut() }
    }

    /// Stops listening and closes every connection, held or relayed.
    public func stop() async {
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
        let upstream: Upstream
        let delay: TimeAmount
        let state = Mutex(State())

        init(upstream: Upstream, delay: TimeAmount) {
            self.upstream = upstream
            self.delay = delay
        }

        func accepted(_ relay: InboundRelay) {
            let passNow = state.withLock { s in
                s.accepted += 1
                if s.holding { s.held.append(relay) } else { s.relayed.append(relay) }
                return !s.holding
            }
            if passNow { relay.pass(to: upstream) }
        }
    }
}

/// Where the proxy connects: an IP address as it is (no resolver involved), a host name through NIO's resolver.
private struct Upstream: Sendable {
    let host: String
    let port: Int

    func connect(_ bootstrap: ClientBootstrap) -> EventLoopFuture<any Channel> {
        if let address = try? SocketAddress(ipAddress: host, port: port) { return bootstrap.connect(to: address) }
        return bootstrap.connect(host: host, port: port)
    }
}

/// The one cut a proxy started with `cutting:` makes, shared by its connections.
private final class Cut: Sendable {
    let marker: String
    let taken = Atomic<Int>(0)

    init(marker: String) { self.marker = marker }

    /// True for the first chunk containing the marker, false for every other.
    func takes(_ bytes: ByteBuffer) -> Bool {
        String(buffer: bytes).contains(marker) && taken.compareExchange(expected: 0, desired: 1, ordering: .relaxed).exchanged
    }
}

/// Runs `action` on `loop` `delay` from now, or at once when there is no delay. Every chunk of a connection waits
/// the same delay on the connection's one event loop, so chunks go out in the order they were read.
private func after(_ delay: TimeAmount, on loop: any EventLoop, _ action: @escaping @Sendable () -> Void) {
    if delay == .zero { action() } else { loop.scheduleTask(in: delay, action) }
}

/// The client's side of one proxied connection: keeps what the client sends until the upstream side is connected.
private final class InboundRelay: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    // These three are touched only on the inbound channel's event loop (the upstream channel shares it).
    private var pending: [ByteBuffer] = []
    private var outbound: (any Channel)?
    /// The client went away. Not `inbound.isActive`: the upstream connect can finish before NIO has made an
    /// accepted channel active, and must not be taken for a client that left (its connection would hang).
    private var clientGone = false
    let inbound: any Channel
    let delay: TimeAmount
    let markerCut: Cut?
    private let counts = Mutex((up: 0, down: 0, connected: false))
    var summary: String { counts.withLock { "up \($0.up) down \($0.down) connected \($0.connected) active \(inbound.isActive)" } }
    func countDown(_ n: Int) { counts.withLock { $0.down += n } }

    init(inbound: any Channel, delay: TimeAmount, cut: Cut?) {
        self.inbound = inbound
        self.delay = delay
        self.markerCut = cut
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        if let markerCut, markerCut.takes(bytes) {
            // Closing the client's side closes the upstream side too (channelInactive).
            context.close(promise: nil)
            return
        }
        counts.withLock { $0.up += bytes.readableBytes }
        after(delay, on: context.eventLoop) {
            if let outbound = self.outbound { outbound.writeAndFlush(bytes, promise: nil) } else { self.pending.append(bytes) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        clientGone = true
        // After the delay: what the client sent last goes upstream first.
        after(delay, on: context.eventLoop) { self.outbound?.close(promise: nil) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// Connects upstream on the inbound channel's event loop and relays both ways.
    func pass(to upstream: Upstream) {
        let inbound = inbound
        inbound.eventLoop.execute {
            let bootstrap = ClientBootstrap(group: inbound.eventLoop)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.pipeline.addHandler(OutboundRelay(peer: inbound, relay: self, delay: self.delay))
                }
            upstream.connect(bootstrap).whenComplete { result in
                switch result {
                case .success(let channel):
                    self.outbound = channel
                    self.counts.withLock { $0.connected = true }
                    for bytes in self.pending { channel.write(bytes, promise: nil) }
                    self.pending = []
                    channel.flush()
                    if self.clientGone { channel.close(promise: nil) }
                case .failure:
                    inbound.close(promise: nil)
                }
            }
        }
    }

    /// Closes the client's connection (and the upstream one with it).
    func cut() { inbound.close(promise: nil) }
}

/// The upstream side of one proxied connection: what the database sends goes to the client.
private final class OutboundRelay: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let peer: any Channel
    let relay: InboundRelay
    let delay: TimeAmount

    init(peer: any Channel, relay: InboundRelay, delay: TimeAmount) {
        self.peer = peer
        self.relay = relay
        self.delay = delay
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        relay.countDown(bytes.readableBytes)
        let peer = peer
        after(delay, on: context.eventLoop) { peer.writeAndFlush(bytes, promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        let peer = peer
        after(delay, on: context.eventLoop) { peer.close(promise: nil) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
