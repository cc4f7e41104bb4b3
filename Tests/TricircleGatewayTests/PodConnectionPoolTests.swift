import Foundation
import AsyncHTTPClient
import NIOCore
import NIOPosix
import OpenStackClient
import Synchronization
import Testing

/// The lean pod client (`PodConnectionPool` behind `RegionalServiceClient`): answers with a length or chunked,
/// keep-alive reuse, and the same typed errors AsyncHTTPClient's path gives the circuit and retry code.
@Suite("Pod connection pool")
struct PodConnectionPoolTests {
    @Test("a Content-Length answer is read whole and its connection reused for the next call")
    func contentLengthAnswerAndReuse() async throws {
        try await withScriptedPod { pod, client in
            let first = try await client.send(.get("/length"), baseURL: pod.url, as: Self.credentials)
            #expect(first.status == 200)
            #expect(String(buffer: first.body) == #"{"a":"bcd"}"#)
            #expect(first.header("content-type") == "application/json")
            let second = try await client.send(.get("/length?x=1"), baseURL: pod.url, as: Self.credentials)
            #expect(String(buffer: second.body) == #"{"a":"bcd"}"#)
            #expect(pod.connections == 1)
            #expect(pod.requestLines == ["GET /length HTTP/1.1", "GET /length?x=1 HTTP/1.1"])
        }
    }

    @Test("a chunked answer is collected into one body")
    func chunkedAnswer() async throws {
        try await withScriptedPod { pod, client in
            let response = try await client.send(.get("/chunked"), baseURL: pod.url, as: Self.credentials)
            #expect(response.status == 200)
            #expect(String(buffer: response.body) == "hello world")
        }
    }

    @Test("a pod closing the connection mid-answer is connectionLost, and the next call gets a new connection")
    func closedMidAnswer() async throws {
        try await withScriptedPod { pod, client in
            await #expect {
                _ = try await client.send(.get("/cut"), baseURL: pod.url, as: Self.credentials)
            } throws: { error in
                if case .connectionLost = error as? OpenStackClientError { return true }
                return false
            }
            let next = try await client.send(.get("/length"), baseURL: pod.url, as: Self.credentials)
            #expect(next.status == 200)
            #expect(pod.connections == 2)
        }
    }

    @Test("a pod that never answers is a timeout")
    func silentPodTimesOut() async throws {
        try await withScriptedPod { pod, client in
            var request = RegionalRequest.get("/silent")
            request.timeout = .milliseconds(200)
            await #expect {
                _ = try await client.send(request, baseURL: pod.url, as: Self.credentials)
            } throws: { error in
                if case .timeout = error as? OpenStackClientError { return true }
                return false
            }
        }
    }

    @Test("Connection: close is honoured: the next call opens a new connection")
    func connectionCloseAnswer() async throws {
        try await withScriptedPod { pod, client in
            let first = try await client.send(.get("/close"), baseURL: pod.url, as: Self.credentials)
            let second = try await client.send(.get("/close"), baseURL: pod.url, as: Self.credentials)
            #expect(String(buffer: first.body) == "ok")
            #expect(String(buffer: second.body) == "ok")
            #expect(pod.connections == 2)
        }
    }

    @Test("a body is sent with its length, type and the caller's headers")
    func bodyAndHeadersAreSent() async throws {
        try await withScriptedPod { pod, client in
            let request = RegionalRequest.rawJSON("POST", "/length", body: ByteBuffer(string: #"{"x":1}"#), headers: [("OpenStack-API-Version", "compute 2.79")])
            _ = try await client.send(request, baseURL: pod.url, as: ServiceCredentials(token: "tok", projectID: nil, requestID: "req-1"))
            let sent = pod.requests.joined().lowercased()
            #expect(sent.contains("content-length: 7\r\n"))
            #expect(sent.contains("content-type: application/json\r\n"))
            #expect(sent.contains("x-auth-token: tok\r\n"))
            #expect(sent.contains("x-openstack-request-id: req-1\r\n"))
            #expect(sent.contains("openstack-api-version: compute 2.79\r\n"))
            #expect(sent.hasSuffix(#"{"x":1}"#))
        }
    }

    @Test("a refused connection is connectionFailed (the catalog is re-read and the call retried on it)")
    func refusedConnectionIsConnectionError() async throws {
        try await withScriptedPod { _, client in
            await #expect {
                _ = try await client.send(.get("/servers"), baseURL: "http://127.0.0.1:1", as: Self.credentials)
            } throws: { error in
                (error as? OpenStackClientError)?.isConnectionError == true
            }
        }
    }

    // 4: the first chunk (5 bytes) is over; 8: the first fits and the second (6 more) is over (was cut, not refused).
    @Test("an answer larger than the limit is invalidResponse", arguments: [4, 8])
    func tooLargeAnswer(limit: Int) async throws {
        try await withScriptedPod { pod, client in
            var request = RegionalRequest.get("/chunked")
            request.maxResponseBytes = limit
            await #expect {
                _ = try await client.send(request, baseURL: pod.url, as: Self.credentials)
            } throws: { error in
                if case .invalidResponse = error as? OpenStackClientError { return true }
                return false
            }
        }
    }

    @Test("after the pool shut down, calls still go out (through AsyncHTTPClient)")
    func shutDownPoolFallsBack() async throws {
        try await withScriptedPod { pod, client, pool in
            _ = try await client.send(.get("/length"), baseURL: pod.url, as: Self.credentials)
            await pool.shutdown()
            let after = try await client.send(.get("/length"), baseURL: pod.url, as: Self.credentials)
            #expect(String(buffer: after.body) == #"{"a":"bcd"}"#)
            #expect(pod.connections == 2)
        }
    }

    static let credentials = ServiceCredentials(token: "t", projectID: nil)
}

