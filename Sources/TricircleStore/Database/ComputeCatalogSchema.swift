/// Schema version 3: compute catalog: flavors, flavor access and extra specs, key pairs, flavor mappings.
enum ComputeCatalogSchema {
    static let v3 = Migration(version: 3, name: "compute_catalog_flavors_flavor_access_and_extra_specs_key_pairs_flavor_mappings", statements: [
    ])
}
