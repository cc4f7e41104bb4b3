import Foundation
import OpenStackModels

/// What a boot's `networks` asks for, after Nova's schema checks.
enum BootNetworks: Sendable {
    /// `"none"` (2.37+): no port at all.
    case none
    /// `"auto"` (2.37+) or no `networks` (before 2.37): the one network available to the project.
    case auto
    /// Explicit networks and ports, in order.
    case list([RequestedNIC])
}

/// One item of a boot's `networks` list (or of an interface attach).
struct RequestedNIC: Sendable {
    var networkID: String?
    var portID: String?
    var fixedIP: String?
    var tag: String?
}

/// A NIC resolved against the region's Neutron, ready to be plugged.
enum PlannedNIC: Sendable {
    /// Nova creates a port on this network (deleted with the server).
    case create(networkID: String, fixedIP: String?, tag: String?)
    /// Nova binds the port the user made (unbound, not deleted, with the server).
    case bind(portID: String, tag: String?)
}

// Nova's networking against the region's simulated Neutron: the same checks Nova's API makes before it
// accepts a boot (unknown network or port 400, port in use 409, ambiguous networks 409), ports created
// with device_id = server and device_owner compute:<az>, bound to the host, unbound or deleted on delete.
extension ComputeAPI {
    /// The region's Neutron state (its lock is never held together with the compute lock).
    private var neutron: NeutronStore { store.networking.store }

    private func neutronCaller(_ call: ComputeCall) -> NeutronCaller {
        NeutronCaller(projectID: call.token.projectID, isAdmin: call.isAdmin)
    }

    /// Parses `networks` with Nova's schema rules for the call's microversion.
    func parseBootNetworks(_ value: JSONValue?, call: ComputeCall, maxCount: Int) throws -> BootNetworks {
        func invalid(_ reason: String) -> SimulatorError {
            SimulatorError.badRequest("Invalid input for field/attribute networks. Value: \(value ?? .null). \(reason)")
        }
        switch value {
        case nil, .null?:
            return .auto
        case .string(let word)?:
            guard call.atLeast(2, 37) else { throw invalid("'\(word)' is not of type 'array'") }
            switch word {
            case "none": return .none
            case "auto": return .auto
            default: throw invalid("'\(word)' is not one of ['none', 'auto']")
            }
        case .array(let items)?:
            var out: [RequestedNIC] = []
            for item in items {
                guard let object = item.objectValue else { throw invalid("\(item) is not of type 'object'") }
                let nic = RequestedNIC(
                    networkID: object["uuid"]?.stringValue, portID: object["port"]?.stringValue,
                    fixedIP: object["fixed_ip"]?.stringValue, tag: call.atLeast(2, 32) ? object["tag"]?.stringValue : nil)
                if object["tag"] != nil, !call.atLeast(2, 32) {
                    throw invalid("Additional properties are not allowed ('tag' was unexpected)")
                }
                if let ip = nic.fixedIP, IPAddress(ip) == nil {
                    throw SimulatorError.badRequest("Invalid input for field/attribute fixed_ip. Value: \(ip). '\(ip)' is not a 'ip-address'")
                }
                if nic.portID == nil, nic.networkID == nil {
                    throw SimulatorError.badRequest("Bad networks format: network uuid is not in proper format ()")
                }
                if nic.portID != nil, maxCount > 1 {
                    throw SimulatorError.badRequest(
                        "Unable to launch multiple instances with a single configured port ID. Please launch your instance one by one with different ports.")
                }
                out.append(nic)
            }
            if call.atLeast(2, 37), items.isEmpty { throw invalid("[] is too short") }
            return .list(out)
        default:
            throw invalid("\(value ?? .null) is not of type 'array'")
        }
    }

    /// Networks Nova offers a boot that names none: the project's own (not shared) plus the shared ones.
    private func availableNetworks(_ state: NeutronState, project: String) -> [Network] {
        state.networks.values
            .filter { ($0.projectID == project && !$0.shared) || $0.shared }
            .sorted { (state.order[$0.id] ?? 0) < (state.order[$1.id] ?? 0) }
    }

