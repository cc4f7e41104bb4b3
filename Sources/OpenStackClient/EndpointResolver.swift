import Foundation
import Logging
import Synchronization

/// Where a region's services live, from the Keystone catalog: looked up by (region, service type,
/// interface), cached, and re-read when Keystone's answer may have changed (a connection failure, an
/// unknown endpoint, or the cache's age limit).
public final class EndpointResolver: Sendable {
    /// Where the catalog comes from; `KeystoneClient` in production, a closure in tests.
    public typealias CatalogSource = @Sendable () async throws -> [CatalogEndpointTemplate]

    struct Key: Hashable, Sendable {
        var region: String
        var serviceType: String
        var interface: String
    }

    struct Snapshot: Sendable {
        var entries: [Key: CatalogEndpointTemplate] = [:]
        var regions: Set<String> = []
        var readAt: Date?
    }

    /// The interface used when a call does not name one ("public" unless configured).
    public let defaultInterface: String
    let source: CatalogSource
    let maxAge: Duration?
    let minimumRefreshInterval: Duration
    let onRefresh: (@Sendable ([CatalogEndpointTemplate]) async -> Void)?
    let snapshot = Mutex(Snapshot())
    let refresher = CatalogRefresher()
    let logger: Logger

    /// - Parameters:
    ///   - maxAge: re-read the catalog after this long even without failures (nil: only on demand).
    ///   - minimumRefreshInterval: failures within this interval of the last read do not re-read again,
    ///     so a region that is down does not turn every call into a Keystone call.
    ///   - onRefresh: told every freshly read catalog (e.g. to persist it in the state store).
    public init(
        source: @escaping CatalogSource, defaultInterface: String = "public", maxAge: Duration? = .seconds(600),
        minimumRefreshInterval: Duration = .seconds(2),
        onRefresh: (@Sendable ([CatalogEndpointTemplate]) async -> Void)? = nil,
        logger: Logger = Logger(label: "tricircle.endpoints")
    ) {
        self.source = source
        self.defaultInterface = defaultInterface
        self.maxAge = maxAge
        self.minimumRefreshInterval = minimumRefreshInterval
        self.onRefresh = onRefresh
        self.logger = logger
    }

    /// Resolves from Keystone through the client (the service user's view of the catalog).
    public convenience init(
        keystone: KeystoneClient, defaultInterface: String = "public", maxAge: Duration? = .seconds(600),
        minimumRefreshInterval: Duration = .seconds(2),
        onRefresh: (@Sendable ([CatalogEndpointTemplate]) async -> Void)? = nil
    ) {
        self.init(
            source: { try await keystone.endpointTemplates() }, defaultInterface: defaultInterface, maxAge: maxAge,
            minimumRefreshInterval: minimumRefreshInterval, onRefresh: onRefresh)
    }

    /// The endpoint URL of `serviceType` in `region` (no trailing slash), with the project filled into
    /// templated URLs. Reads the catalog on first use and when the endpoint is not (yet) known.
    public func url(
        region: String, serviceType: String, interface: String? = nil, projectID: String? = nil
    ) async throws -> String {
        try await endpoint(region: region, serviceType: serviceType, interface: interface).url(projectID: projectID)
    }

    /// The catalog entry of `serviceType` in `region`.
    public func endpoint(region: String, serviceType: String, interface: String? = nil) async throws -> CatalogEndpointTemplate {
        let key = Key(region: region, serviceType: serviceType, interface: interface ?? defaultInterface)
        if let hit = cached(key) { return hit }
        // Unknown here: the catalog may have grown since it was read.
        try await refresh(force: false)
        if let hit = snapshot.withLock({ $0.entries[key] }) { return hit }
        throw OpenStackClientError.noEndpoint(region: key.region, serviceType: key.serviceType, interface: key.interface)
    }

    /// Region names that have at least one endpoint in the catalog.
    public func regions() async throws -> Set<String> {
        if snapshot.withLock({ $0.readAt == nil }) { try await refresh(force: true) }
        return snapshot.withLock { $0.regions }
    }

    /// Called after a call to `region`'s `serviceType` failed to connect: re-reads the catalog (at most once
    /// per `minimumRefreshInterval`) and tells whether that endpoint's URL changed, i.e. whether retrying could help.
    public func connectionFailed(region: String, serviceType: String, interface: String? = nil) async -> Bool {
        let key = Key(region: region, serviceType: serviceType, interface: interface ?? defaultInterface)
        let before = snapshot.withLock { $0.entries[key]?.urlTemplate }
        do {
            try await refresh(force: false)
        } catch {
            logger.warning("re-reading the Keystone catalog failed: \(error)")
            return false
        }
        let after = snapshot.withLock { $0.entries[key]?.urlTemplate }
        return after != nil && after != before
    }

    /// Re-reads the catalog now (concurrent callers share one read). Without `force`, a read younger than
    /// `minimumRefreshInterval` counts as fresh.
    public func refresh(force: Bool = true) async throws {
        let readAt = snapshot.withLock { $0.readAt }
        if !force, let readAt, Date().timeIntervalSince(readAt) < minimumRefreshInterval.timeInterval { return }
        let templates = try await refresher.read(source: source)
        install(templates)
        if let onRefresh { await onRefresh(templates) }
    }

    /// Replaces the cache (e.g. from endpoints persisted in the state store at start-up).
    public func install(_ templates: [CatalogEndpointTemplate], readAt: Date = Date()) {
        var next = Snapshot()
        for t in templates {
            let key = Key(region: t.regionID, serviceType: t.serviceType, interface: t.interface)
            // Keystone may list several; keep the first, as keystoneauth does.
            if next.entries[key] == nil { next.entries[key] = t }
            next.regions.insert(t.regionID)
        }
        next.readAt = readAt
        snapshot.withLock { current in
            if let currentRead = current.readAt, currentRead > readAt { return }
            current = next
        }
    }

    func cached(_ key: Key) -> CatalogEndpointTemplate? {
        snapshot.withLock { s in
            guard let readAt = s.readAt else { return nil }
            if let maxAge, Date().timeIntervalSince(readAt) > maxAge.timeInterval { return nil }
            return s.entries[key]
        }
    }
}

/// Makes concurrent catalog reads share one Keystone call.
actor CatalogRefresher {
    private var inFlight: Task<[CatalogEndpointTemplate], any Error>?

    /// Reads the catalog, or joins the read already under way.
    func read(source: @escaping EndpointResolver.CatalogSource) async throws -> [CatalogEndpointTemplate] {
        if let inFlight { return try await inFlight.value }
        let task = Task { try await source() }
        inFlight = task
        defer { inFlight = nil }
        return try await task.value
    }
}
