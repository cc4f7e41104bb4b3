/// Schema version 5: image copies to pods.
enum ImageSchema {
    static let v5 = Migration(version: 5, name: "image_copies_to_pods", statements: [
    ])
}
