import FoundationEssentials
import SkiffAPI
import SkiffSystem

/// `projected` volumes: a bound service-account token (requested through the API for this pod,
/// refreshed by `ProjectedTokenRefresher`), ConfigMap and Secret keys, and pod fields, all in one
/// directory, each file replaced atomically.
extension VolumeManager {
    func writeProjected(_ projected: Volume.Projected, pod: Pod, directory: String) async throws {
        var data: [String: [UInt8]] = [:]
        var modes: [String: Int] = [:]
        var tokens: [Volume.ServiceAccountToken] = []
        for source in projected.sources {
            switch source {
            case .serviceAccountToken(let token):
                tokens.append(token)
            case .configMap(let files), .secret(let files):
                let secret: Bool
                if case .secret = source { secret = true } else { secret = false }
                let values: [String: [UInt8]]
                do {
                    values = try await fetchData(namespace: pod.namespace, name: files.name, secret: secret)
                } catch is VolumeError where files.optional {
                    values = [:]
                }
                for (path, bytes, mode) in Self.selected(values, items: files.items) {
                    data[path] = bytes
                    if let mode { modes[path] = mode }
                }
            case .downwardAPI(let downward):
                for item in downward.items {
                    guard let field = item.fieldPath else { continue }
                    data[item.path] = Array(EnvironmentResolver.fieldValue(field, pod: pod, podIP: pod.status.podIP, hostIP: pod.status.hostIP).utf8)
                    if let mode = item.mode { modes[item.path] = Int(mode) }
                }
            case .unsupported(let kind):
                throw VolumeError(reason: "FailedMount", message: "projected source \(kind) is not supported")
            }
        }
        let defaultMode = Int(projected.defaultMode)
        for (path, bytes) in data {
            try writeFiles(
                directory: directory, data: [path: bytes], items: nil, defaultMode: modes[path] ?? defaultMode)
        }
        for token in tokens {
            if self.tokens.isFresh(podUID: pod.uid, directory: directory, path: token.path, at: Date()),
                FileSystem.exists(directory + "/" + token.path)
            {
                continue
            }
            guard let account = pod.spec.serviceAccountName, !account.isEmpty else {
                throw VolumeError(reason: "FailedMount", message: "a serviceAccountToken projection needs the pod's serviceAccountName")
            }
            try await writeToken(
                ProjectedTokens.Entry(
                    namespace: pod.namespace, serviceAccount: account, podName: pod.name, podUID: pod.uid, source: token, directory: directory,
                    mode: defaultMode, refreshAt: Date()))
        }
    }

    /// The keys `items` picks (all of them without items), with their paths and modes.
    static func selected(_ values: [String: [UInt8]], items: [Volume.KeyToPath]?) -> [(String, [UInt8], Int?)] {
        guard let items else { return values.map { ($0.key, $0.value, nil) } }
        return items.compactMap { item in values[item.key].map { (item.path, $0, item.mode.map(Int.init)) } }
    }

    /// Requests a token bound to the pod (`POST …/serviceaccounts/NAME/token`), writes it, and
    /// records when to replace it.
    func writeToken(_ entry: ProjectedTokens.Entry) async throws {
        var spec: JSON = [
            "expirationSeconds": .int(entry.source.expirationSeconds),
            "boundObjectRef": ["apiVersion": "v1", "kind": "Pod", "name": .string(entry.podName), "uid": .string(entry.podUID)],
        ]
        if let audience = entry.source.audience, !audience.isEmpty { spec["audiences"] = [.string(audience)] }
        let issued = Date()
        let answer: JSON
        do {
            answer = try await client.create(
                "/api/v1/namespaces/\(entry.namespace)/serviceaccounts/\(entry.serviceAccount)/token",
                ["apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec])
        } catch let error as APIClientError {
            throw VolumeError(reason: "FailedMount", message: "failed to fetch token for serviceaccount \(entry.serviceAccount): \(error.message)")
        }
        guard let token = answer["status"]["token"].string else {
            throw VolumeError(reason: "FailedMount", message: "the token request for serviceaccount \(entry.serviceAccount) returned no token")
        }
        let expires =
            answer["status"]["expirationTimestamp"].string.flatMap(Timestamp.parse)
            ?? issued.addingTimeInterval(Double(entry.source.expirationSeconds))
        try writeFiles(directory: entry.directory, data: [entry.source.path: Array(token.utf8)], items: nil, defaultMode: entry.mode)
        var next = entry
        next.refreshAt = ProjectedTokens.refreshTime(issued: issued, expires: expires)
        tokens.record(next)
    }
}
