import Foundation
import SQLKit
import Synchronization
import Testing
import TricircleStore
import TricircleTestSupport

/// The state database's SQL stays within what SQLite, PostgreSQL and CockroachDB all accept, so the control
/// plane can move to a database spread over sites (issue 18). This reads every Swift file of the modules that
/// talk to the store and fails on a construct one of the three lacks; an exception must be named below with
/// its reason.
@Suite struct SQLSubsetTests {
    /// Constructs outside the shared subset, with the reason each is refused.
    static let forbidden: [(pattern: String, why: String)] = [
        ("pg_advisory", "advisory locks: CockroachDB has none; lock a row instead"),
        ("pg_try_advisory", "advisory locks: CockroachDB has none; lock a row instead"),
        ("BIGSERIAL", "serial ids: CockroachDB's differ (unique_rowid); use text ids"),
        (" SERIAL", "serial ids: CockroachDB's differ (unique_rowid); use text ids"),
        ("AUTOINCREMENT", "SQLite only"),
        ("INSERT OR REPLACE", "SQLite only: use INSERT ... ON CONFLICT"),
        ("INSERT OR IGNORE", "SQLite only: use INSERT ... ON CONFLICT DO NOTHING"),
        ("REPLACE INTO", "SQLite/MySQL only"),
        ("datetime(", "SQLite date functions: timestamps are text written by the code"),
        ("strftime(", "SQLite date functions: timestamps are text written by the code"),
        ("julianday(", "SQLite date functions: timestamps are text written by the code"),
        ("LOCK TABLE", "table locks: CockroachDB has none"),
        ("LISTEN ", "LISTEN/NOTIFY: CockroachDB has none"),
        ("NOTIFY ", "LISTEN/NOTIFY: CockroachDB has none"),
        (" GLOB ", "SQLite only"),
        ("ILIKE", "not in SQLite"),
        ("::", "PostgreSQL casts: use CAST(x AS type)"),
    ]

    /// Lines allowed to break a rule, by file suffix and text, with why.
    static let allowed: [(file: String, contains: String, why: String)] = [
        ("StateStore.swift", "PRAGMA", "SQLite's session settings, in the SQLite branch only"),
    ]

    static let modules = ["TricircleStore", "TricircleJobs", "TricircleGateway", "TricircleComputeAPI", "TricircleVolumeAPI",
                          "TricircleImageAPI", "TricircleNetworkAPI", "TricircleDatabaseAPI", "TricircleServer"]

