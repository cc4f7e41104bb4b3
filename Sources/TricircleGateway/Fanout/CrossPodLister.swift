import Foundation
import Logging
import OpenStackModels
import Synchronization
import TricircleCore

/// How one resource type is listed in one pod, for `CrossPodLister`.
public protocol CrossPodListSource: Sendable {
    associatedtype Item: Sendable
    /// Up to `limit` items of `pod` after `marker` (a bottom id of that pod; nil: from the start), sorted by `sortKeys`.
    func fetch(pod: Pod, limit: Int, marker: String?, sortKeys: [SortKey]) async throws -> [Item]
    /// The top id of an item (what clients see and pass back as a marker).
    func id(of item: Item) -> String
    /// The bottom id of an item in its pod (what that pod accepts as its marker).
    func bottomID(of item: Item) -> String
    /// The value an item sorts by for `field`.
    func sortValue(of item: Item, field: String) -> JSONValue?
    /// Finds the item a client's marker names, with its pod (nil: no such item for this caller).
    func locate(marker: String) async throws -> (pod: Pod, item: Item)?
}

/// One page of a list merged across pods.
public struct CrossPodPage<Item: Sendable>: Sendable {
    public var items: [Item]
    /// Pods that failed or timed out, with the reason: their part is missing from this page.
    public var failedPods: [(pod: Pod, reason: String)]
    /// The marker of the next page when this one is full, as Nova's `servers_links` wants it.
    public var nextMarker: String?
}

/// Why a merged list could not be served.
public enum CrossPodListError: Error, Sendable, Equatable {
    /// The marker names nothing the caller can see (Nova: 400 "marker [x] not found").
    case markerNotFound(String)
}

/// Lists a resource over many pods at once: every pod asked in parallel and time-boxed, answers
/// merge-sorted, pages cut across pods with `limit` and `marker` — Nova's multi-cell list over APIs.
///
/// Paging needs, for every pod, where the previous page stopped in it. That is remembered per emitted
/// marker in a bounded cache; on a miss (another process served the previous page, or it expired) it is
/// rebuilt from the marker's sort values by scanning the other pods, which is slower but exact.
public final class CrossPodLister: Sendable {
    private let cursors: CursorCache
    private let logger: Logger

    /// Where pods left out of a page are counted (nil: only logged).
    private let metrics: GatewayMetrics?

    public init(
        cacheSize: Int = 10_000, cacheTime: Duration = .seconds(600), logger: Logger = Logger(label: "tricircle.list"),
        metrics: GatewayMetrics? = nil
    ) {
        self.metrics = metrics
        self.cursors = CursorCache(capacity: cacheSize, ttl: cacheTime)
        self.logger = logger
    }

    /// One page. `signature` identifies the query (caller's project, filters, sort) so cursors of one
    /// query are never used for another.
    ///
    /// A pod that refuses the caller's token (401) fails the whole page with `PodRejectedToken`: the
    /// caller is not authenticated, so the other pods' part is not an answer either, and the pod is not
    /// down (it answered), so it is neither left out nor shown from the routing table.
    public func page<Source: CrossPodListSource>(
        _ source: Source, pods: [Pod], limit: Int, marker: String?, sortKeys: [SortKey], signature: String,
        podTimeout: Duration
    ) async throws -> CrossPodPage<Source.Item> {
        do {
            let page = try await mergedPage(
                source, pods: pods, limit: limit, marker: marker, sortKeys: sortKeys, signature: signature, podTimeout: podTimeout)
            // A refusal whose re-validation outlasted its pod's time box came back as a timeout: still a 401.
            if let rejection = await CallerTokenCheck.current?.rejection() {
                throw rejection
            }
            return page
        } catch let rejection as PodRejectedToken {
            throw rejection.inMergedList()
        }
    }

