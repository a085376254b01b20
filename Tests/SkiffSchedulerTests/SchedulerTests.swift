import SkiffAPI
import SkiffScheduler
import Testing

@Suite struct SchedulerTests {
    static func node(
        _ name: String, cpu: String = "4", memory: String = "8Gi", pods: String = "110", ready: Bool = true,
        labels: [String: String] = [:], taints: [JSON] = [], unschedulable: Bool = false
    ) -> NodeInfo {
        var allLabels = labels
        allLabels["kubernetes.io/hostname"] = name
        return NodeInfo([
            "metadata": ["name": .string(name), "labels": JSON(stringMap: allLabels)],
            "spec": ["taints": .array(taints), "unschedulable": .bool(unschedulable)],
            "status": [
                "conditions": [["type": "Ready", "status": ready ? "True" : "False"]],
                "allocatable": ["cpu": .string(cpu), "memory": .string(memory), "pods": .string(pods)],
            ],
        ])
    }

    static func pod(
        _ name: String, cpu: String? = nil, memory: String? = nil, spec extra: [String: JSON] = [:], labels: [String: String] = [:],
        owner: String? = nil, hostPort: Int64? = nil, node: String? = nil
    ) -> PodInfo {
        var resources = JSON.emptyObject
        if let cpu { resources["requests"]["cpu"] = .string(cpu) }
        if let memory { resources["requests"]["memory"] = .string(memory) }
        var container: JSON = ["name": "main", "image": "busybox", "resources": resources]
        if let hostPort { container["ports"] = [["containerPort": 80, "hostPort": .int(hostPort)]] }
        var spec: JSON = ["containers": [container]]
        for (key, value) in extra { spec[key] = value }
        if let node { spec["nodeName"] = .string(node) }
        var metadata: JSON = ["name": .string(name), "namespace": "default", "uid": .string("uid-\(name)"), "labels": JSON(stringMap: labels)]
        if let owner {
            metadata["ownerReferences"] = [["uid": .string(owner), "controller": true, "kind": "ReplicaSet", "name": "rs", "apiVersion": "apps/v1"]]
        }
        return PodInfo(["metadata": metadata, "spec": spec])
    }

    func scheduler(_ nodes: NodeInfo...) -> Scheduler {
        var scheduler = Scheduler()
        for node in nodes { scheduler.upsertNode(node) }
        return scheduler
    }

    @Test func notReadyAndCordonedNodesAreFiltered() {
        var scheduler = scheduler(Self.node("down", ready: false), Self.node("cordoned", unschedulable: true), Self.node("up"))
        #expect(scheduler.schedule(Self.pod("p")) == .bind(node: "up"))
        let onlyBad = self.scheduler(Self.node("down", ready: false))
        #expect(onlyBad.decide(Self.pod("p")) == .unschedulable(message: "0/1 nodes are available: 1 node(s) were not ready."))
    }

    @Test func requestsMustFitAllocatableMinusWhatIsBound() {
        var scheduler = scheduler(Self.node("small", cpu: "1", memory: "1Gi"))
        #expect(scheduler.schedule(Self.pod("a", cpu: "600m", memory: "512Mi")) == .bind(node: "small"))
        #expect(scheduler.decide(Self.pod("b", cpu: "600m")) == .unschedulable(message: "0/1 nodes are available: 1 Insufficient cpu."))
        #expect(scheduler.decide(Self.pod("c", memory: "600Mi")) == .unschedulable(message: "0/1 nodes are available: 1 Insufficient memory."))
        #expect(scheduler.schedule(Self.pod("d", cpu: "400m", memory: "512Mi")) == .bind(node: "small"))
        let full = self.scheduler(Self.node("tiny", pods: "0"))
        #expect(full.decide(Self.pod("e")) == .unschedulable(message: "0/1 nodes are available: 1 Too many pods."))
    }

