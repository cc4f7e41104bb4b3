import Foundation

extension NetworkCreate {
    /// Neutron's default policy for a network create: only an admin may give a provider segment, make the
    /// network external or share it. Shared by the top's Neutron and the simulated one.
    public func checkAdminOnlyAttributes(isAdmin: Bool) throws {
        guard !isAdmin else { return }
        if providerNetworkType != nil || providerPhysicalNetwork != nil || providerSegmentationID != nil {
            throw NeutronError.policyNotAuthorized("rule:create_network and rule:create_network:provider:network_type")
        }
        if routerExternal == true {
            throw NeutronError.policyNotAuthorized("rule:create_network and rule:create_network:router:external")
        }
        if shared == true {
            throw NeutronError.policyNotAuthorized("rule:create_network and rule:create_network:shared")
        }
    }
}
