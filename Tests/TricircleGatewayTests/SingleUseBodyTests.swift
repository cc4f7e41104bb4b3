import NIOCore
import Testing
import TricircleGateway

/// The streamed-upload wrapper: read once (AsyncHTTPClient retrying on a new connection fails that request
/// instead of trapping), and a client's broken upload told apart from a region's failure.
@Suite struct SingleUseBodyTests {
    struct Chunks: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let sizes: [Int]
        let failAtEnd: Bool

        struct AsyncIterator: AsyncIteratorProtocol {
            var sizes: [Int]
            let failAtEnd: Bool
            mutating func next() async throws -> ByteBuffer? {
                guard !sizes.isEmpty else {
                    if failAtEnd { throw CancellationError() }
                    return nil
                }
                return ByteBuffer(repeating: 7, count: sizes.removeFirst())
            }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(sizes: sizes, failAtEnd: failAtEnd) }
    }

    static func drain(_ body: SingleUseBody<Chunks>) async throws -> Int {
        var total = 0
        for try await chunk in body { total += chunk.readableBytes }
        return total
    }

    @Test("a whole upload passes and is not the client's failure; a second reading is refused")
    func wholeUpload() async throws {
        let body = SingleUseBody(Chunks(sizes: [4, 6], failAtEnd: false), declaredLength: 10)
        #expect(try await Self.drain(body) == 10)
        #expect(!body.clientFailed)
        await #expect(throws: SingleUseBody<Chunks>.AlreadyConsumed.self) { _ = try await Self.drain(body) }
    }

    @Test("an upload shorter than its Content-Length, or whose stream fails, is the client's failure")
    func brokenUploads() async throws {
        let short = SingleUseBody(Chunks(sizes: [4], failAtEnd: false), declaredLength: 10)
        await #expect(throws: SingleUseBody<Chunks>.EndedEarly.self) { _ = try await Self.drain(short) }
        #expect(short.clientFailed)
        let failing = SingleUseBody(Chunks(sizes: [4], failAtEnd: true), declaredLength: nil)
        await #expect(throws: CancellationError.self) { _ = try await Self.drain(failing) }
        #expect(failing.clientFailed)
    }
}
