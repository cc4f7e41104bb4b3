import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A responder made from a closure, so listeners can hold any service's responder.
struct ClosureResponder: HTTPResponder {
    typealias Context = BasicRequestContext
    let body: @Sendable (Request, BasicRequestContext) async throws -> Response
    func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        try await body(request, context)
    }
}

/// A one-shot gate tasks can wait on.
final class Gate: Sendable {
    private struct State {
        var open = false
        var failure: (any Error)?
        var waiters: [CheckedContinuation<Void, any Error>] = []
    }
    private let state = Mutex(State())

    func open(failure: (any Error)? = nil) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            guard !state.open else { return [] }
            state.open = true
            state.failure = failure
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters {
            if let failure { waiter.resume(throwing: failure) } else { waiter.resume() }
        }
    }

    func wait() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let result = state.withLock { state -> Result<Bool, any Error> in
                if state.open { return state.failure.map { .failure($0) } ?? .success(true) }
                state.waiters.append(continuation)
                return .success(false)
            }
            switch result {
            case .success(true): continuation.resume()
            case .success(false): break
            case .failure(let error): continuation.resume(throwing: error)
            }
        }
    }
}

/// One HTTP listener: Keystone, or one service of one region. Closes its socket while the service is
/// "down" and reopens on the same port when it comes back.
final class Listener: Sendable {
    let region: String?
    let serviceType: String
    let serviceName: String
    let endpointPath: String
    let responder: ClosureResponder
    let faults: FaultInjector?
    let host: String
    private let boundPort: Mutex<Int>
    /// Opens once the first bind succeeded (the port is known).
    let bound = Gate()

    init(
        region: String?, serviceType: String, serviceName: String, endpointPath: String, responder: ClosureResponder,
        faults: FaultInjector?, host: String, port: Int
    ) {
        self.region = region
        self.serviceType = serviceType
        self.serviceName = serviceName
        self.endpointPath = endpointPath
        self.responder = responder
        self.faults = faults
        self.host = host
        self.boundPort = Mutex(port)
    }

    var port: Int { boundPort.withLock { $0 } }
    var baseURL: String { "http://\(host):\(port)" }
    var url: String { baseURL + endpointPath }

    private var isDown: Bool { faults?.settings(for: serviceType).down ?? false }

    /// Serves until cancelled, closing and reopening the socket as "down" changes.
    func supervise() async throws {
        var first = true
        while !Task.isCancelled {
            if !first, isDown {
                await waitFor(down: false)
                continue
            }
            first = false
            try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    try await self.serve()
                    return false
                }
                group.addTask {
                    await self.waitFor(down: true)
                    return true
                }
                // Whichever ends first: "down" (stop serving) or the server itself (error or cancellation).
                _ = try await group.next()
                group.cancelAll()
                while try await group.next() != nil {}
            }
        }
    }

    /// Returns once `down` has the wanted value (or the task is cancelled).
    private func waitFor(down wanted: Bool) async {
        guard let faults else {
            if wanted { try? await Task.sleep(for: .seconds(86_400 * 365)) }
            return
        }
        let changes = faults.changes()
        if isDown == wanted { return }
        for await service in changes where service == serviceType {
            if isDown == wanted { return }
        }
    }

    private func serve() async throws {
        var logger = Logger(label: "sim.\(region ?? "identity").\(serviceType)")
        // Shutdown by cancellation logs CancellationError at error level; only critical matters here.
        logger.logLevel = .critical
        let app = Application(
            responder: responder,
            configuration: .init(address: .hostname(host, port: port)),
            onServerRunning: { [self] channel in
                if let actual = channel.localAddress?.port { boundPort.withLock { $0 = actual } }
                bound.open()
            },
            logger: logger)
        do {
            try await app.run()
        } catch {
            bound.open(failure: error)
            throw error
        }
    }
}
