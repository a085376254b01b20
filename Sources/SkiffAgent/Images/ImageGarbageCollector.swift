import FoundationEssentials
import Logging
import ServiceLifecycle

/// The kubelet's image garbage collector: every period it measures the image filesystem and,
/// when usage is at or above the high threshold, removes unused images, least recently used
/// first, until the bytes to get under the low threshold are freed. Images a container uses are
/// never removed; blobs no image references go first.
actor ImageGarbageCollector: Service {
    let policy: ImageGCPolicy
    let host: any ImageGCHost
    let logger: Logger

    init(policy: ImageGCPolicy, host: any ImageGCHost, logger: Logger) {
        self.policy = policy
        self.host = host
        self.logger = logger
    }

    func run() async {
        await cancelWhenGracefulShutdown {
            // With collection off (a high threshold of 100) a pass does nothing; the loop stays,
            // since a service that returns ends the agent's ServiceGroup.
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(self.policy.periodSeconds))
                await self.collect()
            }
        }
    }

    /// What one pass did.
    struct Pass: Sendable, Equatable {
        /// Nil when usage was under the high threshold.
        var bytesToFree: Int64?
        var freedBytes: Int64 = 0
        /// Digests of the removed images, in removal order.
        var removed: [String] = []
    }

    /// One pass, as the kubelet's GarbageCollect: a FreeDiskSpaceFailed event when the images
    /// that may go do not free enough.
    @discardableResult
    func collect(now: Date = Date()) async -> Pass {
        guard let (capacity, available) = await host.usage() else {
            logger.warning("image garbage collection skipped: cannot measure the image filesystem")
            return Pass()
        }
        guard capacity > 0 else {
            host.warn(reason: "InvalidDiskCapacity", message: "invalid capacity 0 on image filesystem")
            return Pass()
        }
        guard let amount = policy.bytesToFree(capacity: capacity, available: available) else { return Pass() }
        let usage = 100 - Int(min(available, capacity) * 100 / capacity)
        logger.notice(
            "Disk usage on image filesystem is over the high threshold, trying to free bytes down to the low threshold",
            metadata: [
                "usage": "\(usage)", "highThreshold": "\(policy.highThresholdPercent)", "amountToFree": "\(amount)",
                "lowThreshold": "\(policy.lowThresholdPercent)",
            ])
        var pass = Pass(bytesToFree: amount)
        pass.freedBytes = await host.removeUnreferencedBlobs()
        for image in policy.removalOrder(await host.images(), now: now.timeIntervalSince1970) {
            if pass.freedBytes >= amount { break }
            logger.notice("Removing image to free bytes", metadata: ["image": "\(image.name)", "imageID": "\(image.digest)", "size": "\(image.sizeBytes)"])
            do {
                pass.freedBytes += try await host.remove(digest: image.digest)
                pass.removed.append(image.digest)
            } catch {
                logger.warning("Failed to remove image", metadata: ["image": "\(image.name)", "error": "\(error)"])
            }
        }
        if pass.freedBytes < amount {
            let message =
                "Failed to garbage collect required amount of images. Attempted to free \(amount) bytes, but only found \(pass.freedBytes) bytes eligible to free."
            logger.error("Image garbage collection failed", metadata: ["error": "\(message)"])
            host.warn(reason: "FreeDiskSpaceFailed", message: message)
        }
        return pass
    }
}
