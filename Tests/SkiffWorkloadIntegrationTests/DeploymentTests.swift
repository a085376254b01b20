import Foundation
import SkiffTestSupport
import Testing

/// Deployments on `scripts/cluster` hosts with real agents, driven by real kubectl: replicas kept
/// through deletions and crashes, a rolling update watched pod event by pod event, and the
/// `kubectl rollout` commands. One cluster for all of it (each costs ~30 s to bring up).
@Suite("Deployments (root, multi-host)", .serialized)
struct DeploymentTests {
    @Test(
        "kubectl create deployment runs its replicas; a deleted pod is replaced, a killed container restarted; a rolling update of 6 stays within maxSurge and maxUnavailable at every pod event; rollout history, undo, restart, pause and resume, set env/image/resources and scale work; a server killed mid-rollout finishes it after its restart"
    )
    func deployments() async throws {
        try await TestCluster.with(nodes: 2) { cluster in
            let workloads = Workloads(cluster: cluster)
            try await selfHealing(workloads)
            try await rollingUpdateBounds(workloads)
            try await rolloutCommands(workloads)
            try await serverKilledMidRollout(workloads)
        }
    }

    // MARK: - checks

    /// `kubectl create deployment` → 3 Running; a deleted pod is replaced by a new one; a container
    /// killed on its host is restarted by its agent and the pod stays (the set keeps 3).
    func selfHealing(_ workloads: Workloads) async throws {
        try await workloads.kubectl("create", "deployment", "web", "--image=busybox", "--replicas=3", "--", "sleep", "3600")
        var pods = try await runningPods(workloads, selector: "app=web", count: 3)
        let hosts = Set(pods.compactMap { ($0["spec"] as? [String: Any])?["nodeName"] as? String })
        #expect(!hosts.isEmpty)

        let deleted = name(of: pods[0])
        try await workloads.kubectl("delete", "pod", deleted, "--wait=false")
        pods = try await runningPods(workloads, selector: "app=web", count: 3, without: [deleted])
        #expect(!pods.map(name).contains(deleted))

        // Kill the container's process on its host: the agent restarts it in the same pod.
        let victim = pods[0]
        let uid = try #require((victim["metadata"] as? [String: Any])?["uid"] as? String)
        let pid = try containerProcess(podUID: uid, command: "sleep 3600")
        _ = try await Tools.run("/bin/kill", ["-9", String(pid)])
        try await workloads.eventually("\(name(of: victim)) restarted in place", timeout: 90) {
            let pod = try await workloads.json("get", "pod", name(of: victim))
            let statuses = (pod["status"] as? [String: Any])?["containerStatuses"] as? [[String: Any]] ?? []
            return (statuses.first?["restartCount"] as? Int ?? 0) >= 1 && statuses.first?["ready"] as? Bool == true
        }
        let after = try await runningPods(workloads, selector: "app=web", count: 3)
        #expect(Set(after.map(name)) == Set(pods.map(name)), "the same three pods, none replaced")
        let replicaSet = try await workloads.items("rs", selector: "app=web")
        #expect(replicaSet.count == 1)
        #expect(((replicaSet.first?["status"] as? [String: Any])?["readyReplicas"] as? Int) == 3)
    }

