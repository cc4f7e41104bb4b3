import Foundation
import Hummingbird
import OpenStackModels

/// How one server action changes state: allowed vm_states, the task_state shown while it runs and
/// the vm_state/power_state it ends in (nil: immediate, handled by the action itself).
struct ServerActionRule: Sendable {
    var allowed: Set<String>
    var task: String?
    var target: (@Sendable (ServerRecord) -> ServerTarget)?
    /// Nova's name for the action in conflict messages ("Cannot 'stop' instance ...").
    var novaName: String
}

extension ComputeAPI {
    /// Nova's state machine for the actions this simulator answers, as data.
    static let actionRules: [String: ServerActionRule] = [
        "os-stop": .init(allowed: ["active", "rescued", "error"], task: "powering-off",
                         target: { _ in .init(vmState: "stopped", powerState: 4) }, novaName: "stop"),
        "os-start": .init(allowed: ["stopped"], task: "powering-on",
                          target: { _ in .init(vmState: "active", powerState: 1) }, novaName: "start"),
        "reboot": .init(allowed: ["active", "stopped", "paused", "suspended", "error"], task: "rebooting",
                        target: { _ in .init(vmState: "active", powerState: 1) }, novaName: "reboot"),
        "pause": .init(allowed: ["active"], task: "pausing",
                       target: { _ in .init(vmState: "paused", powerState: 3) }, novaName: "pause"),
        "unpause": .init(allowed: ["paused"], task: "unpausing",
                         target: { _ in .init(vmState: "active", powerState: 1) }, novaName: "unpause"),
        "suspend": .init(allowed: ["active"], task: "suspending",
                         target: { _ in .init(vmState: "suspended", powerState: 4) }, novaName: "suspend"),
        "resume": .init(allowed: ["suspended"], task: "resuming",
                        target: { _ in .init(vmState: "active", powerState: 1) }, novaName: "resume"),
        "resize": .init(allowed: ["active", "stopped"], task: "resize_prep",
                        target: { s in .init(vmState: "resized", powerState: s.powerState) }, novaName: "resize"),
        "confirmResize": .init(allowed: ["resized"], task: nil, target: nil, novaName: "confirmResize"),
        "revertResize": .init(allowed: ["resized"], task: "resize_reverting",
                              target: { s in .init(vmState: s.powerState == 4 ? "stopped" : "active", powerState: s.powerState, flavorID: s.oldFlavorID) },
                              novaName: "revertResize"),
        "rebuild": .init(allowed: ["active", "stopped", "error"], task: "rebuilding",
                         target: { s in .init(vmState: s.vmState, powerState: s.powerState) }, novaName: "rebuild"),
        "shelve": .init(allowed: ["active", "stopped", "paused", "suspended"], task: "shelving",
                        target: { _ in .init(vmState: "shelved_offloaded", powerState: 4) }, novaName: "shelve"),
        "shelveOffload": .init(allowed: ["shelved"], task: "shelving_offloading",
                               target: { _ in .init(vmState: "shelved_offloaded", powerState: 4) }, novaName: "shelveOffload"),
        "unshelve": .init(allowed: ["shelved", "shelved_offloaded"], task: "unshelving",
                          target: { _ in .init(vmState: "active", powerState: 1, launches: true) }, novaName: "unshelve"),
        "rescue": .init(allowed: ["active", "stopped", "error"], task: "rescuing",
                        target: { _ in .init(vmState: "rescued", powerState: 1) }, novaName: "rescue"),
        "unrescue": .init(allowed: ["rescued"], task: "unrescuing",
                          target: { _ in .init(vmState: "active", powerState: 1) }, novaName: "unrescue"),
        "createImage": .init(allowed: ["active", "stopped", "paused", "suspended", "shelved"], task: "image_snapshot",
                             target: { s in .init(vmState: s.vmState, powerState: s.powerState) }, novaName: "createImage"),
        "createBackup": .init(allowed: ["active", "stopped", "paused", "suspended"], task: "image_backup",
                              target: { s in .init(vmState: s.vmState, powerState: s.powerState) }, novaName: "createBackup"),
        "changePassword": .init(allowed: ["active"], task: nil, target: nil, novaName: "changePassword"),
        "os-getConsoleOutput": .init(allowed: ["active", "paused", "suspended", "rescued", "error", "building", "stopped", "resized"], task: nil, target: nil, novaName: "get_console_output"),
        "lock": .init(allowed: [], task: nil, target: nil, novaName: "lock"),
        "unlock": .init(allowed: [], task: nil, target: nil, novaName: "unlock"),
        "addSecurityGroup": .init(allowed: [], task: nil, target: nil, novaName: "addSecurityGroup"),
        "removeSecurityGroup": .init(allowed: [], task: nil, target: nil, novaName: "removeSecurityGroup"),
        "os-resetState": .init(allowed: [], task: nil, target: nil, novaName: "resetState"),
        "migrate": .init(allowed: ["active", "stopped"], task: nil, target: nil, novaName: "migrate"),
        "os-migrateLive": .init(allowed: ["active", "paused"], task: nil, target: nil, novaName: "live_migrate"),
        "trigger_crash_dump": .init(allowed: ["active", "paused", "rescued", "resized", "error"], task: nil, target: nil, novaName: "trigger_crash_dump"),
    ]