    func mergedPage<Source: CrossPodListSource>(
        _ source: Source, pods: [Pod], limit: Int, marker: String?, sortKeys: [SortKey], signature: String,
        podTimeout: Duration
    ) async throws -> CrossPodPage<Source.Item> {
        let keys = SortKey.total(sortKeys)
        let limit = max(1, limit)
        var start: [String: String] = [:]  // pod id -> bottom id of the last item already served from it
        if let marker {
            if let cached = cursors.get(signature: signature, marker: marker) {
                start = cached
            } else {
                start = try await rebuildCursors(source, pods: pods, marker: marker, sortKeys: keys, podTimeout: podTimeout)
                // The rebuild scans pods; the next request for the same marker (a retry, another client) reuses it.
                cursors.put(signature: signature, marker: marker, cursors: start)
            }
        }
        // Each pod is first asked for a few times its fair share of the page, not the whole page: over 100 pods a
        // page of 100 would otherwise fetch, decode and sort 10,000 items to keep 100. A pod whose share runs out
        // while it may hold more is read further (once, for what the page still lacks) before the merge goes on.
        let firstLimit = Self.firstRoundLimit(limit: limit, pods: pods.count)
        let outcomes = await fetchAll(
            source, pods: pods, limits: Array(repeating: firstLimit, count: pods.count), cursors: start, sortKeys: keys, podTimeout: podTimeout)

        // Each item's sort values are read once, not at every comparison of the merge (50 pods compare each head
        // ~50 times, and reading a value is a dictionary lookup in the pod's view).
        func decorate(_ items: [Source.Item]) -> [Ranked<Source.Item>] {
            items.map { item in Ranked(item: item, values: keys.map { source.sortValue(of: item, field: $0.field) }) }
        }
        var lists: [(pod: Pod, items: [Ranked<Source.Item>], more: Bool)] = []
        var failed: [(pod: Pod, reason: String)] = []
        func leaveOut(_ pod: Pod, _ reason: String) {
            failed.append((pod, reason))
            logger.warning("pod left out of a merged list", metadata: ["pod": "\(pod.regionName)", "reason": "\(reason)"])
            metrics?.listLeftOut(region: pod.regionName)
        }
        for (pod, outcome) in outcomes {
            switch outcome {
            case .success(let items): lists.append((pod, decorate(items), items.count >= firstLimit && firstLimit < limit))
            case .rejected(let rejection): throw rejection
            case .failure(let reason): leaveOut(pod, reason)
            }
        }
        let ordered = { (a: Ranked<Source.Item>, b: Ranked<Source.Item>) -> Bool in Self.precedes(a.values, b.values, keys) }
        // k-way merge by repeatedly taking the smallest head; k is the number of pods, small next to limit.
        for i in lists.indices { lists[i].items.sort(by: ordered) }
        var heads = Array(repeating: 0, count: lists.count)
        var page: [Source.Item] = []
        var next = start
        page.reserveCapacity(limit)
        while page.count < limit {
            if lists.indices.contains(where: { heads[$0] == lists[$0].items.count && lists[$0].more }) {
                // A pod ran out while it may hold more. Refilling only that one let the next pod run dry a little
                // later, one pod latency after another (50 pods whose newest servers sort pod after pod took 6-7
                // rounds); refilling every pod for the whole rest fetched 100 x 90 servers to show 90. So each pod is
                // read again, in one parallel round, for what it could still have to give: a pod is asked only when
                // fewer known items than the page still lacks sort up to its last one (otherwise the page fills
                // before it runs out), and for the difference. Then no pod needs a third read for this page.
                let wanted = limit - page.count
                var asks: [(index: Int, limit: Int)] = []
                for j in lists.indices where lists[j].more {
                    guard let last = lists[j].items.last else { continue }
                    var upToLast = 0
                    for k in lists.indices {
                        upToLast += Self.countNotAfter(last, in: lists[k].items, from: heads[k], ordered)
                        if upToLast >= wanted { break }
                    }
                    if upToLast < wanted { asks.append((j, wanted - upToLast)) }
                }
                let refills = await fetchAll(
                    source, pods: asks.map { lists[$0.index].pod }, limits: asks.map(\.limit),
                    cursors: Dictionary(uniqueKeysWithValues: asks.compactMap { ask in
                        lists[ask.index].items.last.map { (lists[ask.index].pod.podID, source.bottomID(of: $0.item)) }
                    }),
                    sortKeys: keys, podTimeout: podTimeout)
                for (ask, (pod, outcome)) in zip(asks, refills) {
                    lists[ask.index].more = false
                    switch outcome {
                    case .success(let items): lists[ask.index].items += decorate(items).sorted(by: ordered)
                    case .rejected(let rejection): throw rejection
                    case .failure(let reason): leaveOut(pod, reason)
                    }
                }
            }
            var best: Int?
            for i in lists.indices where heads[i] < lists[i].items.count {
                if let b = best {
                    if ordered(lists[i].items[heads[i]], lists[b].items[heads[b]]) { best = i }
                } else {
                    best = i
                }
            }
            guard let b = best else { break }
            let item = lists[b].items[heads[b]].item
            heads[b] += 1
            page.append(item)
            next[lists[b].pod.podID] = source.bottomID(of: item)
        }
        var nextMarker: String?
        if page.count == limit, let last = page.last {
            nextMarker = source.id(of: last)
            cursors.put(signature: signature, marker: source.id(of: last), cursors: next)
        }
        return CrossPodPage(items: page, failedPods: failed, nextMarker: nextMarker)
    }