    /// The lines of string literals that look like SQL in a Swift file (multi-line literals and one-line ones).
    static func sqlLines(of text: String) -> [(line: Int, text: String)] {
        var out: [(Int, String)] = []
        var inMultiline = false
        let keywords = ["SELECT ", "INSERT ", "UPDATE ", "DELETE ", "CREATE ", "ALTER ", "DROP ", " FROM ", " WHERE ", "LOCK ",
                        "LISTEN ", "NOTIFY ", "REPLACE INTO", "PRAGMA"]
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("//") || trimmed.hasPrefix("///") { continue }
            let quotes = line.components(separatedBy: "\"\"\"").count - 1
            if inMultiline || quotes > 0 {
                out.append((index + 1, String(line)))
            } else if line.contains("\""), keywords.contains(where: { line.uppercased().contains($0) }) {
                out.append((index + 1, String(line)))
            }
            if quotes % 2 == 1 { inMultiline.toggle() }
        }
        return out
    }

    static func sourcesRoot() -> URL {
        // Tests/TricircleStoreTests/SQLSubsetTests.swift -> the package root.
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources")
    }

    @Test("no SQL outside what SQLite, PostgreSQL and CockroachDB share, in every module that talks to the store")
    func sharedSubsetOnly() throws {
        var findings: [String] = []
        var scanned = 0
        for module in Self.modules {
            let dir = Self.sourcesRoot().appendingPathComponent(module)
            guard let files = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) else { continue }
            for case let url as URL in files where url.pathExtension == "swift" {
                let text = try String(contentsOf: url, encoding: .utf8)
                scanned += 1
                for (number, line) in Self.sqlLines(of: text) {
                    for rule in Self.forbidden where line.contains(rule.pattern) {
                        // "::" is also Swift's module qualifier and IPv6 text: only flag it beside SQL words.
                        if rule.pattern == "::", !(line.uppercased().contains("SELECT") || line.uppercased().contains("WHERE")) { continue }
                        if Self.allowed.contains(where: { url.path.hasSuffix($0.file) && line.contains($0.contains) }) { continue }
                        findings.append("\(module)/\(url.lastPathComponent):\(number): \(rule.why): \(line.trimmingCharacters(in: .whitespaces))")
                    }
                }
            }
        }
        #expect(scanned > 50, "found only \(scanned) Swift files under \(Self.sourcesRoot().path)")
        #expect(findings.isEmpty, "\(findings.joined(separator: "\n"))")
    }

    @Test("the check itself catches what it is for")
    func checkCatches() {
        let sample = #"""
            try await db.raw("SELECT pg_advisory_lock(42)").run()
            try await db.raw("""
                INSERT OR REPLACE INTO pods (pod_id) VALUES ('x')
                """).run()
            let note = "nothing here"
            """#
        let lines = Self.sqlLines(of: sample).map(\.text)
        #expect(lines.contains { $0.contains("pg_advisory_lock") })
        #expect(lines.contains { $0.contains("INSERT OR REPLACE") })
        #expect(!lines.contains { $0.contains("nothing here") })
    }
}

/// Transactions the database aborts to keep transactions apart run again instead of failing the request.
@Suite struct TransactionConflictTests {
    /// Opens once and stays open: the second attempt of a transaction passes straight through.
    final class Gate: Sendable {
        private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
        func open() {
            let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
                s.open = true
                defer { s.waiters = [] }
                return s.waiters
            }
            waiters.forEach { $0.resume() }
        }
        func wait() async {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.open { return true }
                    s.waiters.append(c)
                    return false
                }
                if now { c.resume() }
            }
        }
    }

    final class Attempts: Sendable {
        private let value = Mutex(0)
        func add() { value.withLock { $0 += 1 } }
        var count: Int { value.withLock { $0 } }
    }

    @Test("two transactions that deadlock both commit: PostgreSQL aborts one (40P01) and it runs again")
    func deadlockIsRetried() async throws {
        guard TestDatabases.backends.contains(.postgres) else { return }
        try await TestDatabases.withStore(.postgres) { store in
            try await store.read { db in
                try await db.raw("CREATE TABLE conflict_test (k TEXT PRIMARY KEY, v INTEGER NOT NULL)").run()
                try await db.raw("INSERT INTO conflict_test (k, v) VALUES ('a', 0), ('b', 0)").run()
            }
            let first = Gate(), second = Gate()
            let attempts = Attempts()
            // Each locks one row, waits until the other locked its row, then wants the other's: a deadlock.
            let crossing: @Sendable (String, String, Gate, Gate) async throws -> Void = { mine, theirs, locked, otherLocked in
                try await store.transaction { db in
                    attempts.add()
                    try await db.raw("UPDATE conflict_test SET v = v + 1 WHERE k = \(bind: mine)").run()
                    locked.open()
                    await otherLocked.wait()
                    try await db.raw("UPDATE conflict_test SET v = v + 1 WHERE k = \(bind: theirs)").run()
                }
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await crossing("a", "b", first, second) }
                group.addTask { try await crossing("b", "a", second, first) }
                try await group.waitForAll()
            }
            let values = try await store.read { db in
                try await db.raw("SELECT v FROM conflict_test ORDER BY k").all().map { try $0.decode(column: "v", as: Int.self) }
            }
            #expect(values == [2, 2], "both transactions' updates are in")
            #expect(attempts.count == 3, "one of the two ran twice")
        }
    }
}
