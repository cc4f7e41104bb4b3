import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Keep-alive HTTP/1.1 connections to plain-http pod hosts, each call answered as one buffered response.
///
/// A routed call is small and answered whole, so AsyncHTTPClient's request state machine, connection-pool
/// actor and async body stream cost more than the call (issue 17). This pool keeps the idle connections of
/// each host per event loop and prefers one on the caller's own loop, so a handler already running on that
/// loop makes its pod call without changing threads. It is bounded per host: when every connection is busy,
/// `execute` answers nil and the caller sends through AsyncHTTPClient instead.
public final class PodConnectionPool: Sendable {
    /// A pod host.
    struct Host: Hashable, Sendable {
        var host: String
        var port: Int
    }

    struct State {
        var idle: [Host: [any Channel]] = [:]
        var open: [Host: Int] = [:]
        var all: [ObjectIdentifier: any Channel] = [:]
        var shutDown = false
    }

    let group: any EventLoopGroup
    let maxConnectionsPerHost: Int
    let connectTimeout: TimeAmount
    let idleTimeout: TimeAmount
    private let state = Mutex(State())

    /// `maxConnectionsPerHost` bounds each host's connections; `idleTimeout` closes a connection unused that long.
    public init(
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, maxConnectionsPerHost: Int = 64,
        connectTimeout: Duration = .seconds(5), idleTimeout: Duration = .seconds(60)
    ) {
        self.group = group
        self.maxConnectionsPerHost = maxConnectionsPerHost
        self.connectTimeout = TimeAmount(connectTimeout)
        self.idleTimeout = TimeAmount(idleTimeout)
    }

    /// Sends one request and collects the whole answer; nil when every connection to the host is busy
    /// (nothing was sent). Throws what `OpenStackClientError.transport` classifies: the NIO error of a
    /// refused or timed-out connect, `.timeout` when no full answer came within `timeout` (the connection is
    /// closed), `.connectionLost` when the connection broke mid-call, `NIOTooManyBytesError` above `maxBytes`.
    func execute(
        _ head: HTTPRequestHead, body: ByteBuffer?, host: String, port: Int, url: String, timeout: TimeAmount, maxBytes: Int
    ) async throws -> PodCallAnswer? {
        let deadline = NIODeadline.now() + timeout
        let key = Host(host: host, port: port)
        guard let channel = try await acquire(key, deadline: deadline) else { return nil }
        let promise = channel.eventLoop.makePromise(of: PodCallAnswer.self)
        let call = PodCall(head: head, body: body, deadline: deadline, maxBytes: maxBytes, url: url, promise: promise)
        let answer: PodCallAnswer
        do {
            answer = try await withTaskCancellationHandler {
                // A write that never reached the handler (the connection closed and its pipeline was torn down)
                // must still end the call; completing a completed promise again does nothing.
                let written = channel.eventLoop.makePromise(of: Void.self)
                written.futureResult.whenFailure { promise.fail($0) }
                channel.writeAndFlush(call, promise: written)
                return try await promise.futureResult.get()
            } onCancel: {
                // The handler fails the call (CancellationError) when its connection closes.
                channel.close(promise: nil)
            }
        } catch {
            channel.close(promise: nil)
            throw error
        }
        if answer.keepAlive { release(channel, key) } else { channel.close(promise: nil) }
        return answer
    }

    /// Closes every connection; later calls fall back (nil) to the caller's other client.
    public func shutdown() async {
        let channels = state.withLock { state -> [any Channel] in
            state.shutDown = true
            let channels = Array(state.all.values)
            state.idle = [:]
            return channels
        }
        for channel in channels { try? await channel.close() }
    }

