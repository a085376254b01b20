import SkiffImages

/// The agent's images: the node's image store and an overlay per container.
struct ImageStoreProvider: ImageProvider {
    let store: ImageStore

    init(root: String) throws {
        store = ImageStore(root: root)
    }

    func resolve(_ reference: String) throws -> ResolvedImage {
        let record = try store.resolve(reference)
        let config = record.config
        return ResolvedImage(
            reference: reference, imageID: record.id, rootfs: record.rootfs,
            defaults: ImageDefaults(
                env: config.env, entrypoint: config.entrypoint ?? [], cmd: config.cmd ?? [],
                workingDir: config.workingDir ?? "", user: config.user ?? ""))
    }

    func mountRootfs(_ image: ResolvedImage, containerDirectory: String) throws -> String {
        try ContainerRootfs.mount(image: try store.resolve(image.imageID), containerDir: containerDirectory)
    }

    func unmountRootfs(containerDirectory: String) {
        try? ContainerRootfs.unmount(containerDir: containerDirectory)
    }
}
