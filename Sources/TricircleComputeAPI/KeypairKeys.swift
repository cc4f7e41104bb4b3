import Crypto
import Foundation

/// Key material for key pairs: fingerprints as Nova computes them, and generated Ed25519 keys
/// (OpenSSH public key text, OpenSSH-format PEM private key that `ssh -i` reads as is).
enum KeypairKeys {
    /// The key types an OpenSSH public key line may start with.
    static let sshKeyTypes: Set<String> = [
        "ssh-rsa", "ssh-dss", "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com", "ssh-ed448",
    ]

    /// MD5 of the key blob, colon separated, when `publicKey` is a well-formed OpenSSH public key line
    /// (the blob must name the same key type as the line).
    static func sshFingerprint(_ publicKey: String) -> String? {
        let parts = publicKey.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count >= 2, sshKeyTypes.contains(String(parts[0])),
              let blob = Data(base64Encoded: String(parts[1])), blob.count > 4 else { return nil }
        let bytes = [UInt8](blob)
        let length = Int(bytes[0]) << 24 | Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3])
        guard length > 0, 4 + length <= bytes.count, String(decoding: bytes[4..<(4 + length)], as: UTF8.self) == parts[0] else {
            return nil
        }
        return hex(Insecure.MD5.hash(data: blob))
    }

    /// SHA-1 of a PEM certificate's DER, colon separated, as Nova fingerprints x509 key pairs.
    static func x509Fingerprint(_ certificate: String) -> String? {
        let lines = certificate.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let begin = lines.firstIndex(of: "-----BEGIN CERTIFICATE-----"),
              let end = lines.firstIndex(of: "-----END CERTIFICATE-----"), begin < end,
              let der = Data(base64Encoded: lines[(begin + 1)..<end].joined()), der.count > 16, der.first == 0x30 else { return nil }
        return hex(Insecure.SHA1.hash(data: der))
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined(separator: ":")
    }

    /// A new Ed25519 key pair: `ssh-ed25519 AAAA... comment` and an `OPENSSH PRIVATE KEY` PEM block.
    static func generate(comment: String) -> (publicKey: String, privateKey: String) {
        let key = Curve25519.Signing.PrivateKey()
        let publicBytes = [UInt8](key.publicKey.rawRepresentation)
        let seed = [UInt8](key.rawRepresentation)
        let typeName = Array("ssh-ed25519".utf8)
        let publicBlob = sshString(typeName) + sshString(publicBytes)
        let publicKey = "ssh-ed25519 \(Data(publicBlob).base64EncodedString()) \(comment)"

        // openssh-key-v1, unencrypted: the layout `ssh-keygen` writes (PROTOCOL.key in OpenSSH).
        let check = UInt32.random(in: .min ... .max)
        var secret = uint32(check) + uint32(check)
        secret += sshString(typeName) + sshString(publicBytes) + sshString(seed + publicBytes) + sshString(Array(comment.utf8))
        var pad: UInt8 = 1
        while secret.count % 8 != 0 {
            secret.append(pad)
            pad += 1
        }
        var blob = Array("openssh-key-v1".utf8) + [0]
        blob += sshString(Array("none".utf8)) + sshString(Array("none".utf8)) + sshString([]) + uint32(1)
        blob += sshString(publicBlob) + sshString(secret)
        let body = Data(blob).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        let privateKey = "-----BEGIN OPENSSH PRIVATE KEY-----\n\(body)\n-----END OPENSSH PRIVATE KEY-----\n"
        return (publicKey, privateKey)
    }

    static func uint32(_ n: UInt32) -> [UInt8] {
        [UInt8(n >> 24), UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff)]
    }

    static func sshString(_ bytes: [UInt8]) -> [UInt8] { uint32(UInt32(bytes.count)) + bytes }
}
