import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleJobs
import TricircleStore

/// `GET/PUT/DELETE /servers/{id}`: routed to the server's pod by the routing table.
struct ServerRoutes: APIRoutes {
    let calls: ComputePodCalls

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("servers/:id", use: show)
        group.put("servers/:id", use: show)
        group.delete("servers/:id", use: delete)
    }

    /// Show and update: the server's id is the same at the top and in its pod; the view's image is
    /// given back its top id.
    func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let caller = try context.requireCaller()
        let pod = try await calls.owningPod(serverID: id, caller: caller)
        let credentials = caller.credentials(requestID: context.requestID)
        let version = try await calls.microversions.negotiate(request, credentials: credentials)
        let body = request.method == .put ? try await ComputePodCalls.body(request) : nil
        var response = try await calls.call(
            request.method.rawValue, "/servers/\(id)", pod: pod, version: version, credentials: credentials, body: body)
        // Only the fields that decide anything are read; the view is decoded whole, changed and encoded
        // again (once) only when something in it must change, else relay rewrites its links on the bytes.
        let glance = response.isSuccess ? ServerGlance.read(response) : nil
        // The pod no longer has it (a delete finished): the top forgets it too. Real Nova answers a
        // server whose delete has finished but whose row is not yet gone with status DELETED (what
        // `openstack server delete --wait` stops at), so that counts as gone as well.
        if request.method == .get, response.status == 404 || glance?.status == "DELETED" {
            await forget(id, pod: pod, context: PodCallContext(caller: caller, requestID: context.requestID))
        }
        guard let glance else { return ComputePodCalls.relay(response, request: request) }
        if !glance.attachedVolumeIDs.isEmpty {
            await calls.adoptVolumes(glance.attachedVolumeIDs, serverID: id, pod: pod)
        }
        let translate = await calls.views.needsTranslation(glance, pod: pod)
        guard translate || !glance.serverGroups.isEmpty,
              var server = (try? JSONValue(data: response.data))?["server"]?.objectValue
        else { return ComputePodCalls.relay(response, request: request) }
        // From 2.71 the view names its group: the pod's, which stands in for the top's.
        if let first = glance.serverGroups.first {
            let store = ServerGroupStore(store: calls.runtime.store)
            var tops: [JSONValue] = []
            for bottom in glance.serverGroups {
                tops.append(.string((try? await store.topGroup(bottomID: bottom, podID: pod.podID)).flatMap { $0 } ?? bottom))
            }
            server["server_groups"] = .array(tops)
            // From 2.100 the hints the pod was given show too (each a list): their group is the pod's as well.
            if let hints = server["scheduler_hints"]?.objectValue, hints["group"]?.arrayValue?.first == .string(first), let top = tops.first {
                server["scheduler_hints"] = JSONValue.object(hints).setting("group", [top])
            }
        }
        // A copied image, a top network or the pod's AZ name (the pod's links are rewritten on the bytes by `relay`).
        if translate {
            server = await calls.views.translate([server], pod: pod, root: ComputePodCalls.gatewayRoot(request)).first ?? server
        }
        response.body = ByteBuffer(data: JSONValue.object(["server": .object(server)]).encoded())
        return ComputePodCalls.relay(response, request: request)
    }

    /// Deletes in the pod. Nova deletes asynchronously (the server stays visible as `deleting` for a
    /// while), so the routing row is forgotten once the pod says the server is gone: a 404 to this delete,
    /// to a check right after it, or else to the `server_delete_confirm` job this queues (or to a later show,
    /// what `openstack server delete --wait` polls, whichever comes first).
    func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let caller = try context.requireCaller()
        let pod = try await calls.owningPod(serverID: id, caller: caller)
        let credentials = caller.credentials(requestID: context.requestID)
        let version = try await calls.microversions.negotiate(request, credentials: credentials)
        let podContext = PodCallContext(caller: caller, requestID: context.requestID)
        // The pod unbinds the server's ports as it deletes it: which top ports they are is noted first.
        if let network = calls.provisioners.network { await network.serverDeleting(serverID: id, in: pod, context: podContext) }
        let response = try await calls.call("DELETE", "/servers/\(id)", pod: pod, version: version, credentials: credentials)
        if response.status == 404 {
            await forget(id, pod: pod, context: podContext)
        } else if response.isSuccess {
            let check = try? await calls.call("GET", "/servers/\(id)", pod: pod, version: version, credentials: credentials)
            if check?.status == 404 {
                await forget(id, pod: pod, context: podContext)
            } else {
                await confirmLater(id, pod: pod, projectID: caller.projectID)
            }
        }
        return ComputePodCalls.relay(response, request: request)
    }

    /// Forgets a server the pod no longer has, and releases the top ports its boot made (never throws:
    /// the client's request has succeeded whatever this does).
    func forget(_ id: String, pod: Pod, context: PodCallContext) async {
        await calls.goneServers.forget(id, in: pod, context: context)
    }

    /// Queues the job that forgets the server once its pod has finished deleting it, so its row and boot
    /// ports do not wait for a show that may never come (never throws: the audit remains the safety net).
    func confirmLater(_ id: String, pod: Pod, projectID: String) async {
        do {
            try await calls.jobs.submit(
                ServerDeleteConfirmJob.self, projectID: projectID, payload: ServerDeleteConfirmJob.Payload(podID: pod.podID, serverID: id))
        } catch {
            calls.logger.warning("could not queue a deleted server's confirmation; a later show or the audit forgets it",
                                 metadata: ["server": "\(id)", "error": "\(error)"])
        }
    }
}