    /// How many items each pod is first asked for: the whole page from one pod, else three times its fair share
    /// and at least 10, so a pod rarely needs a second read (a round trip) and most of what is fetched is shown.
    static func firstRoundLimit(limit: Int, pods: Int) -> Int {
        guard pods > 1 else { return limit }
        return min(limit, max(10, (3 * limit + pods - 1) / pods))
    }

    static func precedes<Source: CrossPodListSource>(_ source: Source, _ a: Source.Item, _ b: Source.Item, _ keys: [SortKey]) -> Bool {
        precedes(keys.map { source.sortValue(of: a, field: $0.field) }, keys.map { source.sortValue(of: b, field: $0.field) }, keys)
    }

    /// How many items of the sorted `items`, from `start` on, do not sort after `item`.
    static func countNotAfter<Item>(_ item: Item, in items: [Item], from start: Int, _ ordered: (Item, Item) -> Bool) -> Int {
        var low = start, high = items.count
        while low < high {
            let middle = (low + high) / 2
            if ordered(item, items[middle]) { high = middle } else { low = middle + 1 }
        }
        return low - start
    }

    /// Whether values `a` (one per key of `keys`) sort before values `b`.
    static func precedes(_ a: [JSONValue?], _ b: [JSONValue?], _ keys: [SortKey]) -> Bool {
        for (index, key) in keys.enumerated() {
            let c = SortKey.compare(a[index], b[index])
            if c != 0 { return key.ascending ? c < 0 : c > 0 }
        }
        return false
    }

    /// An item with its sort values, read once.
    struct Ranked<Item: Sendable> {
        let item: Item
        let values: [JSONValue?]
    }

    enum Outcome<Item: Sendable>: Sendable {
        case success([Item])
        /// The pod refused the caller's token: the list is answered 401.
        case rejected(PodRejectedToken)
        case failure(String)
    }

    /// Asks every pod at once (pod `i` for `limits[i]` items); a pod that errors or exceeds `podTimeout` becomes a
    /// failure, never a wait.
    func fetchAll<Source: CrossPodListSource>(
        _ source: Source, pods: [Pod], limits: [Int], cursors: [String: String], sortKeys: [SortKey], podTimeout: Duration
    ) async -> [(Pod, Outcome<Source.Item>)] {
        await withTaskGroup(of: (Int, Outcome<Source.Item>).self) { group in
            for (index, pod) in pods.enumerated() {
                let limit = limits[index]
                group.addTask {
                    let outcome = await Self.timeBoxed(podTimeout) {
                        try await source.fetch(pod: pod, limit: limit, marker: cursors[pod.podID], sortKeys: sortKeys)
                    }
                    return (index, outcome)
                }
            }
            var results = [(Pod, Outcome<Source.Item>)?](repeating: nil, count: pods.count)
            for await (index, outcome) in group { results[index] = (pods[index], outcome) }
            return results.compactMap { $0 }
        }
    }

