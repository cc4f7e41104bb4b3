/// Kinds of resources the routing table maps between the top and the pods (Tricircle's names).
public enum ResourceType: String, Sendable, Codable, CaseIterable, Hashable {
    case server
    case volume
    case snapshot
    /// A Cinder backup (of a routed volume, kept in the volume's region).
    case volumeBackup = "volume_backup"
    case volumeType = "volume_type"
    case image
    case flavor
    case keypair
    case network
    case subnet
    case port
    /// A port's mirror in a pod other than its own (a stretched VXLAN network's "shadow port").
    case shadowPort = "shadow_port"
    case router
    case securityGroup = "security_group"
    case floatingIP = "floatingip"
    case databaseInstance = "database_instance"
    case databaseCluster = "database_cluster"
    /// A Trove backup (kept in its instance's region; routed so the quota it holds counts at the top).
    case databaseBackup = "database_backup"
}
