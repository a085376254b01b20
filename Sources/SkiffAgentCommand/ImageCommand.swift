import ArgumentParser
import SkiffImages

/// `skiff image`: the node's local image store, filled from registries (`pull`) or OCI layouts (`import`).
public struct ImageCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "image", abstract: "Manage the node's local images.",
        subcommands: [Pull.self, Import.self, List.self, Remove.self])
    public init() {}

    struct Location: ParsableArguments {
        @Option(help: "The agent's data directory.") var dataDir = "/var/lib/skiff/agent"
        var store: ImageStore { ImageStore(root: dataDir + "/images") }
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
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove an image name, or the image by ID.")
        @Argument(help: "Image name or ID.") var reference: String
        @OptionGroup var location: Location

        func run() throws {
            switch try location.store.remove(reference) {
            case .untagged(let name): print("Untagged: \(name)")
            case .deleted(let record): print("Deleted: \(record.id)")
            }
        }
    }
}
