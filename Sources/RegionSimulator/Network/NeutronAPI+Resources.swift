import Foundation
import Hummingbird
import OpenStackModels

extension NeutronAPI {
    func registerNetworks(on router: Router<BasicRequestContext>) {
        registerCollection(
            on: router, collection: "networks", member: "network",
            create: NetworkCreate.self, createAttributes: NetworkCreate.attributeNames,
            update: NetworkUpdate.self, updateAttributes: NetworkUpdate.attributeNames,
            notFound: NeutronError.networkNotFound,
            list: { state, caller, keep in
                var out: [(Network, UInt64)] = []
                for network in state.networks.values where state.canSee(network: network, caller) {
                    let shown = state.rendered(network)
                    if keep(shown) { out.append((shown, state.order[network.id] ?? 0)) }
                }
                return out
            },
            show: { state, id, caller in
                let made = try state.visibleNetwork(id, caller)
                return state.rendered(made)
            },
            doCreate: { state, body, caller in
                let made = try state.createNetwork(body, caller)
                return state.rendered(made)
            },
            doUpdate: { state, id, body, caller in
                let made = try state.updateNetwork(id, body, caller)
                return state.rendered(made)
            },
            doDelete: { state, id, caller in try state.deleteNetwork(id, caller) })
    }

    func registerSubnets(on router: Router<BasicRequestContext>) {
        registerCollection(
            on: router, collection: "subnets", member: "subnet",
            create: SubnetCreate.self, createAttributes: SubnetCreate.attributeNames,
            update: SubnetUpdate.self, updateAttributes: SubnetUpdate.attributeNames,
            notFound: NeutronError.subnetNotFound,
            list: { state, caller, keep in
                state.subnets.values.filter { state.canSee(subnet: $0, caller) && keep($0) }.map { ($0, state.order[$0.id] ?? 0) }
            },
            show: { state, id, caller in try state.visibleSubnet(id, caller) },
            doCreate: { state, body, caller in try state.createSubnet(body, caller) },
            doUpdate: { state, id, body, caller in try state.updateSubnet(id, body, caller) },
            doDelete: { state, id, caller in try state.deleteSubnet(id, caller) })
    }

    func registerPorts(on router: Router<BasicRequestContext>) {
        registerCollection(
            on: router, collection: "ports", member: "port",
            create: PortCreate.self, createAttributes: PortCreate.attributeNames,
            update: PortUpdate.self, updateAttributes: PortUpdate.attributeNames,
            notFound: NeutronError.portNotFound,
            list: { state, caller, keep in
                state.ports.values.filter { state.canSee(port: $0, caller) && keep($0) }.map { ($0, state.order[$0.id] ?? 0) }
            },
            show: { state, id, caller in try state.visiblePort(id, caller) },
            doCreate: { state, body, caller in try state.createPort(body, caller) },
            doUpdate: { state, id, body, caller in try state.updatePort(id, body, caller) },
            doDelete: { state, id, caller in try state.deletePort(id, caller) },
            extraFilter: { entry, key, values in
                // `fixed_ips=ip_address=10.0.0.3`, `fixed_ips=subnet_id=...`, `fixed_ips=ip_address_substr=...`.
                guard key == "fixed_ips" else { return nil }
                return values.contains { value in
                    let parts = value.split(separator: "=", maxSplits: 1).map(String.init)
                    guard parts.count == 2 else { return false }
                    return entry.item.fixedIPs.contains { fixed in
                        switch parts[0] {
                        case "ip_address": fixed.ipAddress == parts[1]
                        case "subnet_id": fixed.subnetID == parts[1]
                        case "ip_address_substr": fixed.ipAddress?.contains(parts[1]) ?? false
                        default: false
                        }
                    }
                }
            },
            extraFilterKeys: ["fixed_ips"])
    }

