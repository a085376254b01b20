import SkiffSystem

/// Why an image operation failed, worded for the person who ran it.
public enum ImageError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The agent reports this one as an ErrImageNeverPull-like container status.
    case notFound(String)
    case invalidReference(String, String)
    /// The path is neither an OCI image layout directory nor a tar of one.
    case notALayout(String, String)
    /// The layout is there but broken: bad JSON, a missing or corrupt blob, no usable manifest.
    case invalidImage(String)
    /// Removing an image whose rootfs is the lower layer of a mounted container rootfs.
    case inUse(String, String)
    /// A helper program (tar, sha256sum) failed.
    case toolFailed(String, String)
    case system(SystemError)

    public var description: String {
        switch self {
        case .notFound(let reference): "image not found: \(reference)"
        case .invalidReference(let text, let why): "invalid image reference \(text.quoted): \(why)"
        case .notALayout(let path, let why): "\(path) is not an OCI image layout: \(why)"
        case .invalidImage(let why): "invalid image: \(why)"
        case .inUse(let reference, let mountPoint): "image \(reference) is in use by the container rootfs mounted at \(mountPoint)"
        case .toolFailed(let tool, let output): "\(tool) failed: \(output)"
        case .system(let error): error.description
        }
    }
}

extension ImageError {
    /// Runs `body`, turning a SystemError into `.system`.
    @discardableResult
    static func wrap<T>(_ body: () throws(SystemError) -> T) throws(ImageError) -> T {
        do { return try body() } catch { throw .system(error) }
    }
}
