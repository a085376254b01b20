import Foundation
import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffAPIServer
import SkiffClient
import SkiffControlPlane
import Synchronization

/// kubemark's hollow kubelet for every hollow node at once: one pod watch, acting per node as a
/// kubelet would for the pods bound to it — a bound pod is reported Running and Ready (with a
/// pod IP from its node's range, no containers) through the status subresource, and a pod
/// marked for deletion is removed at once, as a kubelet does once its containers are stopped.
/// Pods bound to other nodes are left alone. Every node renews its Lease in kube-node-lease as
/// often as a kubelet does, or the node lifecycle controller would take it for lost.
public struct HollowKubelet: Service {
    let api: KubeAPI
    let token: String
    let nodeNames: Set<String>
    let workers: Int

    public init(api: KubeAPI, token: String, nodeNames: Set<String>, workers: Int = 16) {
        self.api = api
        self.token = token
        self.nodeNames = nodeNames
        self.workers = workers
    }

    /// The Node objects the hollow nodes register: Ready, with a kubelet's allocatable capacity
    /// and the hostname label, as NodeRegistrar's are.
    public static func node(named name: String, index: Int) -> JSON {
        let address = "10.\(200 + index / 65536).\(index / 256 % 256).\(index % 256)"
        return [
            "metadata": ["name": .string(name), "labels": ["kubernetes.io/hostname": .string(name), "kubernetes.io/os": "linux", "kubemark": "true"]],
            "status": [
                "conditions": [["type": "Ready", "status": "True", "reason": "KubeletReady", "message": "hollow kubelet is posting ready status"]],
                "capacity": ["cpu": "16", "memory": "64Gi", "pods": "110"],
                "allocatable": ["cpu": "16", "memory": "64Gi", "pods": "110"],
                "addresses": [["type": "InternalIP", "address": .string(address)], ["type": "Hostname", "address": .string(name)]],
                "nodeInfo": ["kubeletVersion": "v1.31.0-hollow", "containerRuntimeVersion": "hollow://0", "operatingSystem": "linux", "architecture": "amd64"],
            ],
        ]
    }