    /// A rolling update of 6 replicas (maxSurge 1, maxUnavailable 1, a readiness probe so ready
    /// lags running), watched through `kubectl get pods -w` for the whole rollout: after every
    /// event at most 7 pods are active and (once the watch has listed them all) at least 5 ready.
    func rollingUpdateBounds(_ workloads: Workloads) async throws {
        try await workloads.apply(Self.roll)
        try await workloads.kubectl("rollout", "status", "deployment/roll", "--timeout=180s")
        let watch = try await PodWatch(cluster: workloads.cluster, selector: "app=roll")
        // Let the watch list the current pods before the rollout starts.
        try await Task.sleep(for: .seconds(2))
        try await workloads.kubectl("set", "env", "deployment/roll", "VERSION=2")
        try await workloads.kubectl("rollout", "status", "deployment/roll", "--timeout=240s")
        try await Task.sleep(for: .seconds(2))
        let events = try watch.stop()

        var pods: [String: PodWatch.Event] = [:]
        var armed = false
        var (maxActive, minReady) = (0, Int.max)
        for event in events {
            if event.type == "DELETED" { pods[event.name] = nil } else { pods[event.name] = event }
            let active = pods.values.filter(\.isActive).count
            let ready = pods.values.filter(\.isReady).count
            // Until the watch has listed all six, the count says nothing about the rollout.
            if ready >= 6 { armed = true }
            guard armed else { continue }
            maxActive = max(maxActive, active)
            minReady = min(minReady, ready)
            #expect(active <= 7, "after \(event.type) \(event.name): \(active) active pods")
            #expect(ready >= 5, "after \(event.type) \(event.name): \(ready) ready pods")
        }
        let hashes = Set(events.compactMap(\.templateHash))
        #expect(armed && hashes.count == 2, "the watch saw both revisions' pods: \(hashes), \(events.count) events")
        let finalHash = try await template(workloads, "roll")
        #expect(pods.values.filter { $0.isReady && $0.templateHash == finalHash }.count == 6)
        print("rolling update of 6: \(events.count) pod events, at most \(maxActive) active, at least \(minReady) ready")

        let history = try await workloads.kubectl("rollout", "history", "deployment/roll")
        #expect(revisions(history) == [1, 2], "\(history)")
    }

    /// `rollout undo` (to the previous and to a given revision), `rollout restart`, `rollout
    /// pause` holding `set env|image|resources` back until `rollout resume`, and `scale`.
    func rolloutCommands(_ workloads: Workloads) async throws {
        try await workloads.kubectl("rollout", "undo", "deployment/roll")
        try await workloads.kubectl("rollout", "status", "deployment/roll", "--timeout=240s")
        #expect(try await environment(workloads).isEmpty)
        var history = try await workloads.kubectl("rollout", "history", "deployment/roll")
        let sets = try await workloads.kubectl("get", "rs", "-l", "app=roll", "--show-labels")
        #expect(revisions(history) == [2, 3], "\(history)\n\(sets)")
        try await workloads.kubectl("rollout", "undo", "deployment/roll", "--to-revision=2")
        try await workloads.kubectl("rollout", "status", "deployment/roll", "--timeout=240s")
        #expect(try await environment(workloads) == "VERSION=2")
        history = try await workloads.kubectl("rollout", "history", "deployment/roll")
        #expect(revisions(history) == [3, 4], "\(history)")
        let revisionFour = try await workloads.kubectl("rollout", "history", "deployment/roll", "--revision=4")
        #expect(revisionFour.range(of: #"VERSION:\s+2"#, options: .regularExpression) != nil, "\(revisionFour)")

        let before = Set(try await runningPods(workloads, selector: "app=roll", count: 6).map(name))
        try await workloads.kubectl("rollout", "restart", "deployment/roll")
        try await workloads.kubectl("rollout", "status", "deployment/roll", "--timeout=240s")
        let restarted = Set(try await runningPods(workloads, selector: "app=roll", count: 6).map(name))
        #expect(restarted.isDisjoint(with: before), "every pod replaced: \(before) → \(restarted)")

        try await workloads.kubectl("rollout", "pause", "deployment/roll")
        let setsBefore = try await workloads.items("rs", selector: "app=roll").count
        try await workloads.kubectl("set", "env", "deployment/roll", "VERSION=5")
        try await workloads.kubectl("set", "image", "deployment/roll", "c=busybox:latest")
        try await workloads.kubectl("set", "resources", "deployment/roll", "-c=c", "--limits=memory=64Mi")
        try await Task.sleep(for: .seconds(4))
        #expect(try await workloads.items("rs", selector: "app=roll").count == setsBefore, "paused: no new ReplicaSet")
        #expect(Set(try await runningPods(workloads, selector: "app=roll", count: 6).map(name)) == restarted, "paused: no pod replaced")
        let paused = try await workloads.json("get", "deployment", "roll")
        #expect(condition(paused, "Progressing")?["reason"] as? String == "DeploymentPaused")
        try await workloads.kubectl("rollout", "resume", "deployment/roll")
        try await workloads.kubectl("rollout", "status", "deployment/roll", "--timeout=240s")
        let resumed = try await runningPods(workloads, selector: "app=roll", count: 6)
        #expect(Set(resumed.map(name)).isDisjoint(with: restarted))
        for pod in resumed {
            let container = ((pod["spec"] as? [String: Any])?["containers"] as? [[String: Any]])?.first ?? [:]
            let env = (container["env"] as? [[String: Any]] ?? []).map { "\($0["name"] ?? "")=\($0["value"] ?? "")" }
            #expect(env == ["VERSION=5"] && container["image"] as? String == "busybox:latest", "\(container)")
            #expect(((container["resources"] as? [String: Any])?["limits"] as? [String: Any])?["memory"] as? String == "64Mi")
        }

        try await workloads.kubectl("scale", "deployment/roll", "--replicas=3")
        _ = try await runningPods(workloads, selector: "app=roll", count: 3)
        try await workloads.eventually("the Deployment reports 3 replicas") {
            let status = try await workloads.json("get", "deployment", "roll")["status"] as? [String: Any] ?? [:]
            return status["replicas"] as? Int == 3 && status["availableReplicas"] as? Int == 3 && status["updatedReplicas"] as? Int == 3
        }
        let table = try await workloads.kubectl("get", "deployment", "roll")
        #expect(table.contains("3/3"), "\(table)")
    }

