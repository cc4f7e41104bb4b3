import Foundation
import OpenStackModels
import Testing
import TricircleCore
@testable import TricircleGateway

/// Test double: pods held as in-memory arrays; a pod can be made to fail or to hang.
struct FakePodListSource: CrossPodListSource {
    typealias Item = [String: JSONValue]
    let data: [String: [[String: JSONValue]]]  // pod id -> items
    var failing: Set<String> = []
    var hanging: Set<String> = []
    let pods: [Pod]

    func fetch(pod: Pod, limit: Int, marker: String?, sortKeys: [SortKey]) async throws -> [Item] {
        if failing.contains(pod.podID) { throw FakePodError.down }
        if hanging.contains(pod.podID) { try await Task.sleep(for: .seconds(600)) }
        let sorted = (data[pod.podID] ?? []).sorted { CrossPodLister.precedes(self, $0, $1, sortKeys) }
        var rest = sorted[...]
        if let marker {
            guard let index = sorted.firstIndex(where: { $0["id"]?.stringValue == marker }) else { throw FakePodError.badMarker }
            rest = sorted[(index + 1)...]
        }
        return Array(rest.prefix(limit))
    }

    func id(of item: Item) -> String { item["id"]?.stringValue ?? "" }
    func bottomID(of item: Item) -> String { id(of: item) }
    func sortValue(of item: Item, field: String) -> JSONValue? { item[field] }

    func locate(marker: String) async throws -> (pod: Pod, item: Item)? {
        for pod in pods {
            if let item = data[pod.podID]?.first(where: { $0["id"]?.stringValue == marker }) { return (pod, item) }
        }
        return nil
    }
}

enum FakePodError: Error { case down, badMarker }

func makePods(_ n: Int) -> [Pod] {
    (0..<n).map { Pod(podID: "pod\($0)", regionName: "Region\($0)", azName: "az\($0)", podAZName: "", dcName: "", createdAt: "", updatedAt: "") }
}

/// Items spread over pods with colliding timestamps, so ties must be broken by id.
func makeData(pods: [Pod], perPod: Int) -> [String: [[String: JSONValue]]] {
    var generator = SystemRandomNumberGenerator()
    var data: [String: [[String: JSONValue]]] = [:]
    for pod in pods {
        data[pod.podID] = (0..<perPod).map { i in
            ["id": .string("\(pod.podID)-\(i)"), "created_at": .string("2026-01-0\(Int.random(in: 1...5, using: &generator))"),
             "name": .string("vm\(Int.random(in: 0..<10, using: &generator))")]
        }
    }
    return data
}

@Suite("Merged lists across pods")
struct CrossPodListerTests {
    @Test("paging through every page returns every item once, in the global order", arguments: [1, 2, 3, 7, 50])
    func pagesAreExact(limit: Int) async throws {
        let pods = makePods(3)
        let source = FakePodListSource(data: makeData(pods: pods, perPod: 13), pods: pods)
        let keys = SortKey.newestFirst
        let expected = source.data.values.flatMap { $0 }
            .sorted { CrossPodLister.precedes(source, $0, $1, SortKey.total(keys)) }.map { source.id(of: $0) }
        let lister = CrossPodLister()
        var seen: [String] = []
        var marker: String?
        repeat {
            let page = try await lister.page(source, pods: pods, limit: limit, marker: marker, sortKeys: keys,
                                             signature: "q", podTimeout: .seconds(5))
            seen += page.items.map(source.id(of:))
            marker = page.nextMarker
        } while marker != nil
        #expect(seen == expected)
    }

    @Test("over many pods each is first asked for a share of the page; a pod holding most of a page is read further and the pages stay exact",
          arguments: [25, 100])
    func skewedPodIsReadFurther(limit: Int) async throws {
        let pods = makePods(20)
        var data = makeData(pods: pods, perPod: 13)
        // pod0 holds the 150 newest items: a first share (10-15 items) cannot fill a page from it alone.
        data["pod0"] = (0..<150).map { i in ["id": .string("pod0-\(i)"), "created_at": .string("2026-02-01"), "name": .string("new")] }
        let source = FakePodListSource(data: data, pods: pods)
        let keys = SortKey.newestFirst
        #expect(CrossPodLister.firstRoundLimit(limit: limit, pods: pods.count) < limit)
        let expected = source.data.values.flatMap { $0 }
            .sorted { CrossPodLister.precedes(source, $0, $1, SortKey.total(keys)) }.map { source.id(of: $0) }
        let lister = CrossPodLister()
        var seen: [String] = []
        var marker: String?
        repeat {
            let page = try await lister.page(source, pods: pods, limit: limit, marker: marker, sortKeys: keys,
                                             signature: "q", podTimeout: .seconds(5))
            #expect(page.items.count == limit || page.nextMarker == nil)
            seen += page.items.map(source.id(of:))
            marker = page.nextMarker
        } while marker != nil
        #expect(seen == expected)
    }