    /// An idle connection to the host, preferably on the current event loop, or a new one while under the bound.
    private func acquire(_ key: Host, deadline: NIODeadline) async throws -> (any Channel)? {
        enum Choice { case reuse(any Channel), connect, full }
        let choice = state.withLock { state -> Choice in
            if state.shutDown { return .full }
            while var idle = state.idle[key], !idle.isEmpty {
                // Most recently used first; one on this thread's loop if there is one.
                let index = idle.lastIndex { $0.eventLoop.inEventLoop } ?? idle.index(before: idle.endIndex)
                let channel = idle.remove(at: index)
                state.idle[key] = idle
                if channel.isActive { return .reuse(channel) }
            }
            guard state.open[key, default: 0] < maxConnectionsPerHost else { return .full }
            state.open[key, default: 0] += 1
            return .connect
        }
        switch choice {
        case .reuse(let channel): return channel
        case .full: return nil
        case .connect: break
        }
        let loop = MultiThreadedEventLoopGroup.currentEventLoop ?? group.next()
        let connectTimeout = min(self.connectTimeout, deadline - .now())
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: loop)
                .connectTimeout(connectTimeout)
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(PodCallHandler(idleTimeout: self.idleTimeout))
                    }
                }
                .connect(host: key.host, port: key.port).get()
        } catch {
            state.withLock { $0.open[key, default: 1] -= 1 }
            throw error
        }
        let id = ObjectIdentifier(channel)
        let registered = state.withLock { state -> Bool in
            guard !state.shutDown else { return false }
            state.all[id] = channel
            return true
        }
        // A connection is forgotten when it closes, whoever closed it (the pod, the idle timer, a failure).
        channel.closeFuture.whenComplete { _ in
            self.state.withLock { state in
                guard state.all.removeValue(forKey: id) != nil else { return }
                state.open[key, default: 1] -= 1
                state.idle[key]?.removeAll { ObjectIdentifier($0) == id }
            }
        }
        guard registered else {
            state.withLock { $0.open[key, default: 1] -= 1 }
            channel.close(promise: nil)
            return nil
        }
        return channel
    }

    private func release(_ channel: any Channel, _ key: Host) {
        state.withLock { state in
            guard !state.shutDown, state.all[ObjectIdentifier(channel)] != nil else { return }
            state.idle[key, default: []].append(channel)
        }
    }
}

/// A pod's whole answer.
struct PodCallAnswer: Sendable {
    var head: HTTPResponseHead
    var body: ByteBuffer
    /// Whether the connection may carry another call.
    var keepAlive: Bool
}

/// One request written to a connection, with where its answer goes.
struct PodCall: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer?
    var deadline: NIODeadline
    var maxBytes: Int
    var url: String
    var promise: EventLoopPromise<PodCallAnswer>
}

/// Writes a `PodCall` and collects its answer (head and body into one buffer); one call at a time per connection.
/// Closes the connection after `idleTimeout` without a call.
final class PodCallHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = PodCall
    typealias OutboundOut = HTTPClientRequestPart

    private let idleTimeout: TimeAmount
    private var call: PodCall?
    private var head: HTTPResponseHead?
    private var body: ByteBuffer?
    private var timeout: Scheduled<Void>?
    private var idle: Scheduled<Void>?

    init(idleTimeout: TimeAmount) {
        self.idleTimeout = idleTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        scheduleIdleClose(context)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let call = unwrapOutboundIn(data)
        guard self.call == nil, context.channel.isActive else {
            let error = self.call == nil ? ChannelError.ioOnClosedChannel : ChannelError.inappropriateOperationForState
            call.promise.fail(error)
            promise?.fail(error)
            return
        }
        idle?.cancel()
        idle = nil
        self.call = call
        head = nil
        body = nil
        timeout = context.eventLoop.assumeIsolated().scheduleTask(deadline: call.deadline) { [weak self] in
            self?.fail(OpenStackClientError.timeout(url: call.url))
            context.close(promise: nil)
        }
        context.write(wrapOutboundOut(.head(call.head)), promise: nil)
        if let body = call.body, body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let call else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            // An informational answer (100 Continue) is not the answer.
            if head.status.code >= 100 && head.status.code < 200 && head.status != .switchingProtocols { return }
            self.head = head
        case .body(var part):
            guard (body?.readableBytes ?? 0) + part.readableBytes <= call.maxBytes else {
                fail(NIOTooManyBytesError(maxBytes: call.maxBytes))
                context.close(promise: nil)
                return
            }
            if var collected = body {
                body = nil  // the only reference left, so the append does not copy
                collected.writeBuffer(&part)
                body = collected
            } else {
                body = part
            }
        case .end:
            guard let head else { return }
            timeout?.cancel()
            timeout = nil
            self.call = nil
            let answer = PodCallAnswer(head: head, body: body ?? ByteBuffer(), keepAlive: head.isKeepAlive)
            self.head = nil
            body = nil
            if answer.keepAlive { scheduleIdleClose(context) }
            call.promise.succeed(answer)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        idle?.cancel()
        fail(OpenStackClientError.connectionLost(url: call?.url ?? "", reason: "remote closed the connection"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error)
        context.close(promise: nil)
    }

    private func fail(_ error: any Error) {
        timeout?.cancel()
        timeout = nil
        guard let call else { return }
        self.call = nil
        call.promise.fail(error)
    }

    private func scheduleIdleClose(_ context: ChannelHandlerContext) {
        idle?.cancel()
        idle = context.eventLoop.assumeIsolated().scheduleTask(in: idleTimeout) { context.close(promise: nil) }
    }
}
