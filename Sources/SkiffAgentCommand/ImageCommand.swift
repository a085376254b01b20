import ArgumentParser
import SkiffAgent
import SkiffImages

/// `skiff image`: the node's local image store, filled from registries (`pull`) or OCI layouts (`import`).
public struct ImageCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "image", abstract: "Manage the node's local images.",
        subcommands: [Pull.self, Import.self, List.self, Remove.self, Prune.self])
    public init() {}

    struct Location: ParsableArguments {
        @Option(help: "The agent's data directory.") var dataDir = "/var/lib/skiff/agent"
        var store: ImageStore { ImageStore(root: dataDir + "/images") }

        /// Why each image is in use, by manifest digest: a pod the agent keeps names it, or a
        /// mounted container rootfs is made from it.
        func users(of images: [ImageRecord]) throws -> [String: String] {
            var users: [String: String] = [:]
            for digest in try store.mountedImageDigests(images) { users[digest] = "a mounted container rootfs" }
            for use in SavedPodImages.uses(dataDirectory: dataDir) {
                guard let record = try? store.resolve(use.reference), images.contains(where: { $0.digest == record.digest }) else { continue }
                users[record.digest] = users[record.digest] ?? "container \(use.container) of pod \(use.pod)"
            }
            return users
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import", abstract: "Import an OCI image layout directory or tarball, unpacking it once.")
        @Argument(help: "An OCI image layout directory or a tar of one.") var path: String
        @Option(help: "Name to give the image (default: the layout's ref.name annotation).") var name: String?
        @OptionGroup var location: Location

        func run() throws {
            let record = try location.store.importImage(from: path, name: name)
            print("imported \(record.shortNames.joined(separator: ", ")) \(record.id)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List images, like crictl images.")
        @OptionGroup var location: Location

        func run() throws {
            print(ImageListFormatter.format(try location.store.list()), terminator: "")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove an image name, or the image by ID; refuses an image a pod uses.")
        @Argument(help: "Image name or ID.") var reference: String
        @OptionGroup var location: Location

        func run() throws {
            let store = location.store
            let image = try store.resolve(reference)
            // Only the image's last name takes the image with it; untagging one of several is harmless.
            let named = (try? ImageReference(parsing: reference)).map { image.names.contains($0.description) } ?? false
            if !(named && image.names.count > 1), let user = try location.users(of: [image])[image.digest] {
                throw ImageInUse(reference: reference, user: user)
            }
            switch try store.remove(reference) {
            case .untagged(let name): print("Untagged: \(name)")
            case .deleted(let record): print("Deleted: \(record.id)")
            }
        }
    }
}

/// `skiff image rm` of an image a pod or a mounted container rootfs uses.
struct ImageInUse: Error, CustomStringConvertible {
    var reference: String
    var user: String
    var description: String { "image \(reference) is in use by \(user); delete the pod first" }
}
