import Crypto
import Foundation
import OpenStackClient
import Synchronization

/// Validated tokens (and recently refused ones) kept in memory, bounded, least recently used evicted.
///
/// Keys are SHA-256 digests of the tokens, so memory per entry does not depend on token length and the
/// tokens themselves are not kept twice.
public final class TokenValidationCache: Sendable {
    /// What is remembered about a token.
    enum Entry: Sendable {
        case valid(AuthenticatedCaller, until: Date)
        case invalid(until: Date)
    }

    let accepted: Mutex<LRUCache<TokenDigest, Entry>>
    /// Validations under way, so concurrent first requests with one token ask Keystone once.
    let pending = Mutex<[TokenDigest: Task<ValidatedToken?, any Error>]>([:])
    let refused: Mutex<LRUCache<TokenDigest, Entry>>
    /// Longest an entry is trusted.
    public let ttl: Duration
    /// Where hits and misses are counted (nil: not counted).
    let metrics: GatewayMetrics?

    /// - Parameters:
    ///   - capacity: most accepted tokens kept; refused tokens get a tenth of that.
    ///   - ttl: longest an entry is trusted.
    public init(capacity: Int, ttl: Duration, metrics: GatewayMetrics? = nil) {
        accepted = Mutex(LRUCache(capacity: max(0, capacity)))
        refused = Mutex(LRUCache(capacity: capacity > 0 ? max(1, capacity / 10) : 0))
        self.ttl = ttl
        self.metrics = metrics
    }

    /// The cached verdict: `.some(caller)` accepted, `.some(nil)` refused, nil unknown (ask Keystone).
    func lookup(_ token: String, now: Date = Date()) -> AuthenticatedCaller?? {
        let verdict = cachedVerdict(token, now: now)
        metrics?.tokenCache(hit: verdict != nil)
        return verdict
    }

    private func cachedVerdict(_ token: String, now: Date) -> AuthenticatedCaller?? {
        let key = TokenDigest(token)
        if let entry = accepted.withLock({ $0.get(key) }), case .valid(let caller, let until) = entry {
            if until > now { return .some(caller) }
            accepted.withLock { _ = $0.remove(key) }
        }
        if let entry = refused.withLock({ $0.get(key) }), case .invalid(let until) = entry {
            if until > now { return .some(nil) }
            refused.withLock { _ = $0.remove(key) }
        }
        return nil
    }

    /// Remembers an accepted token until its expiry or the TTL, whichever comes first.
    func accept(_ token: String, caller: AuthenticatedCaller, now: Date = Date()) {
        let until = min(caller.expiresAt, now.addingTimeInterval(ttl.seconds))
        guard until > now else { return }
        accepted.withLock { $0.set(TokenDigest(token), .valid(caller, until: until)) }
    }

    /// Remembers a refused token for the TTL (it cannot become valid later).
    func refuse(_ token: String, now: Date = Date()) {
        let until = now.addingTimeInterval(ttl.seconds)
        guard until > now else { return }
        refused.withLock { $0.set(TokenDigest(token), .invalid(until: until)) }
    }

    /// Asks `validator` about a token, joining a validation of the same token already under way.
    func validateOnce(_ token: String, with validator: any KeystoneTokenValidating) async throws -> ValidatedToken? {
        let key = TokenDigest(token)
        let (task, started) = pending.withLock { pending -> (Task<ValidatedToken?, any Error>, Bool) in
            if let running = pending[key] { return (running, false) }
            let task = Task { try await validator.validate(userToken: token) }
            pending[key] = task
            return (task, true)
        }
        defer {
            if started { _ = pending.withLock { $0.removeValue(forKey: key) } }
        }
        return try await task.value
    }

    /// Forgets a token (after the gateway itself revoked it, or a pod refused it).
    public func forget(_ token: String) {
        let key = TokenDigest(token)
        accepted.withLock { _ = $0.remove(key) }
        refused.withLock { _ = $0.remove(key) }
    }