/// A loopback HTTP/1.1 server answering by path with fixed bytes: `/length` (Content-Length), `/chunked`,
/// `/cut` (closes after part of the body), `/silent` (never answers), `/close` (`Connection: close`).
final class ScriptedPod: Sendable {
    private let channel: any Channel
    private let log: PodLog
    let url: String

    var connections: Int { log.state.withLock { $0.connections } }
    var requests: [String] { log.state.withLock { $0.requests } }
    var requestLines: [String] { requests.map { $0.components(separatedBy: "\r\n").first ?? "" } }

    static func start() async throws -> ScriptedPod {
        let log = PodLog()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                log.state.withLock { $0.connections += 1 }
                return channel.pipeline.addHandler(ScriptedAnswers(log: log))
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return ScriptedPod(channel: server, log: log, url: "http://127.0.0.1:\(server.localAddress?.port ?? 0)")
    }

    private init(channel: any Channel, log: PodLog, url: String) {
        self.channel = channel
        self.log = log
        self.url = url
    }

    func stop() async { try? await channel.close() }
}

final class PodLog: Sendable {
    struct State { var connections = 0; var requests: [String] = [] }
    let state = Mutex(State())
}

private final class ScriptedAnswers: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let log: PodLog
    var received = ""

    init(log: PodLog) { self.log = log }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received += String(buffer: unwrapInboundIn(data))
        guard let end = received.range(of: "\r\n\r\n") else { return }
        let head = received[..<end.upperBound].lowercased()
        let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
        guard received.utf8.count >= received[..<end.upperBound].utf8.count + length else { return }
        let request = received
        received = ""
        log.state.withLock { $0.requests.append(request) }
        let path = request.split(separator: " ").dropFirst().first.map(String.init) ?? ""
        func send(_ text: String) { context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text)), promise: nil) }
        switch path.prefix(while: { $0 != "?" }) {
        case "/length":
            send("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"a\":\"bcd\"}")
        case "/chunked":
            send("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        case "/cut":
            send("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
            context.close(promise: nil)
        case "/close":
            send("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")
            context.close(promise: nil)
        case "/silent":
            break
        default:
            send("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        }
    }
}

/// A scripted pod and a regional client with its own lean pool (and AsyncHTTPClient behind it).
func withScriptedPod(_ body: @Sendable (ScriptedPod, RegionalServiceClient, PodConnectionPool) async throws -> Void) async throws {
    let pod = try await ScriptedPod.start()
    let http = SharedHTTPClient.make(connectTimeout: .seconds(2))
    let pool = PodConnectionPool(maxConnectionsPerHost: 4, connectTimeout: .seconds(2))
    let client = RegionalServiceClient(
        httpClient: http, pool: pool, resolver: EndpointResolver(keystone: KeystoneClient(
            configuration: KeystoneClientConfiguration(authURL: "http://127.0.0.1:1/v3", password: "unused"), httpClient: http)))
    do {
        try await body(pod, client, pool)
    } catch {
        await pool.shutdown()
        try? await http.shutdown()
        await pod.stop()
        throw error
    }
    await pool.shutdown()
    try await http.shutdown()
    await pod.stop()
}

func withScriptedPod(_ body: @Sendable (ScriptedPod, RegionalServiceClient) async throws -> Void) async throws {
    try await withScriptedPod { pod, client, _ in try await body(pod, client) }
}
