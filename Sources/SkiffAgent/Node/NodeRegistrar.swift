import FoundationEssentials
import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffImages

/// Registers this host's Node, keeps its status and Lease fresh, and learns its pod CIDR —
/// the kubelet's node status manager and lease controller.
actor NodeRegistrar {
    let client: APIClient
    let configuration: AgentConfiguration
    let facts: HostFacts
    let logger: Logger
    let nodeAPIPort: Int
    let certificateSHA256: String
    private(set) var podCIDR: String?
    /// MemoryPressure, DiskPressure and PIDPressure as the eviction manager last set them.
    private var pressure: NodePressure
    /// Ready turned True when this agent started; its transition time stays that.
    private let readySince = Timestamp.now()

    static let kubeletVersion = "v1.32.0-skiff"

    init(client: APIClient, configuration: AgentConfiguration, facts: HostFacts, nodeAPIPort: Int, certificateSHA256: String, logger: Logger) {
        self.client = client
        self.configuration = configuration
        self.facts = facts
        self.nodeAPIPort = nodeAPIPort
        self.certificateSHA256 = certificateSHA256
        self.logger = logger
        pressure = NodePressure(transitionPeriodSeconds: 0, now: Date())
    }

    var nodePath: String { "/api/v1/nodes/\(configuration.nodeName)" }

    /// Creates the Node (or takes over an existing one with the same name) and waits for the
    /// server to assign its pod CIDR.
    func register() async throws -> String {
        // The server may not be up yet (both start at boot): keep trying, as the kubelet does.
        var delay = 0.5
        while true {
            do {
                return try await registerOnce()
            } catch let error as APIClientError where error.code >= 400 && error.code < 500 && error.code != 429 {
                throw error
            } catch {
                logger.warning("cannot register the node yet; retrying", metadata: ["error": "\(error)", "retryIn": "\(delay)s"])
                // Jittered, so agents waiting for one server do not all retry at once.
                try await Task.sleep(for: .seconds(delay * Double.random(in: 1...1.5)))
                delay = min(delay * 2, 5)
            }
        }
    }

    private func registerOnce() async throws -> String {
        let node = nodeObject(images: await imagesStatus())
        do {
            _ = try await client.create("/api/v1/nodes", node)
            logger.info("registered node", metadata: ["node": "\(configuration.nodeName)"])
        } catch let error as APIClientError where error.isConflict || error.reason == "AlreadyExists" {
            // A re-registering kubelet keeps the Node (and its podCIDR) and refreshes what it owns.
            var patch = JSON.emptyObject
            patch["metadata"] = node["metadata"]
            _ = try await client.mergePatch(nodePath, patch)
        }
        try await updateStatus()
        for _ in 0..<100 {
            let current = try await client.get(nodePath)
            if let cidr = current["spec"]["podCIDR"].string, !cidr.isEmpty {
                podCIDR = cidr
                return cidr
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        // Retried by `register`: the node IPAM controller assigns one when a range frees up.
        throw APIClientError(
            code: 0, reason: "NoPodCIDR",
            message: "node \(configuration.nodeName) has no pod CIDR yet (is the cluster CIDR used up? see `kubectl describe node`)")
    }

    /// Takes the eviction manager's new pressure conditions and writes them at once, rather than
    /// on the next heartbeat, so the scheduler stops placing pods here without delay.
    func setPressure(_ pressure: NodePressure) async {
        self.pressure = pressure
        do {
            try await updateStatus()
        } catch {
            logger.warning("cannot update the node's pressure conditions; the next heartbeat will", metadata: ["error": "\(error)"])
        }
    }

    func nodeObject(images: JSON = .array([])) -> JSON {
        var node = JSON.emptyObject
        node["apiVersion"] = "v1"
        node["kind"] = "Node"
        node["metadata"]["name"] = .string(configuration.nodeName)
        node["metadata"]["labels"] = .object([
            "kubernetes.io/hostname": .string(configuration.nodeName),
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": .string(facts.architecture),
            "node-role.kubernetes.io/worker": "",
        ])
        node["metadata"]["annotations"] = .object(["skiff.dev/agent-certificate-sha256": .string(certificateSHA256)])
        node["status"] = statusObject(images: images)
        return node
    }

    func statusObject(images: JSON = .array([])) -> JSON {
        let now = Timestamp.now()
        let resources: JSON = .object([
            "cpu": .string("\(facts.cpuCount)"),
            "memory": .string("\(facts.memoryBytes / 1024)Ki"),
            "pods": .string("\(configuration.maxPods)"),
            "ephemeral-storage": .string("\(facts.ephemeralStorageBytes / 1024)Ki"),
        ])
        var status = JSON.emptyObject
        status["capacity"] = resources
        status["allocatable"] = resources
        status["addresses"] = .array([
            .object(["type": "InternalIP", "address": .string(facts.internalIP)]),
            .object(["type": "Hostname", "address": .string(facts.hostname)]),
        ])
        status["daemonEndpoints"] = .object(["kubeletEndpoint": .object(["Port": .int(Int64(nodeAPIPort))])])
        status["nodeInfo"] = .object([
            "machineID": .string(facts.machineID), "systemUUID": .string(facts.machineID), "bootID": .string(facts.bootID),
            "kernelVersion": .string(facts.kernelVersion), "osImage": .string(facts.osImage),
            "containerRuntimeVersion": "skiff-runc://0.1.0", "kubeletVersion": .string(Self.kubeletVersion),
            "kubeProxyVersion": "", "operatingSystem": "linux", "architecture": .string(facts.architecture),
        ])
        var list = pressure.json(now: now)
        list.append(
            .object([
                "type": "Ready", "status": "True", "reason": "KubeletReady", "message": "skiff agent is posting ready status",
                "lastHeartbeatTime": .string(now), "lastTransitionTime": .string(readySince),
            ]))
        status["conditions"] = .array(list)
        status["images"] = images
        return status
    }

    func updateStatus() async throws {
        var patch = JSON.emptyObject
        patch["status"] = statusObject(images: await imagesStatus())
        _ = try await client.mergePatch(nodePath + "/status", patch)
    }

    /// The node's images for `status.images`, read from the image store on every status update
    /// (pulls, imports and garbage collection all show on the next one).
    func imagesStatus() async -> JSON {
        let store = ImageStore(root: configuration.imagesDirectory)
        let limit = configuration.nodeStatusMaxImages
        let logger = logger
        return await blocking {
            do {
                return NodeImages.status(try store.list(), maxImages: limit)
            } catch {
                logger.warning("cannot list the node's images for its status", metadata: ["error": "\(error)"])
                return .array([])
            }
        }
    }

    /// Renews the Lease in kube-node-lease every heartbeat, and the Node's status with it, until
    /// cancelled. Failures are logged and retried on the next beat: a server that is briefly
    /// away must not stop the agent.
    func heartbeat() async {
        let leasePath = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/\(configuration.nodeName)"
        while !Task.isCancelled {
            do {
                let now = Timestamp.microseconds()
                do {
                    _ = try await client.mergePatch(
                        leasePath,
                        .object([
                            "spec": .object([
                                "holderIdentity": .string(configuration.nodeName), "renewTime": .string(now),
                                "leaseDurationSeconds": .int(Int64(configuration.leaseDurationSeconds)),
                            ])
                        ]))
                } catch let error as APIClientError where error.isNotFound {
                    _ = try await client.create(
                        "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases",
                        .object([
                            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                            "metadata": .object(["name": .string(configuration.nodeName), "namespace": "kube-node-lease"]),
                            "spec": .object([
                                "holderIdentity": .string(configuration.nodeName), "renewTime": .string(now),
                                "leaseDurationSeconds": .int(Int64(configuration.leaseDurationSeconds)),
                            ]),
                        ]))
                }
                try await updateStatus()
            } catch {
                logger.warning("heartbeat failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(configuration.heartbeatSeconds))
        }
    }
}

/// Renews the node's Lease and refreshes its status until graceful shutdown.
struct NodeHeartbeat: Service {
    let registrar: NodeRegistrar

    func run() async {
        await cancelWhenGracefulShutdown { await registrar.heartbeat() }
    }
}
