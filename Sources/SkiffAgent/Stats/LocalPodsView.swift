import FoundationEssentials
import Glibc
import SkiffAPI
import SkiffCgroups
import SkiffStats
import SkiffSystem

/// `skiff pods`: the node's pods straight from the agent's state directory and the cgroups, so
/// it works while the server (or the agent) is down — crictl's job.
public enum LocalPodsView {
    public static func render(dataDirectory: String, cgroupRoot: String = "kubepods") throws -> String {
        let hierarchy = try CgroupHierarchy.detect()
        let cgroups = PodCgroups(hierarchy: hierarchy, root: cgroupRoot, memoryCapacity: 0)
        let podsDirectory = dataDirectory + "/pods"
        var targets: [PodStatsTarget] = []
        var states: [String: String] = [:]
        for uid in (try? FileSystem.listDirectory(podsDirectory)) ?? [] {
            guard let saved = PodRecord.load(podsDirectory: podsDirectory, uid: uid) else { continue }
            let pod = saved.pod
            var containers: [ContainerStatsTarget] = []
            for state in saved.containers {
                switch state.phase {
                case .running(let id, let startedAt):
                    // The monitor may have recorded an exit the agent has not processed yet.
                    let exited = FileSystem.exists("\(dataDirectory)/containers/\(id)/exit.json")
                    states["\(uid)/\(state.name)"] = exited ? "Exited" : "Running"
                    containers.append(
                        ContainerStatsTarget(
                            name: state.name, cgroupPath: cgroups.containerPath(pod: pod, containerID: id),
                            startTime: StatsTime(seconds: Int64(startedAt.timeIntervalSince1970)), id: id, image: state.image))
                case .terminated(let termination):
                    states["\(uid)/\(state.name)"] = "Exited(\(termination.exitCode))"
                    containers.append(ContainerStatsTarget(name: state.name, cgroupPath: "", startTime: StatsTime(seconds: 0)))
                case .waiting(let reason, _):
                    states["\(uid)/\(state.name)"] = reason
                    containers.append(ContainerStatsTarget(name: state.name, cgroupPath: "", startTime: StatsTime(seconds: 0)))
                }
            }
            targets.append(
                PodStatsTarget(
                    namespace: pod.namespace, name: pod.name,
                    uid: uid, cgroupPath: cgroups.path(for: pod), hostNetwork: pod.spec.hostNetwork, containers: containers.sorted { $0.name < $1.name }))
        }
        // Two samples a quarter second apart give a CPU rate.
        let sampler = StatsSampler(hierarchy: hierarchy, minimumWindowNanoseconds: 100_000_000)
        _ = sampler.sample(targets)
        usleep(250_000)
        let snapshot = sampler.sample(targets)
        let rows = PodsTable.rows(snapshot) { uid, container in states["\(uid)/\(container)"] ?? "Unknown" }
        return PodsTable.render(rows)
    }
}
