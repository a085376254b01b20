import FoundationEssentials
import SkiffAPI
import SkiffRegistry

/// A container whose image failed to pull: no new pull before `until` (the kubelet's image
/// back-off, doubling from the restart back-off's start to its cap).
struct ImagePullBackOff: Sendable {
    var image: String
    var until: Date
    var delay: Double
    var message: String
}

extension PodWorker {
    /// The container's image under its pull policy: Never uses only what the node has,
    /// IfNotPresent pulls when it is missing, Always asks the registry every time (a pull of an
    /// unchanged image only fetches the manifest) unless the image was imported. Records Pulling, Pulled and Failed events and
    /// throws ErrImagePull, ImagePullBackOff or ErrImageNeverPull as the container's reason.
    func ensureImage(_ spec: Container) async throws -> ResolvedImage {
        let reference = spec.image
        let present = try? context.images.resolve(reference)
        switch spec.imagePullPolicy {
        case .never:
            guard let present else {
                throw ContainerRuntimeError(
                    reason: "ErrImageNeverPull",
                    message: "Container image \"\(reference)\" is not present with pull policy of Never; import it with `skiff image import`")
            }
            return present
        case .ifNotPresent:
            if let present {
                context.status.record(pod: pod, container: spec.name, reason: "Pulled", message: "Container image \"\(reference)\" already present on machine")
                return present
            }
        case .always:
            // Unlike the kubelet, an image imported with `skiff image import` (an air-gapped node's
            // images, the tests' busybox) is used as it is: no registry has it to ask.
            if let present, present.imported {
                context.status.record(
                    pod: pod, container: spec.name, reason: "Pulled",
                    message: "Container image \"\(reference)\" already present on machine (imported, not pulled)")
                return present
            }
        }
        if let backOff = imagePullBackOffs[spec.name], backOff.image == reference, Date() < backOff.until {
            context.status.record(pod: pod, container: spec.name, reason: "BackOff", message: "Back-off pulling image \"\(reference)\"")
            throw ContainerRuntimeError(reason: "ImagePullBackOff", message: "Back-off pulling image \"\(reference)\": \(backOff.message)")
        }
        context.status.record(pod: pod, container: spec.name, reason: "Pulling", message: "Pulling image \"\(reference)\"")
        let started = ContinuousClock.now
        do {
            let size = try await context.images.pull(reference, credentials: await pullSecretCredentials())
            imagePullBackOffs[spec.name] = nil
            context.status.record(
                pod: pod, container: spec.name, reason: "Pulled",
                message: "Successfully pulled image \"\(reference)\" in \(PulledImage.describe(ContinuousClock.now - started)). Image size: \(size) bytes.")
            return try context.images.resolve(reference)
        } catch {
            let message = "Failed to pull image \"\(reference)\": \(error)"
            let previous = imagePullBackOffs[spec.name].flatMap { $0.image == reference ? $0.delay : nil }
            let delay = previous.map { min($0 * 2, context.configuration.maxBackoffSeconds) } ?? context.configuration.initialBackoffSeconds
            imagePullBackOffs[spec.name] = ImagePullBackOff(image: reference, until: Date().addingTimeInterval(delay), delay: delay, message: message)
            context.status.record(pod: pod, container: spec.name, type: "Warning", reason: "Failed", message: message)
            throw ContainerRuntimeError(reason: "ErrImagePull", message: message)
        }
    }

    /// The registry credentials of the pod's `kubernetes.io/dockerconfigjson` imagePullSecrets.
    /// A secret that is missing or of another type is skipped with a warning, as the kubelet does:
    /// the pull may still succeed without it.
    func pullSecretCredentials() async -> [DockerConfig] {
        var configs: [DockerConfig] = []
        for name in pod.spec.imagePullSecrets {
            do {
                let secret = try await context.volumes.client.get("/api/v1/namespaces/\(pod.namespace)/secrets/\(name)")
                guard secret["type"].string == "kubernetes.io/dockerconfigjson", let encoded = secret["data"][".dockerconfigjson"].string,
                    let bytes = Data(base64Encoded: encoded)
                else {
                    logger.warning("imagePullSecret \(name) is not a kubernetes.io/dockerconfigjson Secret; pulling without it")
                    continue
                }
                configs.append(try DockerConfig(json: Array(bytes)))
            } catch {
                logger.warning("imagePullSecret \(name) is unusable, pulling without it: \(error)")
            }
        }
        return configs
    }
}