    /// Whether a token is held as accepted now (for operators' checks and tests: a revoked token must not be).
    public func trusts(_ token: String, now: Date = Date()) -> Bool {
        if case .some(.some) = lookup(token, now: now) { return true }
        return false
    }

    /// A cache sized and timed as configured.
    public convenience init(configuration: KeystoneAuthConfiguration, metrics: GatewayMetrics? = nil) {
        self.init(capacity: configuration.tokenCacheSize, ttl: configuration.tokenCacheTTL, metrics: metrics)
    }

    /// Number of accepted tokens held.
    public var count: Int { accepted.withLock { $0.count } }
}

/// A token's SHA-256, as four words (cheap to hash and compare).
struct TokenDigest: Hashable, Sendable {
    let a, b, c, d: UInt64

    init(_ token: String) {
        let digest = SHA256.hash(data: Data(token.utf8))
        var words: [UInt64] = [0, 0, 0, 0]
        for (index, byte) in digest.enumerated() {
            words[index / 8] = words[index / 8] << 8 | UInt64(byte)
        }
        (a, b, c, d) = (words[0], words[1], words[2], words[3])
    }
}

extension Duration {
    /// Seconds as a `TimeInterval`.
    var seconds: TimeInterval {
        let (s, atto) = components
        return TimeInterval(s) + TimeInterval(atto) / 1e18
    }
}

/// A fixed-capacity least-recently-used map (O(1) get, set and eviction, doubly linked through arrays).
struct LRUCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Node: Sendable {
        var key: Key
        var value: Value
        var prev: Int
        var next: Int
    }

    let capacity: Int
    private var index: [Key: Int] = [:]
    private var nodes: [Node] = []
    /// Most recently used.
    private var head = -1
    /// Least recently used.
    private var tail = -1

    init(capacity: Int) {
        self.capacity = capacity
        index.reserveCapacity(min(capacity, 1 << 16))
    }

    var count: Int { index.count }

    mutating func get(_ key: Key) -> Value? {
        guard let i = index[key] else { return nil }
        moveToFront(i)
        return nodes[i].value
    }

    mutating func set(_ key: Key, _ value: Value) {
        guard capacity > 0 else { return }
        if let i = index[key] {
            nodes[i].value = value
            moveToFront(i)
            return
        }
        let slot: Int
        if nodes.count < capacity {
            slot = nodes.count
            nodes.append(Node(key: key, value: value, prev: -1, next: -1))
        } else {
            // Reuse the least recently used slot.
            slot = tail
            unlink(slot)
            index.removeValue(forKey: nodes[slot].key)
            nodes[slot] = Node(key: key, value: value, prev: -1, next: -1)
        }
        index[key] = slot
        pushFront(slot)
    }

    @discardableResult
    mutating func remove(_ key: Key) -> Value? {
        guard let i = index.removeValue(forKey: key) else { return nil }
        unlink(i)
        let value = nodes[i].value
        // Keep the array dense: move the last node into the hole.
        let last = nodes.count - 1
        if i != last {
            let moved = nodes[last]
            nodes[i] = moved
            index[moved.key] = i
            if moved.prev >= 0 { nodes[moved.prev].next = i } else { head = i }
            if moved.next >= 0 { nodes[moved.next].prev = i } else { tail = i }
        }
        nodes.removeLast()
        return value
    }

    private mutating func moveToFront(_ i: Int) {
        guard head != i else { return }
        unlink(i)
        pushFront(i)
    }

    private mutating func unlink(_ i: Int) {
        let p = nodes[i].prev
        let n = nodes[i].next
        if p >= 0 { nodes[p].next = n } else { head = n }
        if n >= 0 { nodes[n].prev = p } else { tail = p }
        nodes[i].prev = -1
        nodes[i].next = -1
    }

    private mutating func pushFront(_ i: Int) {
        nodes[i].prev = -1
        nodes[i].next = head
        if head >= 0 { nodes[head].prev = i }
        head = i
        if tail < 0 { tail = i }
    }
}