    /// Pods whose newest items sort pod after pod run out one after another during the merge. Each must not cost
    /// its own round trip after the previous one (50 pods x 50 ms took 6-7 sequential refills in the bench): when the
    /// first runs dry, every pod that could run dry is read again at once.
    @Test("pods that would run out one after another during a merge are read again in one parallel round, each for what it could give",
          .timeLimit(.minutes(1)))
    func refillsAreOneRound() async throws {
        let pods = makePods(10)
        var data: [String: [[String: JSONValue]]] = [:]
        for (index, pod) in pods.enumerated() {
            // pod0 holds the 60 newest, pod1 the next 60, ...: a page of 100 takes pod0's 60 and 40 of pod1's.
            data[pod.podID] = (0..<60).map { i in
                ["id": .string("\(pod.podID)-\(i)"), "created_at": .string(String(format: "2026-01-01T%02d:%02d", 23 - index, 59 - i))]
            }
        }
        let inner = FakePodListSource(data: data, pods: pods)
        #expect(CrossPodLister.firstRoundLimit(limit: 100, pods: pods.count) == 30)
        // When pod0 runs dry the page holds 30 and lacks 70: pod1's 30 known items sort before pod2's, pod2's before
        // pod3's, so pod1 (30 up to its last) and pod2 (60) could run out, pod3 (90) cannot.
        let gate = RefillGate(expected: 3)
        let source = GatedRefillSource(inner: inner, gate: gate)
        let page = try await CrossPodLister().page(
            source, pods: pods, limit: 100, marker: nil, sortKeys: SortKey.newestFirst, signature: "q", podTimeout: .seconds(30))
        #expect(page.items.map(inner.id(of:)) == (0..<60).map { "pod0-\($0)" } + (0..<40).map { "pod1-\($0)" })
        // Those three were asked again together (the old merge refilled pod0, then later pod1, alone), for 70, 40 and 10.
        #expect(await gate.mostWaitingTogether == 3)
        #expect(await gate.limits.sorted() == [10, 40, 70])
    }

    @Test("a marker this process never served is located and paging stays exact")
    func cursorRebuild() async throws {
        let pods = makePods(4)
        let source = FakePodListSource(data: makeData(pods: pods, perPod: 9), pods: pods)
        let keys = [SortKey("name", ascending: true)]
        let expected = source.data.values.flatMap { $0 }
            .sorted { CrossPodLister.precedes(source, $0, $1, SortKey.total(keys)) }.map { source.id(of: $0) }
        var seen: [String] = []
        var marker: String?
        repeat {
            // A new lister per page: as if each page were served by a different gateway process.
            let page = try await CrossPodLister().page(source, pods: pods, limit: 5, marker: marker, sortKeys: keys,
                                                       signature: "q", podTimeout: .seconds(5))
            seen += page.items.map(source.id(of:))
            marker = page.nextMarker
        } while marker != nil
        #expect(seen == expected)
    }

    @Test("a failing pod and a hanging pod are left out and named; the others answer", .timeLimit(.minutes(1)))
    func deadPods() async throws {
        let pods = makePods(3)
        var source = FakePodListSource(data: makeData(pods: pods, perPod: 4), pods: pods)
        source.failing = ["pod1"]
        source.hanging = ["pod2"]
        let page = try await CrossPodLister().page(source, pods: pods, limit: 100, marker: nil, sortKeys: SortKey.newestFirst,
                                                   signature: "q", podTimeout: .milliseconds(200))
        #expect(Set(page.items.map(source.id(of:)).map { $0.split(separator: "-")[0] }) == ["pod0"])
        #expect(Set(page.failedPods.map(\.pod.podID)) == ["pod1", "pod2"])
        #expect(page.nextMarker == nil)
    }

    @Test("an unknown marker is an error the front-end turns into a 400")
    func unknownMarker() async throws {
        let pods = makePods(2)
        let source = FakePodListSource(data: makeData(pods: pods, perPod: 2), pods: pods)
        await #expect(throws: CrossPodListError.markerNotFound("nope")) {
            try await CrossPodLister().page(source, pods: pods, limit: 1, marker: "nope", sortKeys: SortKey.newestFirst,
                                            signature: "q", podTimeout: .seconds(1))
        }
    }
}

/// Holds each refill (a fetch with a marker) until `expected` refills wait together or 5 s passed, and remembers
/// how many waited together at most: refills made one after another never exceed 1.
actor RefillGate {
    let expected: Int
    private var waiting = 0
    private(set) var mostWaitingTogether = 0
    private var released = false

    init(expected: Int) { self.expected = expected }

    private(set) var limits: [Int] = []

    func arrive(limit: Int) async {
        limits.append(limit)
        waiting += 1
        mostWaitingTogether = max(mostWaitingTogether, waiting)
        if waiting >= expected { released = true }
        let deadline = ContinuousClock.now.advanced(by: .seconds(5))
        while !released, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
        waiting -= 1
    }
}

/// Test double: `FakePodListSource` whose refills pass through a `RefillGate`.
struct GatedRefillSource: CrossPodListSource {
    let inner: FakePodListSource
    let gate: RefillGate

    func fetch(pod: Pod, limit: Int, marker: String?, sortKeys: [SortKey]) async throws -> [[String: JSONValue]] {
        if marker != nil { await gate.arrive(limit: limit) }
        return try await inner.fetch(pod: pod, limit: limit, marker: marker, sortKeys: sortKeys)
    }

    func id(of item: [String: JSONValue]) -> String { inner.id(of: item) }
    func bottomID(of item: [String: JSONValue]) -> String { inner.bottomID(of: item) }
    func sortValue(of item: [String: JSONValue], field: String) -> JSONValue? { inner.sortValue(of: item, field: field) }
    func locate(marker: String) async throws -> (pod: Pod, item: [String: JSONValue])? { try await inner.locate(marker: marker) }
}
