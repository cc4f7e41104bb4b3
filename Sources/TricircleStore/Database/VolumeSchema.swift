/// Schema version 6: block storage at the top.
enum VolumeSchema {
    static let v6 = Migration(version: 6, name: "block_storage_at_the_top", statements: [
    ])
}