    /// Resolves a boot's networks without changing anything, answering as Nova's API does.
    func planNICs(_ request: BootNetworks, call: ComputeCall, attach: Bool = false) throws -> [PlannedNIC] {
        let caller = neutronCaller(call)
        return try neutron.state.withLock { state -> [PlannedNIC] in
            let nics: [RequestedNIC]
            switch request {
            case .none:
                return []
            case .auto:
                let networks = availableNetworks(state, project: call.token.projectID)
                if networks.count > 1 {
                    throw attach
                        ? SimulatorError.badRequest("Multiple possible networks found, use a Network ID to be more specific.")
                        : SimulatorError.conflict("Multiple possible networks found, use a Network ID to be more specific.")
                }
                guard let only = networks.first else {
                    if attach {
                        throw SimulatorError.badRequest(
                            "No specific network was requested and none are available for project '\(call.token.projectID)'.")
                    }
                    // No network at all: Nova boots without a NIC (auto-allocation of a topology is not simulated).
                    return []
                }
                nics = [RequestedNIC(networkID: only.id)]
            case .list(let list):
                nics = list
            }
            var out: [PlannedNIC] = []
            var seenPorts: Set<String> = []
            for nic in nics {
                if let portID = nic.portID {
                    guard let port = try? state.visiblePort(portID, caller) else {
                        throw attach
                            ? SimulatorError.notFound("Port \(portID) could not be found.")
                            : SimulatorError.badRequest("Port \(portID) could not be found.")
                    }
                    if !port.deviceID.isEmpty || seenPorts.contains(portID) {
                        throw SimulatorError.conflict("Port \(portID) is still in use.")
                    }
                    seenPorts.insert(portID)
                    out.append(.bind(portID: portID, tag: nic.tag))
                } else if let networkID = nic.networkID {
                    guard let network = try? state.visibleNetwork(networkID, caller) else {
                        throw attach
                            ? SimulatorError.notFound("Network \(networkID) could not be found.")
                            : SimulatorError.badRequest("Network \(networkID) could not be found.")
                    }
                    if network.subnets.isEmpty {
                        throw SimulatorError.badRequest("Network \(networkID) requires a subnet in order to boot instances on.")
                    }
                    out.append(.create(networkID: networkID, fixedIP: nic.fixedIP, tag: nic.tag))
                }
            }
            return out
        }
    }

    /// Plugs the planned NICs into one server: creates or binds the ports in Neutron. All or nothing.
    func plugPorts(
        _ plan: [PlannedNIC], serverID: String, host: String, securityGroups: [String], call: ComputeCall
    ) throws -> [ServerPortRecord] {
        guard !plan.isEmpty else { return [] }
        let caller = neutronCaller(call)
        // Nova binds ports with its own admin credentials.
        let nova = NeutronCaller(projectID: call.token.projectID, isAdmin: true)
        let owner = "compute:\(region.availabilityZone)"
        let now = call.now
        return try neutron.state.withLock { state -> [ServerPortRecord] in
            state.now = now
            // Undone by hand on failure: a snapshot of the state would copy every port table on each boot.
            var created: [String] = []
            var bound: [NeutronPort] = []
            do {
                let groups = try resolveSecurityGroups(securityGroups, state: &state, project: call.token.projectID)
                var records: [ServerPortRecord] = []
                for nic in plan {
                    switch nic {
                    case .create(let networkID, let fixedIP, let tag):
                        let port = try state.createPort(
                            PortCreate(networkID: networkID, fixedIPs: fixedIP.map { [FixedIP(ipAddress: $0)] },
                                       deviceID: serverID, deviceOwner: owner, securityGroups: groups),
                            caller)
                        created.append(port.id)
                        let bound = try state.updatePort(port.id, PortUpdate(bindingHostID: host), nova)
                        records.append(portRecord(bound, state: state, tag: tag, owned: true))
                    case .bind(let portID, let tag):
                        let existing = try state.visiblePort(portID, caller)
                        if !existing.deviceID.isEmpty { throw SimulatorError.conflict("Port \(portID) is still in use.") }
                        let port = try state.updatePort(
                            portID, PortUpdate(deviceID: serverID, deviceOwner: owner, bindingHostID: host), nova)
                        bound.append(existing)
                        records.append(portRecord(port, state: state, tag: tag, owned: false))
                    }
                }
                return records
            } catch {
                // Nothing half-made: the boot is refused and Neutron is as it was.
                for id in created { state.removePortRecord(id) }
                for old in bound {
                    _ = try? state.updatePort(
                        old.id, PortUpdate(deviceID: old.deviceID, deviceOwner: old.deviceOwner, bindingHostID: old.bindingHostID), nova)
                }
                throw Self.novaError(error)
            }
        }
    }

