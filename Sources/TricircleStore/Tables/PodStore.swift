import SQLKit
import TricircleCore

/// Reads and writes the `pods` table.
public struct PodStore: Sendable {
    let store: StateStore

    public init(store: StateStore) { self.store = store }

    /// Registers a pod. Throws `StoreError.conflict` for a duplicate region or a second top pod (empty AZ).
    public func create(regionName: String, azName: String, podAZName: String = "", dcName: String = "") async throws -> Pod {
        let now = Timestamp.now()
        let pod = Pod(
            podID: Identifier.make(), regionName: regionName, azName: azName, podAZName: podAZName,
            dcName: dcName, createdAt: now, updatedAt: now)
        do {
            try await store.transaction { db in
                // Checked inside the transaction for a clear message; the unique indexes still guard races.
                if try await db.raw("SELECT pod_id FROM pods WHERE region_name = \(bind: regionName)").first() != nil {
                    throw StoreError.conflict("Pod with region name \(regionName) already exists")
                }
                if azName.isEmpty, try await db.raw("SELECT pod_id FROM pods WHERE az_name = ''").first() != nil {
                    throw StoreError.conflict("Top pod already exists; only one pod may have an empty az_name")
                }
                try await db.raw("""
                    INSERT INTO pods (pod_id, region_name, az_name, pod_az_name, dc_name, created_at, updated_at)
                    VALUES (\(bind: pod.podID), \(bind: regionName), \(bind: azName), \(bind: podAZName),
                            \(bind: dcName), \(bind: now), \(bind: now))
                    """).run()
            }
        } catch let error as StoreError {
            throw error
        } catch where StateStore.isUniqueViolation(error) {
            throw StoreError.conflict("Pod with region name \(regionName) or a top pod already exists")
        }
        return pod
    }

    /// Every pod, top first, then by region name.
    public func list() async throws -> [Pod] {
        try await store.read { db in
            try await db.raw("SELECT * FROM pods ORDER BY az_name, region_name").all().map(Self.decode)
        }
    }

    public func get(_ podID: String) async throws -> Pod? {
        try await store.read { db in
            try await db.raw("SELECT * FROM pods WHERE pod_id = \(bind: podID)").first().map(Self.decode)
        }
    }

    public func get(regionName: String) async throws -> Pod? {
        try await store.read { db in
            try await db.raw("SELECT * FROM pods WHERE region_name = \(bind: regionName)").first().map(Self.decode)
        }
    }

    /// Deletes a pod. Throws `StoreError.conflict` while routings still point at it.
    public func delete(_ podID: String) async throws -> Bool {
        try await store.transaction { db in
            if let row = try await db.raw("SELECT COUNT(*) AS n FROM resource_routings WHERE pod_id = \(bind: podID)").first(),
               try row.decode(column: "n", as: Int.self) > 0 {
                throw StoreError.conflict("Pod \(podID) still holds resources; delete them first")
            }
            let existed = try await db.raw("SELECT pod_id FROM pods WHERE pod_id = \(bind: podID)").first() != nil
            try await db.raw("DELETE FROM pods WHERE pod_id = \(bind: podID)").run()
            return existed
        }
    }

    static func decode(_ row: any SQLRow) throws -> Pod {
        Pod(
            podID: try row.decode(column: "pod_id", as: String.self),
            regionName: try row.decode(column: "region_name", as: String.self),
            azName: try row.decode(column: "az_name", as: String.self),
            podAZName: try row.decode(column: "pod_az_name", as: String.self),
            dcName: try row.decode(column: "dc_name", as: String.self),
            createdAt: try row.decode(column: "created_at", as: String.self),
            updatedAt: try row.decode(column: "updated_at", as: String.self))
    }
}
