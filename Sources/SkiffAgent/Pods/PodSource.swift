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
                    // A pod that no longer decodes is still there: its worker keeps what it runs.
                    present.insert(Pod.identity(of: item).uid)
                    if let pod = await decode(item) { await manager.apply(pod) }
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
                        // BOOKMARKs carry a pod with only its resourceVersion; a DELETED one
                        // needs no more than its uid, even if it never decoded.
                        let identity = Pod.identity(of: event.object)
                        if let version = identity.resourceVersion { cursor.resourceVersion = version }
                        switch event.type {
                        case "ADDED", "MODIFIED":
                            if let pod = await decode(event.object) { await manager.apply(pod) }
                        case "DELETED": await manager.remove(uid: identity.uid)
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

    /// The pod, or nil when the server sent one the model cannot read: it is not run from a
    /// guess, and the manager says why in an event.
    private func decode(_ object: JSON) async -> Pod? {
        do {
            return try Pod(json: object)
        } catch {
            await manager.reject(object, because: error)
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
