import NIOCore
import Synchronization

/// A streamed request body that may be read once. AsyncHTTPClient starts a body stream again when it
/// retries a request on a fresh connection; a client's upload (Hummingbird's request body) can only be
/// iterated once and traps if asked twice. Wrapped, a second reading fails the retried request instead.
public struct SingleUseBody<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    public typealias Element = ByteBuffer

    /// The body was already sent once and cannot be replayed.
    public struct AlreadyConsumed: Error, CustomStringConvertible {
        public var description: String { "the streamed request body was already sent once and cannot be replayed" }
    }

    private final class Flag: Sendable {
        let taken = Mutex(false)
    }

    private let base: Base
    private let flag = Flag()

    public init(_ base: Base) { self.base = base }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator?

        public mutating func next() async throws -> ByteBuffer? {
            guard var iterator = base else { throw AlreadyConsumed() }
            let value = try await iterator.next()
            base = iterator
            return value
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        let first = flag.taken.withLock { taken -> Bool in
            defer { taken = true }
            return !taken
        }
        return AsyncIterator(base: first ? base.makeAsyncIterator() : nil)
    }
}
