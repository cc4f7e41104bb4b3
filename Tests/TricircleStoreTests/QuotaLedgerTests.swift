import Foundation
import Testing
import TricircleCore
import TricircleStore
import TricircleTestSupport

/// The quota ledger's check-and-reserve is exact across processes (two stores on one database).
@Suite("Quota ledger")
struct QuotaLedgerTests {
    @Test("20 concurrent reservations of one instance each over two connections pools with a limit of 5: exactly 5",
          arguments: TestDatabases.backends)
    func concurrentReservationsStayWithinTheLimit(backend: StoreBackend) async throws {
        let url = try await TestDatabases.makeURL(backend)
        let first = try await StateStore.open(url: url, maxPoolSize: 8)
        try await first.migrate()
        // SQLite serves one process through one connection: the second "process" shares it there.
        let second = backend == .postgres ? try await StateStore.open(url: url, maxPoolSize: 8) : first
        let ledgers = [QuotaLedger(store: first), QuotaLedger(store: second)]
        let decisions = try await withThrowingTaskGroup(of: QuotaDecision.self) { group in
            for i in 0..<20 {
                let ledger = ledgers[i % 2]
                group.addTask {
                    try await ledger.reserve(service: "compute", projectID: "p", perUnit: ["instances": 1], limits: ["instances": 5],
                                             ttl: 60, owner: "test-\(i % 2)")
                }
            }
            var out: [QuotaDecision] = []
            for try await decision in group { out.append(decision) }
            return out
        }
        let reserved = decisions.filter { if case .reserved = $0 { true } else { false } }
        #expect(reserved.count == 5)
        #expect(try await ledgers[0].reservationRows(projectID: "p") == 5)
        #expect(try await ledgers[0].counts(service: "compute", projectID: "p")["instances"] == QuotaCount(inUse: 0, reserved: 5))
        if backend == .postgres { try await second.close() }
        try await first.close()
    }

    @Test("a row written while its create holds the reservation takes its unit off in the same transaction: never counted twice",
          arguments: TestDatabases.backends)
    func rowsSettleTheirReservation(backend: StoreBackend) async throws {
        let store = try await StateStore.open(url: try await TestDatabases.makeURL(backend))
        try await store.migrate()
        let ledger = QuotaLedger(store: store)
        let rows = ["security_group": NetworkTable.securityGroups.rawValue]
        let decision = try await ledger.reserve(service: "network", projectID: "p", perUnit: ["security_group": 2], limits: ["security_group": 3],
                                                ttl: 60, owner: "test", countedRows: rows)
        guard case .reserved(let id, _) = decision else { Issue.record("not reserved: \(decision)"); return }
        let now = Timestamp.format(Date())
        let settling = RowSettledReservations(table: NetworkTable.securityGroups.rawValue, reservationByProject: ["p": id])
        try await RowSettledReservations.$current.withValue(settling) {
            try await NetworkDocumentStore(store: store).insert(.securityGroups, NetworkDocument(id: "sg-1", projectID: "p", body: "{}", createdAt: now, updatedAt: now))
        }
        // One made, one still to come: 1 in use + 1 reserved (was 1 + 2 while the request went on).
        #expect(try await ledger.counts(service: "network", projectID: "p", countedRows: rows)["security_group"] == QuotaCount(inUse: 1, reserved: 1))
        // Another project's row and a row written outside the create settle nothing.
        try await RowSettledReservations.$current.withValue(settling) {
            try await NetworkDocumentStore(store: store).insert(.securityGroups, NetworkDocument(id: "sg-2", projectID: "q", body: "{}", createdAt: now, updatedAt: now))
        }
        try await NetworkDocumentStore(store: store).insert(.securityGroups, NetworkDocument(id: "sg-3", projectID: "p", body: "{}", createdAt: now, updatedAt: now))
        #expect(try await ledger.counts(service: "network", projectID: "p", countedRows: rows)["security_group"] == QuotaCount(inUse: 2, reserved: 1))
        try await store.close()
    }
}
