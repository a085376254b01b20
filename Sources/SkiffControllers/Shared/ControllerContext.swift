import Logging
import SkiffClient

/// What every controller is built from (kube-controller-manager's ControllerContext): the API
/// client, the shared informers, one event recorder and a logger. The control plane makes one
/// and runs `recorder` and `informers.runnables` beside the controllers.
public struct ControllerContext: Sendable {
    public let client: any ControllerClient
    public let informers: SharedInformers
    public let recorder: EventRecorder
    public let logger: Logger

    public init(client: any ControllerClient, logger: Logger) {
        self.client = client
        self.informers = SharedInformers(client: client, logger: logger)
        self.recorder = EventRecorder(component: "skiff-controller-manager", writer: client, logger: logger)
        self.logger = logger
    }

    /// The pod control of the controller named `component`.
    public func podControl(component: String) -> PodControl { PodControl(client: client, recorder: recorder, component: component) }
}
