import NIOCore
import Synchronization

/// A client's streamed request body passed on to a pod, readable once. AsyncHTTPClient starts a body stream
/// again when it retries a request on a fresh connection; a client's upload (Hummingbird's request body)
/// can only be iterated once and traps if asked twice. Wrapped, a second reading fails the retried request
/// instead. It also tells whether the *client* broke the transfer (its stream failed, or ended before the
/// declared length), so a cut-off upload is answered as the client's 400, not as the region's 503.
public struct SingleUseBody<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    public typealias Element = ByteBuffer

    /// The body was already sent once and cannot be replayed.
    public struct AlreadyConsumed: Error, CustomStringConvertible {
        public var description: String { "the streamed request body was already sent once and cannot be replayed" }
    }

    /// The client's stream ended before the length it declared.
    public struct EndedEarly: Error, CustomStringConvertible {
        public let received: Int64
        public let declared: Int64
        public var description: String { "the client sent \(received) of the \(declared) bytes it declared" }
    }

    fileprivate final class State: Sendable {
        let taken = Mutex(false)
        let clientFailed = Mutex(false)
    }

    private let base: Base
    private let declaredLength: Int64?
    private let state = State()

    /// - Parameter declaredLength: the client's `Content-Length`, when it gave one.
    public init(_ base: Base, declaredLength: Int64? = nil) {
        self.base = base
        self.declaredLength = declaredLength
    }

    /// Whether the transfer failed on the client's side (read after the upload finished or failed).
    public var clientFailed: Bool { state.clientFailed.withLock { $0 } }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator?
        let declaredLength: Int64?
        fileprivate let state: State
        var received: Int64 = 0

        public mutating func next() async throws -> ByteBuffer? {
            guard var iterator = base else { throw AlreadyConsumed() }
            let value: ByteBuffer?
            do {
                value = try await iterator.next()
            } catch {
                state.clientFailed.withLock { $0 = true }
                throw error
            }
            base = iterator
            if let value {
                received += Int64(value.readableBytes)
            } else if let declaredLength, received < declaredLength {
                state.clientFailed.withLock { $0 = true }
                throw EndedEarly(received: received, declared: declaredLength)
            }
            return value
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        let first = state.taken.withLock { taken -> Bool in
            defer { taken = true }
            return !taken
        }
        return AsyncIterator(base: first ? base.makeAsyncIterator() : nil, declaredLength: declaredLength, state: state)
    }
}
