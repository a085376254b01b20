import FoundationEssentials
import Logging
import SkiffAPI
import SkiffClient
import SkiffImages

/// The image collector's view of this agent: the node's image store on its file system, the
/// images the pods on this node name (spec and running container, init containers included,
/// whether the container runs, waits or has ended), and node events through the recorder.
struct AgentImageGCHost: ImageGCHost {
    let store: ImageStore
    let manager: PodManager
    let recorder: EventRecorder
    let nodeName: String
    let logger: Logger

    func usage() async -> (capacity: Int64, available: Int64)? {
        let store = store
        return await blocking {
            guard let usage = try? store.fileSystemUsage() else { return nil }
            return (usage.capacityBytes, usage.availableBytes)
        }
    }

    func images() async -> [ImageGCCandidate] {
        var references: Set<String> = []
        for worker in await manager.allWorkers() {
            for spec in await worker.pod.spec.allContainers where spec.image != hostProcessImage { references.insert(spec.image) }
            for state in await worker.containers.values where !state.imageID.isEmpty { references.insert(state.imageID) }
        }
        let store = store
        let logger = logger
        let named = references
        return await blocking {
            let records: [ImageRecord]
            do {
                records = try store.list()
            } catch {
                logger.warning("image garbage collection cannot list images", metadata: ["error": "\(error)"])
                return []
            }
            var used = (try? store.mountedImageDigests(records)) ?? Set(records.map(\.digest))
            for reference in named {
                if let record = try? store.resolve(reference) { used.insert(record.digest) }
            }
            return records.map { record in
                let inUse = used.contains(record.digest)
                // As the kubelet's image manager: an image seen in use was last used now.
                if inUse { store.markUsed(record) }
                return ImageGCCandidate(
                    digest: record.digest, name: record.names.first ?? record.id, sizeBytes: store.diskBytes(record),
                    storedAt: store.storedAt(record).timeIntervalSince1970, lastUsed: store.lastUsed(record).timeIntervalSince1970, inUse: inUse)
            }
        }
    }

    func remove(digest: String) async throws -> Int64 {
        let store = store
        return try await blocking { try store.delete(digest: digest).freedBytes }
    }

    func removeUnreferencedBlobs() async -> Int64 {
        let store = store
        let logger = logger
        return await blocking {
            do {
                guard let sweep = try store.removeUnreferencedBlobs() else {
                    logger.info("unreferenced blobs kept: a pull is under way")
                    return 0
                }
                if !sweep.digests.isEmpty {
                    logger.notice("removed unreferenced blobs", metadata: ["blobs": "\(sweep.digests.count)", "bytes": "\(sweep.bytes)"])
                }
                return sweep.bytes
            } catch {
                logger.warning("cannot remove unreferenced blobs", metadata: ["error": "\(error)"])
                return 0
            }
        }
    }

    func warn(reason: String, message: String) {
        // The kubelet's node reference: a Node whose uid is its name; its events go to "default".
        let involved: JSON = ["kind": "Node", "apiVersion": "v1", "name": .string(nodeName), "uid": .string(nodeName)]
        recorder.record(
            namespace: "default",
            EventRecorder.event(involved: involved, type: "Warning", reason: reason, message: message, component: "kubelet", host: nodeName))
    }
}
