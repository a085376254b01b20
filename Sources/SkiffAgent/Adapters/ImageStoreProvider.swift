import SkiffImages
import SkiffRegistry
import SkiffSystem

/// The agent's images: the node's image store, the registries it pulls from, and an overlay
/// per container.
struct ImageStoreProvider: ImageProvider {
    let store: ImageStore
    let puller: ImagePuller
    let nodeAuthFile: String?

    init(configuration: AgentConfiguration) {
        store = ImageStore(root: configuration.imagesDirectory)
        puller = ImagePuller(
            store: store,
            hosts: RegistryHosts(certificatesDirectory: configuration.registryCertificatesDirectory, insecure: configuration.insecureRegistries))
        nodeAuthFile = configuration.registryAuthFile
    }

    func resolve(_ reference: String) throws -> ResolvedImage {
        let record = try store.resolve(reference)
        let config = record.config
        let repository = (try? ImageReference(parsing: reference).repository) ?? record.names.first.flatMap { try? ImageReference(parsing: $0).repository }
        return ResolvedImage(
            reference: reference, imageID: record.id, repoDigest: repository.map { "\($0)@\(record.digest)" } ?? record.digest,
            // A pull keeps the manifest among the blobs; an import never puts it there.
            imported: !FileSystem.exists(store.blobPath(record.digest)),
            rootfs: record.rootfs,
            defaults: ImageDefaults(
                env: config.env, entrypoint: config.entrypoint ?? [], cmd: config.cmd ?? [],
                workingDir: config.workingDir ?? "", user: config.user ?? ""))
    }

    /// Tries the pod's credentials for the registry in order, then the node's, then none at
    /// all, as the kubelet does; the first success wins, else the last refusal is reported.
    func pull(_ reference: String, credentials: [DockerConfig]) async throws -> Int64 {
        let domain = try ImageReference(parsing: reference).domain
        var configs = credentials
        if let nodeAuthFile, let bytes = try? FileSystem.readBytes(nodeAuthFile), let config = try? DockerConfig(json: bytes) {
            configs.append(config)
        }
        var candidates: [RegistryCredentials?] = configs.compactMap { $0.credentials(for: domain) }
        if candidates.isEmpty { candidates = [nil] }
        var lastError: RegistryError?
        for candidate in candidates {
            do {
                return try await puller.pull(reference, credentials: candidate).record.size
            } catch {
                guard case .unauthorized = error else { throw error }
                lastError = error
            }
        }
        throw lastError ?? RegistryError.unauthorized(registry: domain, repository: reference, detail: "no credentials")
    }

    func mountRootfs(_ image: ResolvedImage, containerDirectory: String) throws -> String {
        let record = try store.resolve(image.imageID)
        // Image garbage collection removes the least recently used images first.
        store.markUsed(record)
        return try ContainerRootfs.mount(image: record, containerDir: containerDirectory)
    }

    func unmountRootfs(containerDirectory: String) {
        try? ContainerRootfs.unmount(containerDir: containerDirectory)
    }
}
