import Foundation
import OpenStackModels
import TricircleStore

/// Central IP and MAC allocation: the top is the one place addresses are handed out, so every pod's copy
/// of a port carries the same MAC and IPs. Safe under concurrency in one or many processes: addresses are
/// rows keyed by (subnet, address), a lost race is a unique violation, and the allocator picks again.
struct PortAllocator: Sendable {
    let service: NetworkService
    /// How many free addresses a scan of a nearly full pool chooses among at random, so concurrent
    /// allocators rarely collide.
    static let spread = 32
    /// How many random pool addresses one probe checks (one indexed lookup); when all are taken the pool is
    /// nearly full and the allocator scans it instead.
    static let probes = 8
    static let attempts = 40

    /// One requested address: a subnet to allocate from, a fixed address, or both.
    struct Request: Sendable {
        var subnet: Subnet
        var plan: SubnetAddressing
        /// nil: pick a free one from the pools.
        var address: String?
    }

    /// Resolves `fixed_ips` of a create or update against the network's subnets; nil `requested` means
    /// Neutron's default (one IPv4 address, plus one per IPv6 subnet).
    func resolve(_ requested: [FixedIP]?, networkID: String, subnets: [Subnet]) throws -> [Request] {
        let plans = subnets.compactMap { subnet in SubnetAddressing(subnet).map { (subnet, $0) } }
        guard let requested else {
            var out: [Request] = []
            if let v4 = plans.first(where: { $0.0.ipVersion == 4 && !$0.1.pools.isEmpty }) { out.append(Request(subnet: v4.0, plan: v4.1)) }
            for v6 in plans where v6.0.ipVersion == 6 { out.append(Request(subnet: v6.0, plan: v6.1)) }
            return out
        }
        var out: [Request] = []
        for fixed in requested {
            if let subnetID = fixed.subnetID {
                guard let (subnet, plan) = plans.first(where: { $0.0.id == subnetID }) else {
                    throw NeutronError.invalidInput(
                        "Failed to create port on network \(networkID), because fixed_ips included invalid subnet \(subnetID)")
                }
                if let text = fixed.ipAddress {
                    guard let address = IPAddress(text), plan.cidr.contains(address), plan.isUsable(address.value) else {
                        throw NeutronError.invalidIPForSubnet(text)
                    }
                    out.append(Request(subnet: subnet, plan: plan, address: address.description))
                } else {
                    out.append(Request(subnet: subnet, plan: plan))
                }
            } else if let text = fixed.ipAddress {
                guard let address = IPAddress(text),
                      let (subnet, plan) = plans.first(where: { $0.1.cidr.contains(address) && $0.1.isUsable(address.value) })
                else { throw NeutronError.invalidIPForNetwork(text) }
                out.append(Request(subnet: subnet, plan: plan, address: address.description))
            } else {
                throw NeutronError.invalidInput("Invalid fixed_ips: an entry needs a subnet_id or an ip_address")
            }
        }
        return out
    }

    /// Writes `port` with the addresses `requests` ask for (filled into its `fixed_ips`), retrying lost
    /// races; `macRequested` false lets a MAC collision pick a new MAC. `replacing`: the port's revision
    /// when this is an update of an existing port.
    func write(_ port: NeutronPort, requests: [Request], macRequested: Bool, deviceID: String, replacing revision: Int? = nil) async throws -> (NeutronPort, NetworkDocument) {
        var port = port
        for _ in 0..<Self.attempts {
            var allocations: [IPAllocation] = []
            var explicit: Set<IPAllocation> = []
            var fixed: [FixedIP] = []
            var named: [String: Set<String>] = [:]
            for request in requests { if let wanted = request.address { named[request.subnet.id, default: []].insert(wanted) } }
            for request in requests {
                let address: String
                if let wanted = request.address {
                    address = wanted
                    explicit.insert(IPAllocation(subnetID: request.subnet.id, ipAddress: wanted, networkID: port.networkID, portID: port.id))
                } else if request.subnet.ipv6AddressMode == "slaac" || request.subnet.ipv6AddressMode == "dhcpv6-stateless",
                          let eui = MACAddress.eui64(port.macAddress) {
                    address = request.plan.text(request.plan.cidr.first | eui)
                } else {
                    // Addresses this write already holds or names in the subnet are not candidates.
                    let chosen = Set(allocations.filter { $0.subnetID == request.subnet.id }.map(\.ipAddress))
                        .union(named[request.subnet.id] ?? [])
                    address = try await pick(request, portID: port.id, networkID: port.networkID, excluding: chosen, updating: revision != nil)
                }
                allocations.append(IPAllocation(subnetID: request.subnet.id, ipAddress: address, networkID: port.networkID, portID: port.id))
                fixed.append(FixedIP(subnetID: request.subnet.id, ipAddress: address))
            }
            port.fixedIPs = fixed
            let doc = NetworkDocument(
                id: port.id, projectID: port.projectID, parentID: port.networkID, deviceID: deviceID, name: port.name,
                uniqueKey: Self.macKey(network: port.networkID, mac: port.macAddress), revision: (revision ?? 0) + 1,
                body: try NetworkService.body(port), createdAt: port.createdAt, updatedAt: port.updatedAt)
            do {
                try await service.addresses.write(.ports, doc, allocations: allocations, requested: explicit, replacing: revision)
                return (port, doc)
            } catch AddressWriteError.addressTaken(let subnetID, let ip) {
                throw NeutronError.ipAddressAlreadyAllocated(ip: ip, subnet: subnetID)
            } catch AddressWriteError.uniqueKeyTaken {
                if macRequested { throw NeutronError.macAddressInUse(network: port.networkID, mac: port.macAddress) }
                port.macAddress = MACAddress.random()
            } catch AddressWriteError.raced {
                if revision != nil, try await service.documents.get(.ports, id: port.id)?.revision != revision {
                    throw NeutronError(status: 409, type: "Conflict", message: "Port \(port.id) was changed concurrently; try again.")
                }
                continue
            }
        }
        throw NeutronError.ipAddressGenerationFailure(network: port.networkID)
    }

    /// A free pool address of a subnet, without reading every taken one: a few random pool addresses are
    /// looked up at once and a free one is taken (the (subnet, address) key still decides a race at insert).
    /// Only when every probe is taken, i.e. the pool is nearly full or small, are the subnet's taken addresses
    /// read and scanned, which also tells an exhausted pool (409 IpAddressGenerationFailure).
    /// `updating`: the port's own current addresses count as free (an update replaces them).
    func pick(_ request: Request, portID: String, networkID: String, excluding chosen: Set<String>, updating: Bool) async throws -> String {
        let candidates = request.plan.randomCandidates(count: Self.probes).filter { !chosen.contains($0) }
        if !candidates.isEmpty {
            let held = try await service.addresses.holders(subnetID: request.subnet.id, among: candidates)
            if let free = candidates.first(where: { held[$0] == nil || (updating && held[$0] == portID) }) { return free }
        }
        var used = try await service.addresses.taken(subnetID: request.subnet.id)
        if updating { used.subtract(try await service.addresses.allocations(portID: portID).map(\.ipAddress)) }
        used.formUnion(chosen)
        guard let free = request.plan.freeCandidates(taken: used, count: Self.spread).randomElement() else {
            throw NeutronError.ipAddressGenerationFailure(network: networkID)
        }
        return free
    }

    static func macKey(network: String, mac: String) -> String { "mac:\(network):\(mac)" }
}
