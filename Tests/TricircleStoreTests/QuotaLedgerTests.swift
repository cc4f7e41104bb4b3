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
}
