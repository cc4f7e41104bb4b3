import Foundation
import OpenStackModels

extension RegionStore {
    /// The id of the `index`th server `seedServers(deterministicIDs: true)` makes in `region`: a process that
    /// did not seed (a benchmark writing the gateway's routing rows for `tricircle sim --seed-servers`) knows it.
    public static func seededServerID(region: String, index: Int) -> String {
        SeedID.uuid("\(region)/seed-server/\(index)")
    }

    /// Adds `count` ACTIVE servers to a project without going through HTTP (for scale runs);
    /// returns their ids in creation order. Creation times are spread one millisecond apart.
    @discardableResult
    public func seedServers(
        count: Int, projectID: String, userID: String, availabilityZone: String, flavorID: String = "1",
        namePrefix: String = "seed", now: Date = Date(), deterministicIDs: Bool = false
    ) -> [String] {
        let image = seededImageID
        let host = "\(regionName.lowercased())-compute-1"
        return compute.withLock { state in
            var ids: [String] = []
            ids.reserveCapacity(count)
            let start = now.addingTimeInterval(-Double(count) / 1000)
            for index in 0..<count {
                let id = deterministicIDs ? Self.seededServerID(region: regionName, index: index) : newUUID()
                let created = start.addingTimeInterval(Double(index) / 1000)
                let address = state.allocateAddress()
                let record = ServerRecord(
                    id: id, name: "\(namePrefix)-\(index)", projectID: projectID, userID: userID, created: created,
                    updated: created, launchedAt: created, imageRef: image, flavorID: flavorID, vmState: "active",
                    taskState: nil, powerState: 1, pending: nil, metadata: [:], tags: [], keyName: nil, userData: nil,
                    description: nil, hostname: "\(namePrefix)-\(index)", accessIPv4: "", accessIPv6: "",
                    // Seeded servers carry a cached address only: no port is made in Neutron for them.
                    ports: [ServerPortRecord(
                        network: "private", networkID: SeedID.uuid("\(regionName)/network/private"), portID: newUUID(),
                        mac: address.mac,
                        fixedIPs: [FixedIP(subnetID: SeedID.uuid("\(regionName)/subnet/private"), ipAddress: address.ip)])],
                    securityGroups: ["default"], configDrive: "", diskConfig: "MANUAL", reservationID: "r-seed",
                    launchIndex: 0, host: host, availabilityZone: availabilityZone, adminPass: "", request: [:])
                state.servers[id] = record
                state.order.append(id)
                ids.append(id)
            }
            return ids
        }
    }
}