    @Test func nodeSelectorAndRequiredNodeAffinityRestrictNodes() {
        var scheduler = scheduler(Self.node("a", labels: ["disk": "hdd", "zone": "1"]), Self.node("b", labels: ["disk": "ssd", "zone": "2"]))
        #expect(scheduler.schedule(Self.pod("p", spec: ["nodeSelector": ["disk": "ssd"]])) == .bind(node: "b"))
        let affinity: JSON = [
            "nodeAffinity": [
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    "nodeSelectorTerms": [
                        ["matchExpressions": [["key": "zone", "operator": "In", "values": ["1", "3"]]]]
                    ]
                ]
            ]
        ]
        #expect(scheduler.schedule(Self.pod("q", spec: ["affinity": affinity])) == .bind(node: "a"))
        #expect(
            scheduler.decide(Self.pod("r", spec: ["nodeSelector": ["disk": "nvme"]]))
                == .unschedulable(message: "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector."))
    }

    @Test func taintsRepelPodsWithoutMatchingTolerations() {
        let tainted = Self.node("gpu", taints: [["key": "gpu", "value": "true", "effect": "NoSchedule"]])
        var scheduler = scheduler(tainted)
        #expect(scheduler.decide(Self.pod("plain")) == .unschedulable(message: "0/1 nodes are available: 1 node(s) had untolerated taint {gpu: true}."))
        let equal: JSON = [["key": "gpu", "operator": "Equal", "value": "true", "effect": "NoSchedule"]]
        #expect(scheduler.schedule(Self.pod("tolerant", spec: ["tolerations": equal])) == .bind(node: "gpu"))
        let exists: JSON = [["operator": "Exists"]]
        #expect(scheduler.schedule(Self.pod("anything", spec: ["tolerations": exists])) == .bind(node: "gpu"))
        let preferOnly = self.scheduler(Self.node("soft", taints: [["key": "x", "effect": "PreferNoSchedule"]]))
        #expect(preferOnly.decide(Self.pod("p")) == .bind(node: "soft"))
    }

    @Test func hostPortsCannotBeClaimedTwiceOnANode() {
        var scheduler = scheduler(Self.node("a"), Self.node("b"))
        guard case .bind(let first) = scheduler.schedule(Self.pod("p1", hostPort: 8080)) else {
            Issue.record("not scheduled")
            return
        }
        guard case .bind(let second) = scheduler.schedule(Self.pod("p2", hostPort: 8080)) else {
            Issue.record("not scheduled")
            return
        }
        #expect(first != second)
        #expect(
            scheduler.decide(Self.pod("p3", hostPort: 8080))
                == .unschedulable(message: "0/2 nodes are available: 2 node(s) didn't have free ports for the requested pod ports."))
        #expect(scheduler.decide(Self.pod("p4", hostPort: 9090)) != .unschedulable(message: ""))
    }

    @Test func requiredPodAntiAffinityOnHostnameSeparatesReplicas() {
        let antiAffinity: JSON = [
            "podAntiAffinity": [
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    ["labelSelector": ["matchLabels": ["app": "db"]], "topologyKey": "kubernetes.io/hostname"]
                ]
            ]
        ]
        var scheduler = scheduler(Self.node("a"), Self.node("b"))
        var placed: Set<String> = []
        for index in 0..<2 {
            if case .bind(let node) = scheduler.schedule(Self.pod("db\(index)", spec: ["affinity": antiAffinity], labels: ["app": "db"])) {
                placed.insert(node)
            }
        }
        #expect(placed == ["a", "b"])
        #expect(
            scheduler.decide(Self.pod("db2", spec: ["affinity": antiAffinity], labels: ["app": "db"]))
                == .unschedulable(message: "0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules."))
        // Symmetric: a plain pod labelled app=db is kept away by the existing pods' terms.
        #expect(
            scheduler.decide(Self.pod("intruder", labels: ["app": "db"]))
                == .unschedulable(message: "0/2 nodes are available: 2 node(s) didn't satisfy existing pods anti-affinity rules."))
    }

    @Test func scoringPrefersLeastAllocatedNodes() {
        var scheduler = scheduler(Self.node("busy"), Self.node("idle"))
        scheduler.addPod(Self.pod("existing", cpu: "3", memory: "6Gi", node: "busy"))
        #expect(scheduler.decide(Self.pod("new", cpu: "500m", memory: "1Gi")) == .bind(node: "idle"))
    }

    @Test func scoringSpreadsPodsOfTheSameOwner() {
        var scheduler = scheduler(Self.node("a"), Self.node("b"), Self.node("c"))
        var counts: [String: Int] = [:]
        for index in 0..<6 {
            if case .bind(let node) = scheduler.schedule(Self.pod("r\(index)", owner: "rs-1")) { counts[node, default: 0] += 1 }
        }
        #expect(counts == ["a": 2, "b": 2, "c": 2])
    }

    @Test("spreading counts an owner's pods per node through node removals, pod removals and node updates")
    func spreadingFollowsRemovalsAndUpdates() {
        var scheduler = scheduler(Self.node("a"), Self.node("b"), Self.node("c"))
        scheduler.addPod(Self.pod("a1", owner: "rs-1", node: "a"))
        scheduler.addPod(Self.pod("c1", owner: "rs-1", node: "c"))
        scheduler.addPod(Self.pod("c2", owner: "rs-1", node: "c"))
        // The same pod seen again (a watch replay) counts once.
        scheduler.addPod(Self.pod("c2", owner: "rs-1", node: "c"))
        #expect(scheduler.decide(Self.pod("new", owner: "rs-1")) == .bind(node: "b"))
        // With "a" gone, "c" moves into its place; its two pods still count against it (b: 1, c: 2).
        scheduler.removeNode("a")
        scheduler.addPod(Self.pod("b1", owner: "rs-1", node: "b"))
        #expect(scheduler.decide(Self.pod("new", owner: "rs-1")) == .bind(node: "b"))
        scheduler.removePod(key: "default/c1", node: "c")
        scheduler.removePod(key: "default/c2", node: "c")
        #expect(scheduler.decide(Self.pod("new", owner: "rs-1")) == .bind(node: "c"))
        // A node's update keeps the pods it runs.
        scheduler.upsertNode(Self.node("b"))
        #expect(scheduler.decide(Self.pod("new", owner: "rs-1")) == .bind(node: "c"))
        // Another owner's pods do not count: a tie, which the first node ("b") wins.
        #expect(scheduler.decide(Self.pod("other", owner: "rs-2")) == .bind(node: "b"))
    }

    @Test func removingABoundPodFreesItsResources() {
        var scheduler = scheduler(Self.node("one", cpu: "1"))
        #expect(scheduler.schedule(Self.pod("big", cpu: "1")) == .bind(node: "one"))
        #expect(scheduler.decide(Self.pod("next", cpu: "1")) != .bind(node: "one"))
        scheduler.removePod(key: "default/big", node: "one")
        #expect(scheduler.decide(Self.pod("next", cpu: "1")) == .bind(node: "one"))
    }
}
