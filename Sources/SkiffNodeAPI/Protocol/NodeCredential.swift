import Crypto
import Foundation

/// The bearer token of one node: `skiff-node.<node>.<hex HMAC-SHA256(key: join token, message: node)>`.
/// The agent presents it to the API server, and the API server presents it back to the agent's
/// node API, which accepts nothing else.
public enum NodeCredential {
    public static func token(joinToken: String, nodeName: String) -> String {
        "skiff-node.\(nodeName).\(signature(joinToken: joinToken, nodeName: nodeName))"
    }

    public static func signature(joinToken: String, nodeName: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data(nodeName.utf8), using: SymmetricKey(data: Data(joinToken.utf8)))
        return Hex.encode(Array(code))
    }

    /// Compares in time independent of where the inputs differ (only the length leaks).
    public static func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool {
        let left = Array(lhs.utf8)
        let right = Array(rhs.utf8)
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }
}

/// Lowercase hex, as certificate fingerprints and HMACs are written here.
enum Hex {
    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var result: [UInt8] = []
        for byte in bytes {
            result.append(digits[Int(byte >> 4)])
            result.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: result, as: UTF8.self)
    }
}
