import Foundation
import Logging
import OpenStackModels
import TricircleCore
import TricircleGateway
import TricircleStore

// How far a network may stretch, by type: `local` stays in the first region that holds it; `vlan` and
// `flat` must carry the top's segment in every pod (the fabric joins them, so a pod on another segment is
// cut off); `vxlan` joins pods through shadow ports.
extension PodCopies {
    /// A boot of a `local` network in a second region is refused, naming the region that holds it.
    func checkLocal(_ network: Network, _ pod: Pod) async throws {
        guard network.providerNetworkType == "local" else { return }
        let rows = try await routing.routings.lookup(topID: network.id, resourceType: .network, projectID: nil)
        // The first pod to take the network's create-lock holds it (concurrent first boots agree on it).
        guard let holder = rows.min(by: { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }), holder.podID != pod.podID else { return }
        let region = try await podDirectory.pod(id: holder.podID)?.regionName ?? holder.podID
        logger.warning("refused to stretch a local network into a second region",
                       metadata: ["network": "\(network.id)", "holder": "\(region)", "region": "\(pod.regionName)"])
        throw NeutronError.httpBadRequest(
            "Network \(network.id) is a local network held by region \(region); it cannot be used in region \(pod.regionName).")
    }

    /// Pods other than `pod` holding a copy of the network (complete rows).
    func otherHolders(of networkID: String, than pod: Pod) async throws -> [(Pod, String)] {
        var out: [(Pod, String)] = []
        for row in try await routing.routings.lookup(topID: networkID, resourceType: .network, projectID: nil)
        where row.podID != pod.podID {
            guard let bottom = row.bottomID, let other = try await podDirectory.pod(id: row.podID) else { continue }
            out.append((other, bottom))
        }
        return out
    }

    /// A `vlan`/`flat` network joining a pod where others already hold it: every copy must be on the top's
    /// segment. A copy made with a region's own segment (its policy refused the top's) cuts it off.
    func checkSegmentOfOthers(_ network: Network, joining pod: Pod) async throws {
        for (other, bottom) in try await otherHolders(of: network.id, than: pod) {
            let answer = try await pods.call("GET", "/networks/\(bottom)", in: other)
            guard let copy = answer["network"] else { continue }
            // A region that hides provider attributes from the gateway cannot be checked: it counts as on the segment.
            guard let type = copy["provider:network_type"]?.stringValue else { continue }
            let segment = copy["provider:segmentation_id"]?.intValue
            let physnet = copy["provider:physical_network"]?.stringValue
            if type != network.providerNetworkType || segment != network.providerSegmentationID || physnet != network.providerPhysicalNetwork {
                throw segmentError(network, pod,
                                   reason: "its copy in region \(other.regionName) is on \(type) \(physnet ?? "-")/\(segment.map(String.init) ?? "-"), not the top's segment")
            }
        }
    }

    /// The client's answer (a 409 Nova fault naming the region) when a pod cannot join a network's segment; logged.
    func segmentError(_ network: Network, _ pod: Pod, reason: String) -> NeutronError {
        let segment = "\(network.providerNetworkType ?? "") \(network.providerPhysicalNetwork ?? "-")/\(network.providerSegmentationID.map(String.init) ?? "-")"
        logger.error("a region cannot join a stretched network's segment",
                     metadata: ["network": "\(network.id)", "region": "\(pod.regionName)", "segment": "\(segment)", "reason": "\(reason)"])
        return NeutronError(status: 409, type: "SegmentUnavailable",
                            message: "Region \(pod.regionName) cannot join network \(network.id) on segment \(segment): \(reason).")
    }
}
