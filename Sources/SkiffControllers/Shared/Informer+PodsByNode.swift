import SkiffAPI
import SkiffClient

extension Informer where Object == Pod {
    /// Index name: the node a pod is bound to.
    static var byNodeIndex: String { "node" }

    /// Indexes the pods by the node they are bound to (the controllers that ask share the one
    /// index; asking again only rebuilds it). Call before the informer runs.
    public func indexByNode() {
        addIndex(Self.byNodeIndex) { pod in (pod.spec.nodeName ?? "").isEmpty ? [] : [pod.spec.nodeName ?? ""] }
    }

    /// The cached pods bound to `node` (after `indexByNode`).
    public func pods(onNode node: String) -> [Pod] { objects(index: Self.byNodeIndex, value: node) }
}