    /// Actions allowed on a locked server (for non-admins) and those that skip the task_state check.
    static let lockExempt: Set<String> = ["lock", "unlock", "os-getConsoleOutput", "addSecurityGroup", "removeSecurityGroup"]
    static let adminOnly: Set<String> = ["os-resetState", "migrate", "os-migrateLive"]

    func serverAction(_ call: ComputeCall) async throws -> Response {
        let id = try call.param("id")
        let body = try await SimHTTP.body(call.request, context: call.context, format: .fault)
        guard case .object(let object) = body, object.count == 1, let (name, args) = object.first else {
            throw SimulatorError.badRequest("Malformed request body")
        }
        if let console = try consoleAction(name, args, call: call) { return console }
        guard let rule = Self.actionRules[name] else {
            throw SimulatorError.badRequest("There is no such action: \(name)")
        }
        if Self.adminOnly.contains(name), !call.isAdmin {
            throw SimulatorError.forbidden("Policy doesn't allow os_compute_api:os-admin-actions:\(name) to be performed.")
        }
        // Validate arguments that need other state before taking the lock.
        var newFlavor: String?
        if name == "resize" {
            guard let ref = args["flavorRef"].flatMap({ $0.stringValue ?? $0.intValue.map(String.init) }) else {
                throw SimulatorError.badRequest("Invalid input for field/attribute resize. Value: \(args). 'flavorRef' is a required property")
            }
            newFlavor = ref
        }
        if name == "rebuild", args["imageRef"]?.stringValue == nil {
            throw SimulatorError.badRequest("Invalid input for field/attribute rebuild. Value: \(args). 'imageRef' is a required property")
        }
        if name == "createImage", args["name"]?.stringValue == nil {
            throw SimulatorError.badRequest("Invalid input for field/attribute createImage. Value: \(args). 'name' is a required property")
        }
        var rotation = 0
        if name == "createBackup" {
            for key in ["name", "backup_type", "rotation"] where args[key] == nil {
                throw SimulatorError.badRequest("Invalid input for field/attribute createBackup. Value: \(args). '\(key)' is a required property")
            }
            guard let count = args["rotation"]?.intValue ?? args["rotation"]?.stringValue.flatMap({ Int($0) }), count >= 0 else {
                throw SimulatorError.badRequest("Invalid input for field/attribute rotation. Value: \(args["rotation"] ?? .null). Value must be an integer >= 0")
            }
            rotation = count
        }
        if name == "reboot" {
            let type = args["type"]?.stringValue?.uppercased()
            guard type == "SOFT" || type == "HARD" else {
                throw SimulatorError.badRequest("Invalid input for field/attribute type. Value: \(args["type"] ?? .null). 'type' is a required property")
            }
        }
        let transition = self.transition
        // A reboot or rebuild takes seconds in a real cloud; clients poll for REBOOT/REBUILD to see it start.
        let duration = name == "reboot" || name == "rebuild" ? max(transition, region.restartSeconds(for: "compute")) : transition
        let (server, flavors) = try store.compute.withLock { state -> (ServerRecord, [String: FlavorRecord]) in
            var s = try findServer(id, call: call, in: state)
            if s.locked, !call.isAdmin, !Self.lockExempt.contains(name) {
                throw SimulatorError.conflict("Instance \(id) is locked")
            }
            if !rule.allowed.isEmpty {
                if !rule.allowed.contains(s.vmState) {
                    throw SimulatorError.conflict("Cannot '\(rule.novaName)' instance \(id) while it is in vm_state \(s.vmState)")
                }
                if let task = s.taskState, rule.novaName != "get_console_output" {
                    throw SimulatorError.conflict("Cannot '\(rule.novaName)' instance \(id) while it is in task_state \(task)")
                }
            }
            switch name {
            case "lock":
                s.locked = true
                if call.atLeast(2, 73) { s.lockedReason = args["locked_reason"]?.stringValue }
            case "unlock":
                s.locked = false
                s.lockedReason = nil
            case "confirmResize":
                s.vmState = s.powerState == 4 ? "stopped" : "active"
                s.oldFlavorID = nil
            case "resize":
                guard let ref = newFlavor, state.flavors[ref] != nil else {
                    throw SimulatorError.badRequest("Flavor \(newFlavor ?? "") could not be found.")
                }
                if ref == s.flavorID {
                    throw SimulatorError.badRequest("When resizing, instances must change flavor!")
                }
                s.oldFlavorID = s.flavorID
                s.flavorID = ref
            case "addSecurityGroup":
                if let group = args["name"]?.stringValue, !s.securityGroups.contains(group) { s.securityGroups.append(group) }
            case "removeSecurityGroup":
                guard let group = args["name"]?.stringValue, s.securityGroups.contains(group) else {
                    throw SimulatorError.notFound("Security group \(args["name"]?.stringValue ?? "") not in instance \(id)")
                }
                s.securityGroups.removeAll { $0 == group }
            case "os-resetState":
                let target = args["state"]?.stringValue ?? ""
                guard target == "active" || target == "error" else {
                    throw SimulatorError.badRequest("Invalid input for field/attribute state. Value: \(target). '\(target)' is not one of ['active', 'error']")
                }
                s.vmState = target
                s.taskState = nil
                s.pending = nil
            case "rebuild":
                if let image = args["imageRef"]?.stringValue { s.imageRef = image }
                if let name = args["name"]?.stringValue { s.name = name }
                if let metadata = args["metadata"]?.objectValue { s.metadata = metadata.compactMapValues { $0.stringValue } }
                if call.atLeast(2, 19), let description = args["description"] { s.description = description.stringValue }
                if call.atLeast(2, 54), let key = args["key_name"] {
                    // Nova checks the new key pair is the caller's, as a boot does.
                    if let name = key.stringValue, state.keypairs[call.token.userID]?[name] == nil {
                        throw SimulatorError.badRequest("Invalid key_name provided.")
                    }
                    s.keyName = key.stringValue
                }
                if call.atLeast(2, 57), let data = args["user_data"] { s.userData = data.stringValue }
            default:
                break
            }
            if let task = rule.task, let target = rule.target {
                s.taskState = name == "reboot" && args["type"]?.stringValue?.uppercased() == "HARD" ? "reboot_started_hard" : task
                s.pending = Pending(due: call.now.addingTimeInterval(duration), target: target(s))
            }
            s.updated = call.now
            state.servers[id] = s
            return (s.settled(at: call.now), state.flavors)
        }

        switch name {
        case "os-getConsoleOutput":
            let length = args["length"]?.intValue ?? args["length"]?.stringValue.flatMap { Int($0) }
            var lines = (0..<40).map { "[    \(String(format: "%.6f", Double($0) * 0.25))] simulated boot of \(server.name) line \($0)" }
            lines.append("login as 'cirros' user. default password: 'gocubsgo'. use 'sudo' for root.")
            if let length, length >= 0 { lines = Array(lines.suffix(length)) }
            return SimHTTP.json(["output": .string(lines.joined(separator: "\n") + "\n")])
        case "createImage":
            let imageID = newUUID()
            let imageName = args["name"]?.stringValue
            let metadata = args["metadata"]?.objectValue ?? [:]
            var object = ImageState.baseObject(
                id: imageID, name: imageName, owner: call.token.projectID, visibility: "private", created: call.now)
            object["image_type"] = "snapshot"
            object["instance_uuid"] = .string(server.id)
            object["base_image_ref"] = .string(server.imageRef)
            object["user_id"] = .string(call.token.userID)
            object["disk_format"] = "qcow2"
            object["container_format"] = "bare"
            object["min_disk"] = .int(flavors[server.flavorID]?.flavor.disk ?? 0)
            for (key, value) in metadata { object[key] = value }
            // Queued while Nova uploads the snapshot, then active with data, size and hashes.
            store.addServiceImage(
                id: imageID, object: object, data: RegionStore.serviceImageData(seed: "snapshot \(imageID) of server \(server.id)"),
                created: call.now, activeAt: call.now.addingTimeInterval(transition))
            if call.atLeast(2, 45) { return SimHTTP.json(["image_id": .string(imageID)], status: 202) }
            return SimHTTP.empty(status: 202, headers: [("Location", "\(call.base)/images/\(imageID)")])
        case "createBackup":
            // As Nova: a snapshot typed as a backup of this server, then the server's backups of that type
            // beyond the `rotation` newest deleted (Nova rotates once the upload ends; here at once).
            let imageID = newUUID()
            let backupType = args["backup_type"]?.stringValue ?? ""
            var object = ImageState.baseObject(
                id: imageID, name: args["name"]?.stringValue, owner: call.token.projectID, visibility: "private", created: call.now)
            object["image_type"] = "backup"
            object["backup_type"] = .string(backupType)
            object["instance_uuid"] = .string(server.id)
            object["base_image_ref"] = .string(server.imageRef)
            object["user_id"] = .string(call.token.userID)
            object["disk_format"] = "qcow2"
            object["container_format"] = "bare"
            for (key, value) in args["metadata"]?.objectValue ?? [:] { object[key] = value }
            store.addServiceImage(
                id: imageID, object: object, data: RegionStore.serviceImageData(seed: "backup \(imageID) of server \(server.id)"),
                created: call.now, activeAt: call.now.addingTimeInterval(transition))
            store.rotateBackups(serverID: server.id, backupType: backupType, keep: rotation)
            if call.atLeast(2, 45) { return SimHTTP.json(["image_id": .string(imageID)], status: 202) }
            return SimHTTP.empty(status: 202, headers: rotation > 0 ? [("Location", "\(call.base)/images/\(imageID)")] : [])
        case "rebuild":
            var rendered = render(server, call: call, flavors: flavors, withGroups: true)
            if case .object(var object) = rendered {
                object["adminPass"] = args["adminPass"] ?? .string(server.adminPass)
                rendered = .object(object)
            }
            return SimHTTP.json(["server": rendered], status: 202)
        case "rescue":
            return SimHTTP.json(["adminPass": args["adminPass"] ?? .string(server.adminPass)])
        case "confirmResize":
            return SimHTTP.empty(status: 204)
        default:
            return SimHTTP.empty(status: 202)
        }
    }
}