    /// The server is killed (SIGKILL) in the middle of a rolling update and started again: the
    /// rollout finishes, and no pod was created twice (each new pod's SuccessfulCreate event,
    /// stored before the kill or after, counts it once; a stale cache after the restart would
    /// have made more).
    func serverKilledMidRollout(_ workloads: Workloads) async throws {
        try await workloads.apply(
            Self.roll.replacingOccurrences(of: "{name: roll}", with: "{name: crash}").replacingOccurrences(of: "app: roll", with: "app: crash"))
        try await workloads.kubectl("rollout", "status", "deployment/crash", "--timeout=180s")
        try await workloads.kubectl("set", "env", "deployment/crash", "VERSION=2")
        try await workloads.eventually("the rollout under way", timeout: 60) {
            let sets = try await workloads.items("rs", selector: "app=crash")
            let new = sets.first { revision(of: $0) == 2 }
            let replicas = ((new?["status"] as? [String: Any])?["replicas"] as? Int) ?? 0
            return replicas >= 1 && replicas < 6
        }
        try await workloads.cluster.restartServer()
        try await workloads.kubectl("rollout", "status", "deployment/crash", "--timeout=240s")
        let sets = try await workloads.items("rs", selector: "app=crash")
        let replicas = sets.map { ((($0["spec"] as? [String: Any])?["replicas"]) as? Int) ?? -1 }.sorted()
        #expect(replicas == [0, 6])
        let newest = try #require(sets.first { revision(of: $0) == 2 })
        let pods = try await runningPods(workloads, selector: "app=crash", count: 6)
        let hash = ((newest["metadata"] as? [String: Any])?["labels"] as? [String: Any])?["pod-template-hash"] as? String
        #expect(pods.allSatisfy { (($0["metadata"] as? [String: Any])?["labels"] as? [String: Any])?["pod-template-hash"] as? String == hash })
        let events = try await workloads.items("events")
        let created = events.filter { event in
            let involved = event["involvedObject"] as? [String: Any] ?? [:]
            return event["reason"] as? String == "SuccessfulCreate" && involved["name"] as? String == name(of: newest)
        }.reduce(0) { $0 + (($1["count"] as? Int) ?? 1) }
        #expect(created <= 6, "\(created) pods created for \(name(of: newest))")
    }

