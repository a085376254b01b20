import Logging
import ServiceLifecycle
import SkiffAPI
import SkiffStore

/// Keeps the API's pod CIDR allocator in step with the stored Nodes, as the NamespaceCache keeps
/// namespaces: lists them, then follows their watch. A deleted Node's range is released, a range
/// stored by anyone (this server's create path, an operator, another server on the same etcd)
/// is held. Handing ranges to Nodes that registered without one is the node IPAM controller's,
/// through the API.
public struct PodCIDRTracker: Service {
    let api: KubeAPI
    let logger: Logger

    public init(api: KubeAPI, logger: Logger) {
        self.api = api
        self.logger = logger
    }

    public func run() async throws {
        await ControllerInput.runRestarting("pod CIDR tracker", logger: logger, interval: .seconds(1)) { [api] in
            try await Self.follow(api)
        }
    }

    /// One list and watch, until the store ends the watch.
    static func follow(_ api: KubeAPI) async throws {
        let store = api.store
        let prefix = CoreResources.node.prefix(namespace: nil)
        let revision = try await store.currentRevision()
        let events = try await store.watch(prefix: prefix, afterRevision: revision)
        var ranges: [PodCIDRAllocator.StoredRange] = []
        for item in try await ControllerInput.listAll(store: store, prefix: prefix, revision: revision) {
            guard let node = try? api.decode(item) else { continue }
            ranges += KubeAPI.storedRanges(of: node, revision: item.createRevision)
        }
        api.podCIDRAllocator.reconcile(ranges, at: revision)
        for await event in events {
            guard let node = try? api.decode(event.value, revision: event.revision) else { continue }
            for range in KubeAPI.storedRanges(of: node, revision: event.revision) {
                if event.kind == .deleted {
                    api.podCIDRAllocator.release(range.cidr, node: range.node, revision: event.revision)
                } else {
                    api.podCIDRAllocator.occupy(range.cidr, node: range.node, revision: event.revision)
                }
            }
        }
    }
}