    /// Registers the nodes through the API (POST, as NodeRegistrar does), 16 at a time.
    public static func register(nodeNames: [String], api: KubeAPI, token: String) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, name) in nodeNames.enumerated() {
                if index >= 16 { try await group.next() }
                group.addTask {
                    let response = await api.handle(
                        APIRequest(method: "POST", path: "/api/v1/nodes", headers: headers(token), body: node(named: name, index: index).bytes))
                    guard response.status == 201 || response.status == 409 else { throw HollowKubeletError.rejected("node \(name)", response.status) }
                }
            }
            try await group.waitForAll()
        }
    }

    static func headers(_ token: String, contentType: String = "application/json") -> [String: String] {
        ["authorization": "Bearer \(token)", "content-type": contentType]
    }

    /// What the hollow kubelet does about one pod it saw.
    enum Action: Sendable, Equatable {
        case reportRunning(namespace: String, name: String, uid: String, podIP: String, startTime: String)
        case remove(namespace: String, name: String, uid: String)
    }

    /// nil when the pod is not on a hollow node or is already as reported.
    static func action(for pod: JSON, nodeNames: Set<String>, podIP: @Sendable () -> String) -> Action? {
        guard let node = pod["spec"]["nodeName"].string, nodeNames.contains(node),
            let namespace = pod["metadata"]["namespace"].string, let name = pod["metadata"]["name"].string
        else { return nil }
        if !pod["metadata"]["deletionTimestamp"].isNull {
            return .remove(namespace: namespace, name: name, uid: pod["metadata"]["uid"].string ?? "")
        }
        let ready = pod["status"]["conditions"].array?.contains { $0["type"].string == "Ready" && $0["status"].string == "True" } ?? false
        if pod["status"]["phase"].string == "Running", ready { return nil }
        return .reportRunning(namespace: namespace, name: name, uid: pod["metadata"]["uid"].string ?? "", podIP: podIP(), startTime: Timestamp.string(Date()))
    }

    public func run() async throws {
        // Ends with the service group's graceful shutdown: the pod watch does not end by itself.
        try await cancelWhenGracefulShutdown { try await self.follow() }
    }

    func follow() async throws {
        let client = InProcessControllerClient(api: api)
        let (actions, inbox) = AsyncStream.makeStream(of: Action.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            // One reader of the stream (an AsyncStream has one consumer), `workers` writes in flight.
            group.addTask {
                await withTaskGroup(of: Void.self) { writes in
                    var inFlight = 0
                    for await action in actions {
                        if inFlight == workers {
                            await writes.next()
                            inFlight -= 1
                        }
                        writes.addTask { await perform(action) }
                        inFlight += 1
                    }
                }
            }
            group.addTask { await renewLeases() }
            group.addTask {
                defer { inbox.finish() }
                let seen = HollowPodLedger()
                while !Task.isCancelled {
                    let list = try await client.list("/api/v1/pods")
                    let version = list["metadata"]["resourceVersion"].string ?? "0"
                    for pod in list["items"].array ?? [] {
                        if let action = seen.first(Self.action(for: pod, nodeNames: nodeNames, podIP: seen.nextPodIP)) { inbox.yield(action) }
                    }
                    do {
                        try await client.watch("/api/v1/pods?watch=true&resourceVersion=\(version)") { event in
                            if event.type == "ERROR" { throw HollowKubeletError.watchExpired }
                            guard event.type == "ADDED" || event.type == "MODIFIED" else { return }
                            if let action = seen.first(Self.action(for: event.object, nodeNames: nodeNames, podIP: seen.nextPodIP)) { inbox.yield(action) }
                        }
                    } catch HollowKubeletError.watchExpired {
                        continue
                    }
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    /// A kubelet's lease: 40 s, renewed every 10 s.
    static let leaseDurationSeconds: Int64 = 40
    static let leaseRenewInterval: Duration = .seconds(10)

    /// Renews every node's Lease each interval (creating it the first time), 16 writes at a
    /// time, until cancelled. A failed renewal is retried with the next round.
    func renewLeases() async {
        let names = nodeNames.sorted()
        while !Task.isCancelled {
            let now = Timestamp.microseconds()
            await withTaskGroup(of: Void.self) { group in
                for (index, name) in names.enumerated() {
                    if index >= 16 { await group.next() }
                    group.addTask { await renewLease(of: name, now: now) }
                }
            }
            try? await Task.sleep(for: Self.leaseRenewInterval)
        }
    }

    func renewLease(of node: String, now: String) async {
        let spec: JSON = ["holderIdentity": .string(node), "renewTime": .string(now), "leaseDurationSeconds": .int(Self.leaseDurationSeconds)]
        let collection = "/apis/coordination.k8s.io/v1/namespaces/\(Lease.nodeLeaseNamespace)/leases"
        let renewed = await api.handle(
            APIRequest(
                method: "PATCH", path: "\(collection)/\(node)", headers: Self.headers(token, contentType: "application/merge-patch+json"),
                body: JSON.object(["spec": spec]).bytes))
        guard renewed.status == 404 else { return }
        let lease: JSON = [
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": ["name": .string(node), "namespace": .string(Lease.nodeLeaseNamespace)], "spec": spec,
        ]
        _ = await api.handle(APIRequest(method: "POST", path: collection, headers: Self.headers(token), body: lease.bytes))
    }

    /// Pod IPs from 10.128.0.0/9, one per pod the hollow nodes started.
    static func podIP(_ serial: Int) -> String {
        "10.\(128 + serial / 65536 % 128).\(serial / 256 % 256).\(serial % 256)"
    }

    func perform(_ action: Action) async {
        switch action {
        case .reportRunning(let namespace, let name, _, let podIP, let startTime):
            let now = startTime
            let conditions: JSON = .array(
                ["PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready", "PodScheduled"].map {
                    ["type": .string($0), "status": "True", "lastTransitionTime": .string(now)]
                })
            let patch: JSON = [
                "status": [
                    "phase": "Running", "podIP": .string(podIP), "podIPs": [["ip": .string(podIP)]], "startTime": .string(startTime),
                    "qosClass": "BestEffort", "conditions": conditions,
                ]
            ]
            _ = await api.handle(
                APIRequest(
                    method: "PATCH", path: "/api/v1/namespaces/\(namespace)/pods/\(name)/status",
                    headers: Self.headers(token, contentType: "application/merge-patch+json"), body: patch.bytes))
        case .remove(let namespace, let name, let uid):
            let options: JSON = ["gracePeriodSeconds": 0, "preconditions": ["uid": .string(uid)]]
            _ = await api.handle(
                APIRequest(
                    method: "DELETE", path: "/api/v1/namespaces/\(namespace)/pods/\(name)", query: ["gracePeriodSeconds": "0"],
                    headers: Self.headers(token), body: options.bytes))
        }
    }
}

/// What the hollow kubelet already did: each pod is acted on once per state, since the watch
/// repeats a pod while the status write it caused is still in flight.
final class HollowPodLedger: Sendable {
    private let state = Mutex<(issuedIPs: Int, reported: Set<String>, removed: Set<String>)>((0, [], []))

    /// The action, unless one like it was already taken for this pod.
    func first(_ action: HollowKubelet.Action?) -> HollowKubelet.Action? {
        guard let action else { return nil }
        return state.withLock { state in
            switch action {
            case .reportRunning(let namespace, let name, let uid, _, _): state.reported.insert("\(namespace)/\(name)/\(uid)").inserted ? action : nil
            case .remove(_, _, let uid): state.removed.insert(uid).inserted ? action : nil
            }
        }
    }

    func nextPodIP() -> String {
        state.withLock { state in
            state.issuedIPs += 1
            return HollowKubelet.podIP(state.issuedIPs)
        }
    }
}

enum HollowKubeletError: Error, CustomStringConvertible {
    case rejected(String, Int)
    case watchExpired

    var description: String {
        switch self {
        case .rejected(let what, let status): "the API answered \(status) to \(what)"
        case .watchExpired: "the pod watch expired"
        }
    }
}
