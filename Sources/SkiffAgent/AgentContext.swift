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

    func podLogDirectory(_ pod: JSON) -> String {
        let meta = pod["metadata"]
        return "\(configuration.podLogDirectory)/\(meta["namespace"].string ?? "default")_\(meta["name"].string ?? "")_\(meta["uid"].string ?? "")"
    }

    func containerDirectory(_ id: String) -> String { configuration.containersDirectory + "/" + id }
}
