import Foundation
import SkiffTestSupport
import Testing

/// A bounded chaos soak on `scripts/cluster` hosts (issue 14, Done-means 3): for
/// `SKIFF_SOAK_SECONDS` (150 s by default, CI's bound; docs/cluster.md records a 10-minute run)
/// random pod deletions, agent restarts, server restarts, node kills and rollouts hit a
/// Deployment and a StatefulSet while a writer creates ConfigMaps without pause. Every pod event
/// of the namespace is recorded (a watch that resumes from its last resourceVersion across the
/// server's restarts) and the hosts' pod cgroups are sampled every second. At the end: both
/// workloads converge, every ConfigMap whose create was acknowledged is there, the Deployment
/// never had more than replicas + maxSurge active pods, a StatefulSet ordinal never had two pods
/// at once (in the API, or with processes on the hosts), and no host runs a pod the API does not
/// have. `SKIFF_SOAK_SEED` replays a run's choice of actions.
@Suite("Chaos soak (root, multi-host)", .serialized)
struct ChaosSoakTests {
    static let replicas = 6
    static let maxSurge = 1
    static let ordinals = 3
    static let grace = 20
    static let toleration = 5
    /// How long a killed host stays down: long enough for its pods to be evicted and replaced.
    static let nodeDowntime: TimeInterval = 35

    static var seconds: Int { Int(ProcessInfo.processInfo.environment["SKIFF_SOAK_SECONDS"] ?? "") ?? 150 }

