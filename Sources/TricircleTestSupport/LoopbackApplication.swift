import Hummingbird

/// Runs a Hummingbird router on an ephemeral loopback port for the duration of `body`, which gets the port
/// (a stand-in service: a Keystone for `serve`, a rewriting proxy in front of a simulated region).
public func withLoopbackApplication<T: Sendable>(
    router: Router<BasicRequestContext>, _ body: (Int) async throws -> T
) async throws -> T {
    let ports = AsyncStream<Int>.makeStream()
    let app = Application(
        router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { ports.continuation.yield($0.localAddress?.port ?? 0) })
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await app.run(); return nil }
        // The server stops whether `body` returns or throws.
        defer { group.cancelAll() }
        var iterator = ports.stream.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        return try await body(port)
    }
}