    /// Runs `body`, giving up after `timeout` (the body is cancelled).
    static func timeBoxed<Item: Sendable>(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> [Item]) async -> Outcome<Item> {
        await withTaskGroup(of: Outcome<Item>?.self) { group in
            group.addTask {
                do {
                    return .success(try await body())
                } catch let rejection as PodRejectedToken {
                    return .rejected(rejection)
                } catch {
                    return .failure(String(describing: error))
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return Task.isCancelled ? nil : .failure("no answer within \(timeout)")
            }
            defer { group.cancelAll() }
            while let next = await group.next() {
                if let outcome = next { return outcome }
            }
            return .failure("cancelled")
        }
    }

    /// Where each pod stands relative to `marker`: the marker's own pod resumes after it; every other pod
    /// after its last item that sorts before the marker (found by scanning that pod in order).
    func rebuildCursors<Source: CrossPodListSource>(
        _ source: Source, pods: [Pod], marker: String, sortKeys: [SortKey], podTimeout: Duration
    ) async throws -> [String: String] {
        guard let (markerPod, markerItem) = try await source.locate(marker: marker) else {
            throw CrossPodListError.markerNotFound(marker)
        }
        var result: [String: String] = [markerPod.podID: source.bottomID(of: markerItem)]
        let markerValues = sortKeys.map { source.sortValue(of: markerItem, field: $0.field) }
        let others = pods.filter { $0.podID != markerPod.podID }
        let found = await withTaskGroup(of: (String, String?).self) { group in
            for pod in others {
                group.addTask {
                    var cursor: String?
                    var last: String?
                    scan: while true {
                        let from = cursor
                        let outcome = await Self.timeBoxed(podTimeout) {
                            try await source.fetch(pod: pod, limit: 500, marker: from, sortKeys: sortKeys)
                        }
                        guard case .success(let batch) = outcome, !batch.isEmpty else { break }
                        for item in batch {
                            if !Self.precedes(sortKeys.map { source.sortValue(of: item, field: $0.field) }, markerValues, sortKeys) { break scan }
                            last = source.bottomID(of: item)
                        }
                        cursor = batch.last.map(source.bottomID(of:))
                        if batch.count < 500 { break }
                    }
                    return (pod.podID, last)
                }
            }
            var found: [String: String] = [:]
            for await (podID, last) in group { if let last { found[podID] = last } }
            return found
        }
        result.merge(found) { a, _ in a }
        logger.debug("rebuilt list cursors from marker", metadata: ["marker": "\(marker)", "pods": "\(pods.count)"])
        return result
    }
}

/// Per-pod resume points of served pages, keyed by (query signature, emitted marker). Bounded, with a TTL.
final class CursorCache: Sendable {
    private struct Entry { var cursors: [String: String]; var expires: ContinuousClock.Instant }
    private let entries = Mutex<[String: Entry]>([:])
    private let capacity: Int
    private let ttl: Duration

    init(capacity: Int, ttl: Duration) {
        self.capacity = capacity
        self.ttl = ttl
    }

    func get(signature: String, marker: String) -> [String: String]? {
        let now = ContinuousClock.now
        return entries.withLock { entries in
            let key = signature + "\u{1}" + marker
            guard let entry = entries[key] else { return nil }
            if entry.expires < now { entries[key] = nil; return nil }
            return entry.cursors
        }
    }

    func put(signature: String, marker: String, cursors: [String: String]) {
        guard capacity > 0 else { return }
        let expires = ContinuousClock.now.advanced(by: ttl)
        entries.withLock { entries in
            if entries.count >= capacity {
                let victims = entries.sorted { $0.value.expires < $1.value.expires }.prefix(max(1, capacity / 10))
                for (key, _) in victims { entries[key] = nil }
            }
            entries[signature + "\u{1}" + marker] = Entry(cursors: cursors, expires: expires)
        }
    }
}
