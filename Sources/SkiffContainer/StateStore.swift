import Glibc
import SkiffJSON
import SkiffOCI
import SkiffSystem

/// The runtime's state directory (`--root`, /run/skiff-runc by default): one directory per
/// container holding state.json and, until `start`, the exec fifo.
public struct StateStore: Sendable {
    public let root: String

    public init(root: String) {
        self.root = root
    }

    public func directory(_ id: String) -> String { root + "/" + id }

    /// Container ids become directory names, so they are held to runc's alphabet.
    public static func validate(id: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-.")
        guard !id.isEmpty, id != ".", id != "..", id.count <= 1024, id.allSatisfy({ allowed.contains($0) }) else {
            throw RuntimeError("invalid container id \(id.quoted): use letters, digits, '_', '+', '-' and '.'")
        }
    }

    /// Claims the id by creating its directory; fails if a container already has it.
    public func claim(_ id: String) throws -> String {
        try StateStore.validate(id: id)
        try FileSystem.makeDirectories(root, mode: 0o711)
        let directory = directory(id)
        let made = try sys("mkdir", directory.quoted, allowing: [EEXIST]) { mkdir(directory, 0o711) }
        guard case .succeeded = made else { throw RuntimeError("container with id exists: \(id)") }
        return directory
    }

    public func save(_ record: ContainerRecord) throws {
        try FileSystem.writeAtomically(directory(record.id) + "/state.json", record.json.serialized)
    }

    public func load(_ id: String) throws -> ContainerRecord {
        try StateStore.validate(id: id)
        let path = directory(id) + "/state.json"
        guard FileSystem.exists(path) else { throw RuntimeError("container \(id.quoted) does not exist") }
        return try RuntimeSpec.decode(try FileSystem.readBytes(path), as: ContainerRecord.self, what: path)
    }

    public func ids() -> [String] {
        ((try? FileSystem.listDirectory(root)) ?? []).filter { FileSystem.exists(directory($0) + "/state.json") }.sorted()
    }

    public func remove(_ id: String) throws {
        try FileSystem.removeTree(directory(id))
    }
}
