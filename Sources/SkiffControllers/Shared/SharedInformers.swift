import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffClient
import Synchronization

/// kube-controller-manager's shared informer factory: one informer (one list and one watch) per
/// resource however many controllers read it. Controllers ask for their informers while the
/// control plane is assembled, and register handlers then; `runnables` run afterwards, before the
/// controllers' workers. Every informer is indexed by namespace and by controlling owner.
public final class SharedInformers: Sendable {
    /// Index of every informer: the object's namespace.
    public static let byNamespace = "namespace"
    /// Index of every informer: the UID of the object's controller (`ownerReferences[controller]`).
    public static let byController = "controller"

    private let client: any ListWatchClient
    private let logger: Logger
    /// Informers by collection path, in the order they were asked for.
    private let informers = Mutex<[(path: String, informer: any Service & Sendable)]>([])

    public init(client: any ListWatchClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// The informer of `resource`, created on first use. Asking for one resource as two
    /// different models is a programming error.
    public func informer<Object: KubeObject>(_ resource: APIResource, decode: @escaping Informer<Object>.Decode) -> Informer<Object> {
        informers.withLock { informers in
            if let existing = informers.first(where: { $0.path == resource.collectionPath }) {
                guard let informer = existing.informer as? Informer<Object> else {
                    preconditionFailure("\(resource.collectionPath) is already informed as \(type(of: existing.informer))")
                }
                return informer
            }
            let informer = Informer(client: client, resourcePath: resource.collectionPath, logger: logger, decode: decode)
            informer.addIndex(Self.byNamespace) { [$0.metadata.namespace] }
            informer.addIndex(Self.byController) { object in object.metadata.controllerRef.map { [$0.uid] } ?? [] }
            informers.append((resource.collectionPath, informer))
            return informer
        }
    }

    public var pods: Informer<Pod> { informer(.pods) { try Pod(json: $0) } }
    public var nodes: Informer<KubeNode> { informer(.nodes) { try KubeNode(json: $0) } }
    public var services: Informer<KubeService> { informer(.services) { try KubeService(json: $0) } }
    public var endpointSlices: Informer<EndpointSlice> { informer(.endpointSlices) { try EndpointSlice(json: $0) } }
    public var endpoints: Informer<KubeEndpoints> { informer(.endpoints) { try KubeEndpoints(json: $0) } }

    /// Every informer asked for so far, to run as services before (and stop after) the
    /// controllers that read them.
    public var runnables: [any Service] { informers.withLock { $0.map(\.informer) } }
}

extension Informer where Object: KubeObject {
    /// The cached objects in `namespace` (informers from `SharedInformers`).
    public func objects(in namespace: String) -> [Object] { objects(index: SharedInformers.byNamespace, value: namespace) }

    /// The cached objects whose controller has `uid` (informers from `SharedInformers`).
    public func objects(controlledBy uid: String) -> [Object] { objects(index: SharedInformers.byController, value: uid) }
}
