import SkiffImages

/// Why a pull failed, worded for the person who asked for the image (it becomes the
/// container's ErrImagePull message).
public enum RegistryError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The registry wants credentials we do not have, or refused the ones we sent.
    case unauthorized(registry: String, repository: String, detail: String)
    /// No such repository, tag or digest.
    case notFound(reference: String, detail: String)
    /// An answer we cannot use: a status we do not expect, a body that is not what it claims.
    case badResponse(url: String, detail: String)
    case manifestTooLarge(url: String, limit: Int)
    /// Content whose sha256 is not the digest that named it.
    case digestMismatch(what: String, expected: String, actual: String)
    case noMatchingPlatform(reference: String, wanted: String, available: [String])
    case unsupportedMediaType(what: String, mediaType: String)
    /// The registry could not be reached (DNS, connect, TLS).
    case unreachable(url: String, detail: String)
    case image(ImageError)

    public var description: String {
        switch self {
        case .unauthorized(let registry, let repository, let detail):
            "pull access denied for \(repository) on \(registry): \(detail) (give credentials with an imagePullSecret or --creds)"
        case .notFound(let reference, let detail): "\(reference): not found: \(detail)"
        case .badResponse(let url, let detail): "unexpected answer from \(url): \(detail)"
        case .manifestTooLarge(let url, let limit): "manifest at \(url) is larger than the \(limit)-byte limit"
        case .digestMismatch(let what, let expected, let actual): "\(what) should have digest \(expected) but its content hashes to \(actual)"
        case .noMatchingPlatform(let reference, let wanted, let available):
            "no manifest for \(wanted) in \(reference) (it has \(available.isEmpty ? "none" : available.joined(separator: ", ")))"
        case .unsupportedMediaType(let what, let mediaType): "\(what) has unsupported media type \(mediaType.quotedForMessage)"
        case .unreachable(let url, let detail): "cannot reach \(url): \(detail)"
        case .image(let error): error.description
        }
    }
}

extension String {
    var quotedForMessage: String { "\"" + self + "\"" }
}
