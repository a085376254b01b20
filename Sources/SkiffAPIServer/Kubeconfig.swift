import Foundation
import SkiffAPI

/// Writes kubeconfigs (JSON is valid YAML) atomically, so a reader never sees half a file.
public enum Kubeconfig {
    /// How the kubeconfig's user authenticates.
    public enum Credential: Sendable {
        case token(String)
        case clientCertificate(certificatePEM: String, keyPEM: String)
    }

    /// A kubeconfig for `server` whose one context uses `credential` as `user`.
    public static func make(server: String, caPEM: String, user: String, credential: Credential, namespace: String = "default") -> JSON {
        let credentials: JSON =
            switch credential {
            case .token(let token): ["token": .string(token)]
            case .clientCertificate(let certificate, let key):
                [
                    "client-certificate-data": .string(Base64.encode(Array(certificate.utf8))),
                    "client-key-data": .string(Base64.encode(Array(key.utf8))),
                ]
            }
        return [
            "apiVersion": "v1", "kind": "Config", "current-context": "skiff", "preferences": .emptyObject,
            "clusters": [["name": "skiff", "cluster": ["server": .string(server), "certificate-authority-data": .string(Base64.encode(Array(caPEM.utf8)))]]],
            "users": [["name": .string(user), "user": credentials]],
            "contexts": [["name": "skiff", "context": ["cluster": "skiff", "user": .string(user), "namespace": .string(namespace)]]],
        ]
    }

    public static func write(_ config: JSON, to path: String) throws {
        let temporary = path + ".tmp"
        try ClusterPKI.writeSecret(config.serialized + "\n", to: temporary)
        // rename(2) replaces the old file atomically.
        guard rename(temporary, path) == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
    }
}
