import Foundation

// What an update body changes in a stored resource, written once for the top's Neutron and the simulated
// one. Only the attributes either side copies as sent are here; policy checks, validation and attributes
// with side effects (addresses, MAC, security groups, binding host) stay with each side's own rules.

extension NetworkUpdate {
    /// Copies the attributes the body carries into `network` (standard attributes are the caller's to bump).
    public func apply(to network: inout Network) {
        if let v = name { network.name = v }
        if let v = description { network.description = v }
        if let v = adminStateUp { network.adminStateUp = v }
        if let v = shared { network.shared = v }
        if let v = routerExternal { network.routerExternal = v }
        if let v = mtu { network.mtu = v }
        if let v = portSecurityEnabled { network.portSecurityEnabled = v }
        if qosPolicyID.isPresent { network.qosPolicyID = qosPolicyID.value }
        if let v = isDefault { network.isDefault = v }
    }
}

extension PortUpdate {
    /// Copies the plain attributes the body carries into `port`: names, admin state, device, DHCP options,
    /// binding profile and VNIC type, QoS policy. The rest needs each side's checks.
    public func applyPlainAttributes(to port: inout NeutronPort) {
        if let v = name { port.name = v }
        if let v = description { port.description = v }
        if let v = adminStateUp { port.adminStateUp = v }
        if let v = deviceID { port.deviceID = v }
        if let v = deviceOwner { port.deviceOwner = v }
        if let v = extraDHCPOpts { port.extraDHCPOpts = v }
        if let v = bindingProfile { port.bindingProfile = v }
        if let v = bindingVnicType { port.bindingVnicType = v }
        if qosPolicyID.isPresent { port.qosPolicyID = qosPolicyID.value }
    }
}
