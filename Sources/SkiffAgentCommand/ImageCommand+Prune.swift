import ArgumentParser
import SkiffImages

extension ImageCommand {
    /// `skiff image prune`: removes every image no pod uses and the blobs no image references,
    /// and says what that freed (crictl rmi --prune, with docker image prune's total).
    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "prune", abstract: "Remove images no pod uses and blobs no image references; print what was freed.")
        @OptionGroup var location: Location

        func run() throws {
            let store = location.store
            let images = try store.list()
            let users = try location.users(of: images)
            var total: Int64 = 0
            for image in images where users[image.digest] == nil {
                do {
                    let deletion = try store.delete(digest: image.digest)
                    total += deletion.freedBytes
                    let name = image.shortNames.joined(separator: ", ")
                    print("Deleted: \(name.isEmpty ? "<none>" : name) \(image.id) (\(ImageListFormatter.humanSize(deletion.freedBytes)))")
                } catch .inUse(_, let mountPoint) {
                    // Mounted since the list was read.
                    print("Kept: \(image.id), in use by the container rootfs at \(mountPoint)")
                }
            }
            if let sweep = try store.removeUnreferencedBlobs() {
                total += sweep.bytes
                if !sweep.digests.isEmpty {
                    print("Deleted \(sweep.digests.count) unreferenced blobs (\(ImageListFormatter.humanSize(sweep.bytes)))")
                }
            } else {
                print("Unreferenced blobs kept: a pull is under way")
            }
            print("Total reclaimed space: \(ImageListFormatter.humanSize(total))")
        }
    }
}