    func registerSecurityGroups(on router: Router<BasicRequestContext>) {
        registerCollection(
            on: router, collection: "security-groups", member: "security_group", plural: "security_groups",
            create: SecurityGroupCreate.self, createAttributes: SecurityGroupCreate.attributeNames,
            update: SecurityGroupUpdate.self, updateAttributes: ["name", "description", "stateful"],
            notFound: NeutronError.securityGroupNotFound,
            list: { state, caller, keep in
                state.ensureDefaultSecurityGroup(caller.projectID)
                var out: [(SecurityGroup, UInt64)] = []
                for group in state.securityGroups.values where caller.isAdmin || group.projectID == caller.projectID {
                    let shown = state.rendered(group)
                    if keep(shown) { out.append((shown, state.order[group.id] ?? 0)) }
                }
                return out
            },
            show: { state, id, caller in
                let made = try state.visibleSecurityGroup(id, caller)
                return state.rendered(made)
            },
            doCreate: { state, body, caller in
                let made = try state.createSecurityGroup(body, caller)
                return state.rendered(made)
            },
            doUpdate: { state, id, body, caller in
                let made = try state.updateSecurityGroup(id, body, caller)
                return state.rendered(made)
            },
            doDelete: { state, id, caller in try state.deleteSecurityGroup(id, caller) })
        registerCollection(
            on: router, collection: "security-group-rules", member: "security_group_rule",
            plural: "security_group_rules",
            create: SecurityGroupRuleCreate.self, createAttributes: SecurityGroupRuleCreate.attributeNames,
            update: SecurityGroupRuleCreate.self, updateAttributes: [],
            notFound: NeutronError.securityGroupRuleNotFound,
            list: { state, caller, keep in
                state.ensureDefaultSecurityGroup(caller.projectID)
                return state.rules.values.filter { state.canSee(rule: $0, caller) && keep($0) }.map { ($0, state.order[$0.id] ?? 0) }
            },
            show: { state, id, caller in try state.visibleRule(id, caller) },
            doCreate: { state, body, caller in try state.createSecurityGroupRule(body, caller) },
            doUpdate: { state, id, _, caller in
                _ = try state.visibleRule(id, caller)
                throw NeutronError(status: 405, type: "HTTPMethodNotAllowed", message: "The method PUT is not allowed for security group rules.")
            },
            doDelete: { state, id, caller in try state.deleteSecurityGroupRule(id, caller) })
    }

    func registerFloatingIPs(on router: Router<BasicRequestContext>) {
        registerCollection(
            on: router, collection: "floatingips", member: "floatingip",
            create: FloatingIPCreate.self, createAttributes: FloatingIPCreate.attributeNames,
            update: FloatingIPUpdate.self, updateAttributes: FloatingIPUpdate.attributeNames,
            notFound: NeutronError.floatingIPNotFound,
            list: { state, caller, keep in
                state.floatingIPs.values.filter { (caller.isAdmin || $0.projectID == caller.projectID) && keep($0) }
                    .map { ($0, state.order[$0.id] ?? 0) }
            },
            show: { state, id, caller in try state.visibleFloatingIP(id, caller) },
            doCreate: { state, body, caller in try state.createFloatingIP(body, caller) },
            doUpdate: { state, id, body, caller in try state.updateFloatingIP(id, body, caller) },
            doDelete: { state, id, caller in try state.deleteFloatingIP(id, caller) })
    }

    func registerRouters(on router: Router<BasicRequestContext>) {
        registerCollection(
            on: router, collection: "routers", member: "router",
            create: RouterCreate.self, createAttributes: RouterCreate.attributeNames,
            update: RouterUpdate.self, updateAttributes: RouterUpdate.attributeNames,
            notFound: NeutronError.routerNotFound,
            list: { state, caller, keep in
                state.routers.values.filter { (caller.isAdmin || $0.projectID == caller.projectID) && keep($0) }
                    .map { ($0, state.order[$0.id] ?? 0) }
            },
            show: { state, id, caller in try state.visibleRouter(id, caller) },
            doCreate: { state, body, caller in try state.createRouter(body, caller) },
            doUpdate: { state, id, body, caller in try state.updateRouter(id, body, caller) },
            doDelete: { state, id, caller in try state.deleteRouter(id, caller) })
        for action in ["add_router_interface", "remove_router_interface"] {
            router.put(RouterPath("/v2.0/routers/:id/\(action)")) { request, context in
                await handle(request) { caller, requestID in
                    let routerID = context.parameters.get("id") ?? ""
                    let object = try await NeutronHTTP.object(request)
                    try NeutronHTTP.checkAttributes(object, allowed: ["subnet_id", "port_id"])
                    let body = try NeutronHTTP.decode(RouterInterfaceRequest.self, from: object)
                    let info = try mutate { state in
                        action == "add_router_interface"
                            ? try state.addRouterInterface(routerID, body, caller)
                            : try state.removeRouterInterface(routerID, body, caller)
                    }
                    return try NeutronHTTP.encoded(info, requestID: requestID)
                }
            }
        }
        for action in ["add_extraroutes", "remove_extraroutes"] {
            router.put(RouterPath("/v2.0/routers/:id/\(action)")) { request, context in
                await handle(request) { caller, requestID in
                    let routerID = context.parameters.get("id") ?? ""
                    let object = try await NeutronHTTP.member(request, key: "router", allowed: ["routes"])
                    guard object["routes"] != nil else {
                        throw NeutronError.httpBadRequest("Failed to parse request. Required attribute 'routes' not specified")
                    }
                    let routes = try NeutronHTTP.decode(ExtraRoutesRequest.Routes.self, from: object).routes
                    let updated = try mutate { state in
                        action == "add_extraroutes"
                            ? try state.addExtraRoutes(routerID, routes, caller)
                            : try state.removeExtraRoutes(routerID, routes, caller)
                    }
                    return try NeutronHTTP.encoded(RouterEnvelope(router: updated), requestID: requestID)
                }
            }
        }
    }
}
