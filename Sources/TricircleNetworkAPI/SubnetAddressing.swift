import Foundation
import OpenStackModels

/// The address plan of one subnet (CIDR, pools, gateway) and Neutron's rules for it.
struct SubnetAddressing: Sendable {
    struct Range: Sendable, Hashable {
        var low: UInt128
        var high: UInt128
    }

    var cidr: IPNetwork
    var pools: [Range]
    var gateway: UInt128?

    /// From a stored subnet; nil when its CIDR does not parse (never for subnets this API wrote).
    init?(_ subnet: Subnet) {
        guard let (cidr, _) = IPNetwork.parse(subnet.cidr) else { return nil }
        self.cidr = cidr
        self.gateway = subnet.gatewayIP.flatMap(IPAddress.init)?.value
        self.pools = subnet.allocationPools.compactMap { pool in
            guard let low = IPAddress(pool.start), let high = IPAddress(pool.end) else { return nil }
            return Range(low: low.value, high: high.value)
        }
    }

    init(cidr: IPNetwork, pools: [Range], gateway: UInt128?) {
        self.cidr = cidr
        self.pools = pools
        self.gateway = gateway
    }

    /// May the address be given to a port at all (inside the CIDR, not network/broadcast)?
    func isUsable(_ value: UInt128) -> Bool { cidr.isAssignable(value) }

    func inPools(_ value: UInt128) -> Bool { pools.contains { value >= $0.low && value <= $0.high } }

    func text(_ value: UInt128) -> String { cidr.address(value).description }

    /// Up to `count` free pool addresses in order, skipping `taken` and the gateway; the allocator picks
    /// one of these at random so concurrent allocators rarely collide.
    func freeCandidates(taken: Set<String>, count: Int) -> [String] {
        var out: [String] = []
        for pool in pools {
            var value = pool.low
            while value <= pool.high {
                if value != gateway {
                    let address = text(value)
                    if !taken.contains(address) {
                        out.append(address)
                        if out.count >= count { return out }
                    }
                }
                if value == pool.high { break }
                value += 1
            }
        }
        return out
    }

    /// How many addresses the pools hold (saturating at UInt128.max).
    var poolSize: UInt128 {
        pools.reduce(UInt128(0)) { total, pool in
            let (size, over) = (pool.high - pool.low).addingReportingOverflow(1)
            let (sum, overflow) = total.addingReportingOverflow(size)
            return over || overflow ? UInt128.max : sum
        }
    }

    /// Up to `count` distinct pool addresses drawn uniformly at random (never the gateway). Empty for a
    /// pool no bigger than 4 * `count`: probing a small pool finds little, the allocator scans it instead.
    func randomCandidates(count: Int) -> [String] {
        let size = poolSize
        guard count > 0, size > UInt128(count) * 4 else { return [] }
        var seen: Set<UInt128> = []
        var out: [String] = []
        for _ in 0..<(count * 2) where out.count < count {
            var offset = UInt128.random(in: 0..<size)
            for pool in pools {
                let span = pool.high - pool.low
                if offset <= span {
                    let value = pool.low + offset
                    if value != gateway, seen.insert(value).inserted { out.append(text(value)) }
                    break
                }
                offset -= span + 1
            }
        }
        return out
    }

    /// Neutron's default pools: the whole CIDR minus network, broadcast (IPv4) and gateway.
    static func defaultPools(cidr: IPNetwork, gateway: UInt128?) -> [Range] {
        cidr.defaultPoolBounds(gateway: gateway).map { Range(low: $0.low, high: $0.high) }
    }

    /// Checks requested pools as Neutron does; nil means "derive from the CIDR and gateway".
    static func validatePools(_ requested: [AllocationPool]?, cidr: IPNetwork, gateway: UInt128?, subnetID: String) throws -> [Range] {
        try SubnetValidation.pools(requested, cidr: cidr, gateway: gateway, subnetID: subnetID).map { Range(low: $0.low, high: $0.high) }
    }

    func render() -> [AllocationPool] {
        pools.map { AllocationPool(start: text($0.low), end: text($0.high)) }
    }
}
