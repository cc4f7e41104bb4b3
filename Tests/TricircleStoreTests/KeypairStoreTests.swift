import Testing
import TricircleCore
import TricircleStore
import TricircleTestSupport

@Suite("Key pairs at the top")
struct KeypairStoreTests {
    @Test("names are unique per user, not across users; lists page by name", arguments: TestDatabases.backends)
    func perUser(backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { (store: StateStore) async throws in
            let keys = KeypairStore(store: store)
            for name in ["c", "a", "b"] {
                try await keys.create(userID: "u1", name: name, type: "ssh", publicKey: "ssh-ed25519 AAAA \(name)", fingerprint: "f")
            }
            try await keys.create(userID: "u2", name: "a", type: "ssh", publicKey: "k", fingerprint: "f")
            let error1 = await #expect(throws: StoreError.self) {
                try await keys.create(userID: "u1", name: "a", type: "ssh", publicKey: "k", fingerprint: "f")
            }
            #expect(error1?.description == "Key pair 'a' already exists.")
            #expect(try await keys.list(userID: "u1", limit: 2).map(\.name) == ["a", "b"])
            #expect(try await keys.list(userID: "u1", limit: 2, marker: "b").map(\.name) == ["c"])
            await #expect(throws: StoreError.self) { try await keys.list(userID: "u1", limit: 2, marker: "zz") }
            #expect(try await keys.count(userID: "u1") == 3)
            #expect(try await keys.get(userID: "u2", name: "a")?.publicKey == "k")
            #expect(try await keys.delete(userID: "u1", name: "a"))
            #expect(try await keys.delete(userID: "u1", name: "a") == false)
            #expect(try await keys.get(userID: "u2", name: "a") != nil)
        }
    }
}
