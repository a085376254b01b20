import Foundation
import SkiffAPI

/// Writes the admin kubeconfig (JSON is valid YAML) atomically, so a reader never sees half a file.
enum Kubeconfig {
    static func write(to path: String, server: String, caPEM: String, token: String) throws {
        let config: JSON = [
            "apiVersion": "v1", "kind": "Config", "current-context": "skiff", "preferences": .emptyObject,
            "clusters": [["name": "skiff", "cluster": ["server": .string(server), "certificate-authority-data": .string(Base64.encode(Array(caPEM.utf8)))]]],
            "users": [["name": "admin", "user": ["token": .string(token)]]],
            "contexts": [["name": "skiff", "context": ["cluster": "skiff", "user": "admin", "namespace": "default"]]],
        ]
        let temporary = path + ".tmp"
        try ClusterPKI.writeSecret(config.serialized + "\n", to: temporary)
        // rename(2) replaces the old file atomically.
        guard rename(temporary, path) == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
    }
}
