/// Nova's server list sort parameters (`sort_key`, `sort_dir`): the keys it accepts and its check, shared
/// by the top and the simulator so the two refuse the same requests in the same words.
public enum ServerSort {
    /// Nova's valid `sort_key` values.
    public static let keys: Set<String> = [
        "created_at", "updated_at", "display_name", "uuid", "vm_state", "task_state", "power_state",
        "availability_zone", "key_name", "launched_at", "project_id", "user_id", "host", "hostname",
        "image_ref", "instance_type_id", "display_description", "access_ip_v4", "access_ip_v6", "progress",
        "config_drive", "launch_index", "locked_by", "node", "root_device_name", "terminated_at", "kernel_id",
        "ramdisk_id", "auto_disk_config",
    ]

    /// Nova's 400 message for the first unknown key or direction; nil when every one is valid.
    public static func problem(keys given: [String], directions: [String]) -> String? {
        if let key = given.first(where: { !keys.contains($0) }) {
            return "Invalid input for query parameters sort_key. Value: \(key). '\(key)' is not one of \(keys.sorted())"
        }
        if let direction = directions.first(where: { $0 != "asc" && $0 != "desc" }) {
            return "Invalid input for query parameters sort_dir. Value: \(direction). '\(direction)' is not one of ['asc', 'desc']"
        }
        return nil
    }
}
