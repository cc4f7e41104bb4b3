import Crypto
import Foundation

/// MD5 (`checksum`) and SHA-512 (`os_hash_value`) as Glance computes them, incrementally while streaming.
struct ImageDigests {
    var md5: String
    var sha512: String

    init(data: [UInt8]) {
        var hasher = StreamingImageHasher()
        hasher.update(data)
        self = hasher.finish()
    }

    init(md5: String, sha512: String) {
        self.md5 = md5
        self.sha512 = sha512
    }
}

/// Hashes image data chunk by chunk.
struct StreamingImageHasher {
    private var md5 = Insecure.MD5()
    private var sha = SHA512()

    mutating func update<Bytes: DataProtocol>(_ bytes: Bytes) {
        md5.update(data: bytes)
        sha.update(data: bytes)
    }

    func finish() -> ImageDigests {
        ImageDigests(
            md5: md5.finalize().map { String(format: "%02x", $0) }.joined(),
            sha512: sha.finalize().map { String(format: "%02x", $0) }.joined())
    }
}