    // MARK: - helpers

    static let roll = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: roll}
        spec:
          replicas: 6
          selector: {matchLabels: {app: roll}}
          strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 1}}
          template:
            metadata: {labels: {app: roll}}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: c
                image: busybox
                command: [sleep, "3600"]
                readinessProbe: {exec: {command: ["true"]}, initialDelaySeconds: 2, periodSeconds: 1}
        """

    /// Waits for `count` active pods matching `selector`, every one Running and ready (none of
    /// `without`); returns them.
    func runningPods(_ workloads: Workloads, selector: String, count: Int, without: Set<String> = []) async throws -> [[String: Any]] {
        var found: [[String: Any]] = []
        try await workloads.eventually("\(count) ready pods with \(selector)", timeout: 180) {
            let active = try await workloads.items("pods", selector: selector).filter { pod in
                (pod["metadata"] as? [String: Any])?["deletionTimestamp"] == nil && !without.contains(name(of: pod))
            }
            found = active
            return active.count == count
                && active.allSatisfy { pod in
                    let status = pod["status"] as? [String: Any] ?? [:]
                    let statuses = status["containerStatuses"] as? [[String: Any]] ?? []
                    return status["phase"] as? String == "Running" && !statuses.isEmpty && statuses.allSatisfy { $0["ready"] as? Bool == true }
                }
        }
        return found
    }

    func name(of object: [String: Any]) -> String { (object["metadata"] as? [String: Any])?["name"] as? String ?? "" }

    /// The pid of the process running `command` in the pod's cgroup, read from /proc (the hosts
    /// share this machine's pid namespace).
    func containerProcess(podUID: String, command: String) throws -> Int32 {
        let candidates = try FileManager.default.contentsOfDirectory(atPath: "/proc").compactMap(Int32.init)
        let matches = candidates.filter { pid in
            guard let cgroup = try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8), cgroup.contains("pod\(podUID)"),
                let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline")
            else { return false }
            return String(decoding: cmdline, as: UTF8.self).replacingOccurrences(of: "\0", with: " ").trimmingCharacters(in: .whitespaces) == command
        }
        guard matches.count == 1, let pid = matches.first else { throw Tools.Failure("one \(command) in pod \(podUID) expected, found \(matches)") }
        return pid
    }

    /// The revision numbers `kubectl rollout history` lists.
    func revisions(_ history: String) -> [Int] { Tools.rows(history).compactMap { $0.first.flatMap(Int.init) } }

    /// The pod-template-hash of the Deployment's newest ReplicaSet.
    func template(_ workloads: Workloads, _ deployment: String) async throws -> String? {
        let sets = try await workloads.items("rs", selector: "app=\(deployment)")
        let newest = sets.max { revision(of: $0) < revision(of: $1) }
        return ((newest?["metadata"] as? [String: Any])?["labels"] as? [String: Any])?["pod-template-hash"] as? String
    }

    func revision(of set: [String: Any]) -> Int {
        Int(((set["metadata"] as? [String: Any])?["annotations"] as? [String: Any])?["deployment.kubernetes.io/revision"] as? String ?? "") ?? 0
    }

    /// `NAME=VALUE` of the Deployment's container's env, comma separated.
    func environment(_ workloads: Workloads) async throws -> String {
        let deployment = try await workloads.json("get", "deployment", "roll")
        let template = ((deployment["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any]
        let container = (template?["containers"] as? [[String: Any]])?.first ?? [:]
        return (container["env"] as? [[String: Any]] ?? []).map { "\($0["name"] ?? "")=\($0["value"] ?? "")" }.joined(separator: ",")
    }

    func condition(_ object: [String: Any], _ type: String) -> [String: Any]? {
        ((object["status"] as? [String: Any])?["conditions"] as? [[String: Any]])?.first { $0["type"] as? String == type }
    }
}
