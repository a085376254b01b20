import Logging
import SkiffAPI

/// The services every pod worker shares.
struct AgentContext: Sendable {
    let configuration: AgentConfiguration
    let runtime: any ContainerRuntime
    let sandboxes: any PodSandboxes
    let images: any ImageProvider
    let volumes: VolumeManager
    let environment: EnvironmentResolver
    let cgroups: PodCgroups
    let status: any PodStatusSink
    let specBuilder: ContainerSpecBuilder
    let exits: any ContainerExitEvents
    let hostIP: String
    let logger: Logger

    /// `<namespace>_<name>_<uid>`, the kubelet's layout that log collectors expect.
    func podLogDirectory(_ pod: Pod) -> String {
        "\(configuration.podLogDirectory)/\(pod.namespace)_\(pod.name)_\(pod.uid)"
    }

    func containerDirectory(_ id: String) -> String { configuration.containersDirectory + "/" + id }
}
