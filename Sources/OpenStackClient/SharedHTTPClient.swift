import AsyncHTTPClient
import NIOCore

/// The one `HTTPClient` a process shares for Keystone and every region (connection pooling).
public enum SharedHTTPClient {
    /// A configuration suited to talking to many OpenStack regions.
    ///
    /// Connection establishment is not retried: AsyncHTTPClient would otherwise keep retrying a refused
    /// connection until the call's deadline, so a region that is down would look like a slow one instead of
    /// failing fast (and the endpoint catalog would not be re-read promptly).
    public static func configuration(
        connectTimeout: Duration = .seconds(5), maxConnectionsPerHost: Int = 64
    ) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = TimeAmount(connectTimeout)
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = maxConnectionsPerHost
        configuration.decompression = .enabled(limit: .ratio(100))
        configuration.redirectConfiguration = .disallow
        // No tracing system is bootstrapped: with the global no-op tracer AsyncHTTPClient still parsed each
        // request's URL a second time for span attributes nobody reads.
        configuration.tracing.tracer = nil
        return configuration
    }

    /// Makes the process-wide client; shut it down (`try await client.shutdown()`) when the process stops.
    public static func make(connectTimeout: Duration = .seconds(5), maxConnectionsPerHost: Int = 64) -> HTTPClient {
        HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: configuration(connectTimeout: connectTimeout, maxConnectionsPerHost: maxConnectionsPerHost))
    }
}

extension TimeAmount {
    /// Converts a Swift `Duration`.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
