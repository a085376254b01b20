import Logging
import ServiceLifecycle
import SkiffAPI
import Synchronization

/// Lists and watches the pods bound to this node and feeds them to the pod manager; relists
/// when the watch ends or the server says its resourceVersion is too old.
struct PodSource: Service {
    let client: APIClient
    let nodeName: String
    let manager: PodManager
    let logger: Logger

    func run() async {
        await cancelWhenGracefulShutdown { await watchForever() }
    }

    private func watchForever() async {
        let selector = "spec.nodeName%3D\(nodeName)"
        while !Task.isCancelled {
            do {
                let list = try await client.get("/api/v1/pods?fieldSelector=\(selector)")
                var present: Set<String> = []
                for item in list["items"].array ?? [] {
                    guard let pod = decode(item) else { continue }
                    present.insert(pod.uid)
                    await manager.apply(pod)
                }
                await manager.reconcile(present: present)
                let cursor = WatchCursor(resourceVersion: list["metadata"]["resourceVersion"].string ?? "0")
                while !Task.isCancelled {
                    try await client.watch(
                        "/api/v1/pods?watch=true&allowWatchBookmarks=true&timeoutSeconds=300&fieldSelector=\(selector)&resourceVersion=\(cursor.resourceVersion)"
                    ) { event in
                        // An ERROR's object is a Status, not a pod.
                        guard event.type != "ERROR" else {
                            cursor.expired = true
                            return
                        }
                        // BOOKMARKs carry a pod with only its resourceVersion.
                        guard let pod = decode(event.object) else { return }
                        if let version = pod.resourceVersion { cursor.resourceVersion = version }
                        switch event.type {
                        case "ADDED", "MODIFIED": await manager.apply(pod)
                        case "DELETED": await manager.remove(uid: pod.uid)
                        default: break
                        }
                    }
                    if cursor.expired { break }
                }
            } catch {
                logger.warning("pod watch failed; relisting", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// The pod, or nil (logged) when the server sent one the model cannot read: it is skipped
    /// rather than run from a guess.
    private func decode(_ object: JSON) -> Pod? {
        do {
            return try Pod(json: object)
        } catch {
            logger.warning("ignoring a pod that cannot be decoded", metadata: ["error": "\(error)"])
            return nil
        }
    }
}

/// Where a watch resumes: the last resourceVersion seen, and whether the server said it expired.
private final class WatchCursor: Sendable {
    private let state: Mutex<(resourceVersion: String, expired: Bool)>

    init(resourceVersion: String) { state = Mutex((resourceVersion, false)) }

    var resourceVersion: String {
        get { state.withLock { $0.resourceVersion } }
        set { state.withLock { $0.resourceVersion = newValue } }
    }

    var expired: Bool {
        get { state.withLock { $0.expired } }
        set { state.withLock { $0.expired = newValue } }
    }
}