    /// Deletes the ports Nova made and unbinds the ones it was given (ports already gone are skipped).
    func unplugPorts(_ ports: [ServerPortRecord], serverID: String, call: ComputeCall) {
        guard !ports.isEmpty else { return }
        let nova = NeutronCaller(projectID: call.token.projectID, isAdmin: true)
        let now = call.now
        neutron.state.withLock { state in
            state.now = now
            for record in ports {
                guard let port = state.ports[record.portID], port.deviceID == serverID else { continue }
                if record.ownedByNova {
                    state.removePortRecord(port.id)
                } else {
                    _ = try? state.updatePort(
                        port.id, PortUpdate(deviceID: "", deviceOwner: "", bindingHostID: ""), nova)
                }
            }
        }
    }

    /// The live Neutron ports of a server's records (a port deleted in Neutron is no longer shown).
    func livePorts(_ records: [ServerPortRecord]) -> [(ServerPortRecord, NeutronPort)] {
        neutron.state.withLock { state in
            records.compactMap { record in state.ports[record.portID].map { (record, $0) } }
        }
    }

    /// Security group names or ids, as Nova resolves them for the ports it creates; nil = Neutron's default.
    private func resolveSecurityGroups(_ names: [String], state: inout NeutronState, project: String) throws -> [String]? {
        if names.isEmpty || names == ["default"] { return nil }
        var out: [String] = []
        for name in names {
            if name == "default" {
                out.append(state.ensureDefaultSecurityGroup(project))
                continue
            }
            if let group = state.securityGroups[name], group.projectID == project {
                out.append(group.id)
                continue
            }
            let matches = state.securityGroups.values.filter { $0.projectID == project && $0.name == name }
            guard matches.count <= 1 else {
                throw SimulatorError.conflict("Multiple security groups found matching '\(name)'. Use an ID to be more specific.")
            }
            guard let group = matches.first else {
                throw SimulatorError.badRequest("Security group \(name) not found for project \(project).")
            }
            out.append(group.id)
        }
        return out
    }

    /// Nova's cache entry for a Neutron port.
    private func portRecord(_ port: NeutronPort, state: NeutronState, tag: String?, owned: Bool) -> ServerPortRecord {
        ServerPortRecord(
            network: state.networks[port.networkID]?.name ?? port.networkID, networkID: port.networkID,
            portID: port.id, mac: port.macAddress, fixedIPs: port.fixedIPs, tag: tag, ownedByNova: owned)
    }

    /// A Neutron refusal while plugging, in Nova's terms (Nova's API answers 400, or 409 for ports in use).
    static func novaError(_ error: any Error) -> any Error {
        guard let neutron = error as? NeutronError else { return error }
        switch neutron.type {
        case "IpAddressAlreadyAllocated", "IpAddressInUse":
            return SimulatorError.badRequest("Fixed IP address is already in use: \(neutron.message)")
        case "PortInUse":
            return SimulatorError.conflict(neutron.message)
        default:
            return SimulatorError.badRequest(neutron.message)
        }
    }
}
