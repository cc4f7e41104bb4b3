import Testing
import TricircleCore
import TricircleStore
import TricircleTestSupport

@Suite("Flavor catalog")
struct FlavorStoreTests {
    static func seed(_ flavors: FlavorStore) async throws {
        for (id, name, ram, vcpus, disk) in [("1", "m1.tiny", 512, 1, 1), ("2", "m1.small", 2048, 1, 20), ("3", "m1.medium", 4096, 2, 40), ("4", "m1.large", 8192, 4, 80)] {
            try await flavors.create(CatalogFlavor(id: id, name: name, ram: ram, vcpus: vcpus, disk: disk))
        }
    }

    @Test("duplicate ids and names are conflicts naming which one; nothing extra is stored", arguments: TestDatabases.backends)
    func duplicates(backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { (store: StateStore) async throws in
            let flavors = FlavorStore(store: store)
            try await Self.seed(flavors)
            let error1 = await #expect(throws: StoreError.self) {
                try await flavors.create(CatalogFlavor(id: "1", name: "other", ram: 1, vcpus: 1, disk: 0))
            }
            #expect(error1?.description == "Flavor with ID 1 already exists.")
            let error2 = await #expect(throws: StoreError.self) {
                try await flavors.create(CatalogFlavor(id: "new", name: "m1.tiny", ram: 1, vcpus: 1, disk: 0))
            }
            #expect(error2?.description == "Flavor with name m1.tiny already exists.")
            #expect(try await flavors.list(FlavorQuery(visibility: .all)).count == 4)
        }
    }

    @Test("pages by any sort key without loss or repeat, in both directions", arguments: TestDatabases.backends)
    func paging(backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { (store: StateStore) async throws in
            let flavors = FlavorStore(store: store)
            try await Self.seed(flavors)
            // Two flavors with equal RAM: the id breaks the tie so paging stays stable.
            try await flavors.create(CatalogFlavor(id: "0", name: "twin", ram: 2048, vcpus: 2, disk: 1))
            for ascending in [true, false] {
                var seen: [String] = []
                var marker: String?
                repeat {
                    let page = try await flavors.list(FlavorQuery(visibility: .all, sortKey: .memoryMB, ascending: ascending, limit: 2, marker: marker))
                    seen += page.map(\.id)
                    marker = page.count == 2 ? page.last?.id : nil
                } while marker != nil
                let expected = ["1", "0", "2", "3", "4"]
                #expect(seen == (ascending ? expected : expected.reversed()))
            }
            await #expect(throws: StoreError.self) {
                try await flavors.list(FlavorQuery(visibility: .all, marker: "nope"))
            }
        }
    }

    @Test("private flavors are listed only for projects given access; min filters apply", arguments: TestDatabases.backends)
    func visibility(backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { (store: StateStore) async throws in
            let flavors = FlavorStore(store: store)
            try await Self.seed(flavors)
            try await flavors.create(CatalogFlavor(id: "p", name: "private'; --", ram: 100, vcpus: 1, disk: 0, isPublic: false))
            try await flavors.addAccess("p", projectID: "proj-a")
            await #expect(throws: StoreError.self) { try await flavors.addAccess("p", projectID: "proj-a") }
            #expect(try await flavors.list(FlavorQuery(visibility: .publicOrAccessible(projectID: "proj-a"))).map(\.id).contains("p"))
            #expect(!(try await flavors.list(FlavorQuery(visibility: .publicOrAccessible(projectID: "proj-b"))).map(\.id).contains("p")))
            #expect(try await flavors.list(FlavorQuery(visibility: .privateOnly)).map(\.id) == ["p"])
            #expect(try await flavors.list(FlavorQuery(visibility: .all, minRAM: 4096, minDisk: 50)).map(\.id) == ["4"])
            #expect(try await flavors.removeAccess("p", projectID: "proj-a"))
            #expect(try await flavors.removeAccess("p", projectID: "proj-a") == false)
        }
    }

    @Test("extra specs merge and delete; deleting a flavor removes its specs, access and mappings", arguments: TestDatabases.backends)
    func specsAndDelete(backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { (store: StateStore) async throws in
            let flavors = FlavorStore(store: store)
            let mappings = FlavorMappingStore(store: store)
            let pod = try await PodStore(store: store).create(regionName: "RegionOne", azName: "az1")
            try await Self.seed(flavors)
            try await flavors.setExtraSpecs("1", ["hw:cpu_policy": "dedicated", "a": "1"])
            try await flavors.setExtraSpecs("1", ["a": "2"])
            #expect(try await flavors.extraSpecs("1") == ["hw:cpu_policy": "dedicated", "a": "2"])
            #expect(try await flavors.deleteExtraSpec("1", key: "a"))
            #expect(try await flavors.deleteExtraSpec("1", key: "a") == false)
            await #expect(throws: StoreError.self) { try await flavors.setExtraSpecs("missing", ["a": "b"]) }
            try await mappings.put(topFlavorID: "1", podID: pod.podID, bottomFlavorID: "b1", pinned: false)
            #expect(try await flavors.delete("1"))
            #expect(try await flavors.delete("1") == false)
            #expect(try await flavors.extraSpecs("1").isEmpty)
            #expect(try await mappings.get(topFlavorID: "1", podID: pod.podID) == nil)
        }
    }

    @Test("the first-use import fills only an empty catalog", arguments: TestDatabases.backends)
    func importOnce(backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { (store: StateStore) async throws in
            let flavors = FlavorStore(store: store)
            #expect(try await flavors.isEmpty())
            let first = [CatalogFlavor(id: "1", name: "m1.tiny", ram: 512, vcpus: 1, disk: 1)]
            #expect(try await flavors.importIfEmpty(first, extraSpecs: ["1": ["k": "v"]]))
            #expect(try await flavors.importIfEmpty([CatalogFlavor(id: "9", name: "x", ram: 1, vcpus: 1, disk: 1)]) == false)
            #expect(try await flavors.list(FlavorQuery(visibility: .all)).map(\.id) == ["1"])
            #expect(try await flavors.extraSpecs("1") == ["k": "v"])
        }
    }

    @Test("an automatic mapping never replaces a pinned one; a pinned write does", arguments: TestDatabases.backends)
    func pinnedMappings(backend: StoreBackend) async throws {
        try await TestDatabases.withStore(backend) { (store: StateStore) async throws in
            let mappings = FlavorMappingStore(store: store)
            let pod = try await PodStore(store: store).create(regionName: "RegionOne", azName: "az1")
            try await mappings.put(topFlavorID: "t", podID: pod.podID, bottomFlavorID: "auto1", pinned: false)
            #expect(try await mappings.put(topFlavorID: "t", podID: pod.podID, bottomFlavorID: "auto2", pinned: false).bottomFlavorID == "auto2")
            let pinned = try await mappings.put(topFlavorID: "t", podID: pod.podID, bottomFlavorID: "admin", pinned: true)
            #expect(pinned.pinned)
            #expect(try await mappings.put(topFlavorID: "t", podID: pod.podID, bottomFlavorID: "auto3", pinned: false).bottomFlavorID == "admin")
            #expect(try await mappings.list(limit: 10).count == 1)
            #expect(try await mappings.delete(id: pinned.id))
            #expect(try await mappings.get(topFlavorID: "t", podID: pod.podID) == nil)
        }
    }
}