    static let manifests = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: soak}
        spec:
          replicas: \(replicas)
          selector: {matchLabels: {app: soak}}
          strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: \(maxSurge), maxUnavailable: 1}}
          template:
            metadata: {labels: {app: soak}}
            spec:
              terminationGracePeriodSeconds: 1
              containers: [{name: c, image: busybox, command: [sleep, "3600"]}]
        ---
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: ordinal}
        spec:
          replicas: \(ordinals)
          podManagementPolicy: Parallel
          serviceName: ordinal
          selector: {matchLabels: {app: ordinal}}
          template:
            metadata: {labels: {app: ordinal}}
            spec:
              terminationGracePeriodSeconds: 1
              containers: [{name: c, image: busybox, command: [sleep, "3600"]}]
        """

    enum Action: CaseIterable {
        case deletePod, restartAgent, restartServer, killNode, rollDeployment, rollStatefulSet
    }

    @Test(
        "pod deletions, agent and server restarts, node kills and rollouts under a stream of creates: both workloads converge, every acknowledged write is kept, the Deployment never exceeds replicas + maxSurge, no StatefulSet ordinal runs twice at once"
    )
    func soak() async throws {
        try await TestCluster.with(
            nodes: 3,
            serverArguments: Workloads.shortNodeLifecycle(grace: Self.grace, toleration: Self.toleration)
        ) { cluster in try await Self.run(Workloads(cluster: cluster)) }
    }

    static func run(_ kube: Workloads) async throws {
        let cluster = kube.cluster
        let seed = UInt64(ProcessInfo.processInfo.environment["SKIFF_SOAK_SEED"] ?? "") ?? UInt64.random(in: 1...UInt64(UInt32.max))
        print("chaos soak: \(seconds) s, seed \(seed) (SKIFF_SOAK_SEED replays it)")
        let start = try await kube.json("get", "pods")
        let resourceVersion = try #require((start["metadata"] as? [String: Any])?["resourceVersion"] as? String)
        let watch = try ResumingPodWatch(cluster: cluster, namespace: "default", resourceVersion: resourceVersion)
        try await kube.apply(manifests)
        try await kube.kubectl("rollout", "status", "deployment/soak", "--timeout=180s")
        try await kube.kubectl("rollout", "status", "statefulset/ordinal", "--timeout=180s")

        let end = Date().addingTimeInterval(TimeInterval(seconds))
        let (acknowledged, samples, log) = try await withThrowingTaskGroup(of: Outcome.self) { group in
            group.addTask { .writes(try await Self.writeConfigMaps(cluster, until: end)) }
            group.addTask { .samples(await Self.sampleHosts()) }
            var random = SeededGenerator(seed: seed)
            let log = try await Self.chaos(kube, until: end, random: &random)
            try await Self.converge(kube)
            group.cancelAll()
            var acknowledged: [String] = []
            var samples: [HostSample] = []
            for try await outcome in group {
                switch outcome {
                case .writes(let names): acknowledged = names
                case .samples(let taken): samples = taken
                }
            }
            return (acknowledged, samples, log)
        }
        let (events, gaps) = try watch.stop()
        print("chaos soak: \(log.count) actions: \(log.joined(separator: "; "))")
        print("chaos soak: \(acknowledged.count) ConfigMap creates acknowledged, \(events.count) pod events, \(samples.count) host samples")
        #expect(gaps == 0, "the pod watch could not resume \(gaps) times: its history has holes")
        #expect(!acknowledged.isEmpty && samples.count >= seconds / 2)

        // Every acknowledged write is there.
        let stored = Set(try await kube.items("configmaps").compactMap { ($0["metadata"] as? [String: Any])?["name"] as? String })
        let lost = acknowledged.filter { !stored.contains($0) }
        #expect(lost.isEmpty, "acknowledged creates lost: \(lost)")

        // The Deployment never had more than replicas + maxSurge active pods.
        var pods: [String: PodWatch.Event] = [:]
        var mostActive = 0
        for event in events {
            pods[event.uid] = event.type == "DELETED" ? nil : event
            let active = pods.values.filter { $0.labels["app"] as? String == "soak" && $0.isActive }.count
            mostActive = max(mostActive, active)
            #expect(active <= replicas + maxSurge, "after \(event.type) \(event.name): \(active) active pods")
        }
        print("chaos soak: at most \(mostActive) active Deployment pods (bound \(replicas + maxSurge))")
        #expect(mostActive >= replicas, "the replayed events never showed the Deployment whole")

        // An ordinal's next pod appears only once its previous one is gone from the API.
        var holder: [String: String] = [:]
        var ordinalOf: [String: String] = [:]
        for event in events where event.labels["app"] as? String == "ordinal" {
            ordinalOf[event.uid] = event.name
            if event.type == "DELETED" {
                if holder[event.name] == event.uid { holder[event.name] = nil }
                continue
            }
            if let current = holder[event.name] {
                #expect(current == event.uid, "\(event.name): pod \(event.uid) while \(current) still exists")
            }
            holder[event.name] = event.uid
        }
        // …and never had processes of two pods on the hosts at once. (The samples must have seen
        // the ordinals' processes at all, or this proves nothing.)
        let sampledOrdinals = Set(samples.flatMap(\.pods.keys)).intersection(ordinalOf.keys)
        #expect(sampledOrdinals.count >= ordinals, "the host samples saw \(sampledOrdinals.count) ordinal pods' processes")
        for sample in samples {
            var running: [String: Set<String>] = [:]
            for (uid, nodes) in sample.pods {
                #expect(nodes.count <= 1, "pod \(uid) has processes on \(nodes.sorted()) at once")
                if let name = ordinalOf[uid] { running[name, default: []].insert(uid) }
            }
            for (name, uids) in running {
                #expect(uids.count <= 1, "\(name) ran as \(uids.sorted()) at once (\(sample.at))")
            }
        }

        // No host runs a pod the API has not got.
        try await kube.eventually("every pod process on the hosts belongs to a pod of the API", timeout: 60) {
            let known = Set(try await kube.items("pods").compactMap { ($0["metadata"] as? [String: Any])?["uid"] as? String })
            return Set(Self.podsWithProcesses().keys).isSubset(of: known)
        }
    }

    enum Outcome {
        case writes([String])
        case samples([HostSample])
    }

    struct HostSample {
        let at: Date
        /// Pod UID → the hosts where its cgroup holds processes.
        let pods: [String: Set<String>]
    }

    /// Random actions until `end`, one every 3–7 s; a killed host comes back after
    /// `nodeDowntime`, and every host is up when it returns. An action the cluster refuses
    /// while a server restarts is logged and not retried: chaos, not a script.
    static func chaos(_ kube: Workloads, until end: Date, random: inout SeededGenerator) async throws -> [String] {
        let cluster = kube.cluster
        var log: [String] = []
        var down: (node: String, until: Date)?
        var round = 0
        while Date() < end {
            if let host = down, Date() >= host.until {
                try await cluster.startNode(host.node)
                log.append("start-node \(host.node)")
                down = nil
            }
            let action = Action.allCases.randomElement(using: &random)!
            let up = cluster.nodes.filter { $0 != down?.node }
            round += 1
            do {
                switch action {
                case .deletePod:
                    let victims = try await kube.items("pods").compactMap { pod -> String? in
                        let metadata = pod["metadata"] as? [String: Any] ?? [:]
                        return metadata["deletionTimestamp"] == nil ? metadata["name"] as? String : nil
                    }.sorted()
                    if let victim = victims.randomElement(using: &random) {
                        try await kube.kubectl("delete", "pod", victim, "--wait=false")
                        log.append("delete pod \(victim)")
                    }
                case .restartAgent:
                    let node = up.randomElement(using: &random)!
                    try await cluster.restartAgent(node)
                    log.append("restart-agent \(node)")
                case .restartServer:
                    try await cluster.restartServer()
                    log.append("restart-server")
                case .killNode:
                    // One host down at a time, and only when it has time to come back.
                    guard down == nil, end.timeIntervalSinceNow > nodeDowntime else { continue }
                    let node = up.randomElement(using: &random)!
                    try await cluster.killNode(node)
                    down = (node, Date().addingTimeInterval(nodeDowntime))
                    log.append("kill-node \(node)")
                case .rollDeployment:
                    try await kube.kubectl("set", "env", "deployment/soak", "ROUND=\(round)")
                    log.append("roll deployment (ROUND=\(round))")
                case .rollStatefulSet:
                    try await kube.kubectl("set", "env", "statefulset/ordinal", "ROUND=\(round)")
                    log.append("roll statefulset (ROUND=\(round))")
                }
            } catch {
                log.append("\(action) refused (\(String(describing: error).prefix(80)))")
            }
            try await Task.sleep(for: .milliseconds(Int.random(in: 3000...7000, using: &random)))
        }
        if let host = down {
            try await cluster.startNode(host.node)
            log.append("start-node \(host.node)")
        }
        return log
    }

    /// Creates ConfigMaps one after another until `end`; returns those whose create kubectl
    /// reported done (a create cut off by a server restart may or may not have been stored).
    static func writeConfigMaps(_ cluster: TestCluster, until end: Date) async throws -> [String] {
        var acknowledged: [String] = []
        var index = 0
        while Date() < end {
            index += 1
            let name = "write-\(index)"
            let output = try await cluster.kubectl(["create", "configmap", name, "--from-literal=n=\(index)", "--request-timeout=5s"])
            if output.status == 0 {
                acknowledged.append(name)
            } else {
                try await Task.sleep(for: .milliseconds(300))
            }
        }
        return acknowledged
    }

    /// Samples the hosts' pod cgroups every second until cancelled.
    static func sampleHosts() async -> [HostSample] {
        var samples: [HostSample] = []
        while !Task.isCancelled {
            samples.append(HostSample(at: Date(), pods: podsWithProcesses()))
            try? await Task.sleep(for: .seconds(1))
        }
        return samples
    }

    /// Pod UID → the cluster hosts whose `kubepods/…/pod<UID>` cgroups hold a process.
    static func podsWithProcesses() -> [String: Set<String>] {
        guard let mount = TestCluster.cgroupMounts().first(where: { FileManager.default.fileExists(atPath: $0 + "/skiff-cluster") }),
            let hosts = try? FileManager.default.contentsOfDirectory(atPath: mount + "/skiff-cluster")
        else { return [:] }
        var found: [String: Set<String>] = [:]
        for host in hosts {
            let kubepods = mount + "/skiff-cluster/" + host + "/kubepods"
            guard let walker = FileManager.default.enumerator(atPath: kubepods) else { continue }
            while let entry = walker.nextObject() as? String {
                guard entry.hasSuffix("cgroup.procs"), let uid = podUID(inPath: entry) else { continue }
                let procs = (try? String(contentsOfFile: kubepods + "/" + entry, encoding: .utf8)) ?? ""
                if !procs.isEmpty { found[uid, default: []].insert(host) }
            }
        }
        return found
    }

    /// The UID in a path's `pod<UID>` component (the cgroupfs driver's naming).
    static func podUID(inPath path: String) -> String? {
        path.split(separator: "/").first { $0.hasPrefix("pod") && $0.count == 39 }.map { String($0.dropFirst(3)) }
    }

    /// Both workloads whole on the new templates, with nothing left terminating.
    static func converge(_ kube: Workloads) async throws {
        try await kube.eventually("the Deployment and the StatefulSet converged", timeout: 240) {
            // A read the server fails (it may still be coming back) is a "not yet".
            guard let deployment = try? await kube.json("get", "deployment", "soak"),
                let statefulSet = try? await kube.json("get", "statefulset", "ordinal")
            else { return false }
            let d = deployment["status"] as? [String: Any] ?? [:]
            let s = statefulSet["status"] as? [String: Any] ?? [:]
            let generation = { (object: [String: Any]) in (object["metadata"] as? [String: Any])?["generation"] as? Int }
            let deploymentDone =
                d["observedGeneration"] as? Int == generation(deployment) && d["replicas"] as? Int == replicas
                && d["updatedReplicas"] as? Int == replicas && d["availableReplicas"] as? Int == replicas
            let statefulSetDone =
                s["observedGeneration"] as? Int == generation(statefulSet) && s["readyReplicas"] as? Int == ordinals
                && s["updatedReplicas"] as? Int == ordinals && s["currentRevision"] as? String == s["updateRevision"] as? String
            guard deploymentDone && statefulSetDone else { return false }
            let pods = (try? await kube.items("pods")) ?? [["metadata": ["deletionTimestamp": "unknown"]]]
            return pods.allSatisfy { ($0["metadata"] as? [String: Any])?["deletionTimestamp"] == nil }
        }
    }
}
