import SkiffAPI
import SkiffNodeAPI

extension KubeAPI {
    /// One container of a pod, and the agent of the node that runs it.
    struct ContainerTarget {
        let namespace: String
        let pod: String
        let container: String
        let endpoint: NodeEndpoint
    }

    /// Resolves pods/log and pods/exec the way Kubernetes does: the container (named, the
    /// `kubectl.kubernetes.io/default-container`, or the only one), then the pod's node.
    func containerTarget(namespace: String, pod name: String, container requested: String?) async throws -> ContainerTarget {
        guard let stored = try await storeGet(CoreResources.pod.key(namespace: namespace, name: name)) else {
            throw APIError.notFound(CoreResources.pod.naming, name: name)
        }
        let pod = try decode(stored)
        let containers = (pod["spec"]["containers"].array ?? []).compactMap { $0["name"].string }
        let initContainers = (pod["spec"]["initContainers"].array ?? []).compactMap { $0["name"].string }
        let ephemeral = (pod["spec"]["ephemeralContainers"].array ?? []).compactMap { $0["name"].string }
        let container: String
        if let requested, !requested.isEmpty {
            guard (containers + initContainers + ephemeral).contains(requested) else {
                throw APIError.badRequest("container \(requested) is not valid for pod \(name)")
            }
            container = requested
        } else if let annotated = pod["metadata"]["annotations"]["kubectl.kubernetes.io/default-container"].string, containers.contains(annotated) {
            container = annotated
        } else if containers.count == 1 {
            container = containers[0]
        } else {
            var message = "a container name must be specified for pod \(name), choose one of: [\(containers.joined(separator: " "))]"
            if !initContainers.isEmpty { message += " or one of the init containers: [\(initContainers.joined(separator: " "))]" }
            throw APIError.badRequest(message)
        }
        guard let nodeName = pod["spec"]["nodeName"].string, !nodeName.isEmpty else {
            throw APIError.badRequest("pod \(name) does not have a host assigned")
        }
        return ContainerTarget(namespace: namespace, pod: name, container: container, endpoint: try await nodeEndpoint(nodeName))
    }

    /// Where node `name`'s agent listens (InternalIP, kubelet endpoint port) and its pinned
    /// certificate; 503 when the Node does not (yet) describe a reachable agent.
    func nodeEndpoint(_ name: String) async throws -> NodeEndpoint {
        guard let stored = try await storeGet(CoreResources.node.key(namespace: nil, name: name)) else {
            throw APIError.notFound(CoreResources.node.naming, name: name)
        }
        return try nodeEndpoint(decode(stored))
    }

    func nodeEndpoint(_ node: JSON) throws -> NodeEndpoint {
        let name = node["metadata"]["name"].string ?? ""
        func unavailable(_ reason: String) -> APIError {
            APIError(code: 503, reason: "ServiceUnavailable", message: "node \(name) \(reason); is its skiff agent running?")
        }
        guard let pin = node["metadata"]["annotations"][AgentCertificate.annotation].string, !pin.isEmpty else {
            throw unavailable("has no agent certificate (annotation \(AgentCertificate.annotation))")
        }
        let addresses = node["status"]["addresses"].array ?? []
        guard
            let address = addresses.first(where: { $0["type"].string == "InternalIP" })?["address"].string
                ?? addresses.first(where: { $0["type"].string == "Hostname" })?["address"].string
        else {
            throw unavailable("has no InternalIP address")
        }
        let port = node["status"]["daemonEndpoints"]["kubeletEndpoint"]["Port"].int ?? 10250
        return NodeEndpoint(
            nodeName: name, host: address, port: Int(port), certificateSHA256: pin,
            credential: NodeCredential.token(joinToken: authenticator.joinToken, nodeName: name))
    }

    static func agentUnavailable(_ error: any Error, node: String) -> APIError {
        APIError(code: 503, reason: "ServiceUnavailable", message: "cannot reach the skiff agent of node \(node): \(error)")
    }
}
