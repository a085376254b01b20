import AsyncHTTPClient
import Crypto
import Dispatch
import FoundationEssentials
import NIOCore
import SkiffImages

/// The HTTP client for registries. async-http-client's default retries a refused or timed-out
/// connection with back-off until the request's own deadline (a manifest's 60 s), so a pull from
/// a registry that is down took a minute to fail; here a connection that cannot be made fails
/// the request at once (refused) or after the connect timeout, and the kubelet-style back-off
/// above decides when to try again. It lives as long as the process, so it is never shut down.
public let registryHTTPClient: HTTPClient = {
    var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(10), read: nil))
    configuration.connectionPool.retryConnectionEstablishment = false
    return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
}()

/// Pulls images from registries into the node's image store (the OCI Distribution API): resolves
/// the reference to a manifest for this node's platform, downloads the blobs it lacks, verified
/// and shared across images, then unpacks the image as `skiff image import` does.
///
/// Copies share one `BlobFetcher`, so concurrent pulls through them download each blob once.
public struct ImagePuller: Sendable {
    public let store: ImageStore
    public let hosts: RegistryHosts
    public let platform: Platform
    let http: HTTPClient
    let blobs: BlobFetcher
    let schemes = SchemeCache()

    /// A manifest or index larger than this is refused before it is parsed (containerd's limit).
    public static let manifestSizeLimit = 4 << 20

    static let manifestTypes = [MediaType.ociManifest, MediaType.dockerManifest, MediaType.ociIndex, MediaType.dockerManifestList]

    public init(store: ImageStore, hosts: RegistryHosts = RegistryHosts(), platform: Platform = .node, http: HTTPClient = registryHTTPClient) {
        self.store = store
        self.hosts = hosts
        self.platform = platform
        self.http = http
        self.blobs = BlobFetcher(store: store)
    }

    /// Pulls `reference` ("busybox", "registry.example:5000/team/app:1.4", "…@sha256:…").
    public func pull(
        _ reference: String, credentials: RegistryCredentials? = nil, progress: @escaping @Sendable (PullProgress) -> Void = { _ in }
    ) async throws(RegistryError) -> PulledImage {
        let parsed: ImageReference
        do {
            parsed = try ImageReference(parsing: reference)
        } catch {
            throw .image(error)
        }
        do {
            return try await pull(parsed, credentials: credentials, progress: progress)
        } catch let error as RegistryError {
            throw error
        } catch let error as ImageError {
            throw .image(error)
        } catch {
            throw .unreachable(url: parsed.domain, detail: "\(error)")
        }
    }

    private func pull(
        _ reference: ImageReference, credentials: RegistryCredentials?, progress: @escaping @Sendable (PullProgress) -> Void
    ) async throws
        -> PulledImage
    {
        let client = RegistryClient(domain: reference.domain, repository: reference.path, hosts: hosts, credentials: credentials, http: http, schemes: schemes)
        // Until the import ends this pull's blobs belong to no image: no blob sweep may run.
        let lease = try store.beginPull()
        defer { withExtendedLifetime(lease) {} }
        let (descriptor, manifest) = try await resolveManifest(reference, client: client)
        progress(.resolved(manifest: descriptor.digest, layers: manifest.layers.count))
        for layer in manifest.layers where MediaType.layerCompression(layer.mediaType ?? "") == nil {
            throw RegistryError.unsupportedMediaType(what: "layer \(layer.digest)", mediaType: layer.mediaType ?? "none")
        }
        let downloaded = try await withThrowingTaskGroup(of: Int64.self) { group in
            for blob in [manifest.config] + manifest.layers {
                group.addTask {
                    let bytes = try await blobs.fetch(blob, from: client)
                    progress(.blob(digest: blob.digest, size: blob.size, downloaded: bytes > 0))
                    return bytes
                }
            }
            return try await group.reduce(0, +)
        }
        let store = self.store
        let name = reference
        // Unpacking runs tar and blocks on the store's locks: off the cooperative pool.
        let record = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ImageRecord, any Error>) in
            DispatchQueue.global().async {
                do {
                    continuation.resume(returning: try store.importPulled(manifest: descriptor, name: name))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
        return PulledImage(reference: reference, record: record, downloadedBytes: downloaded)
    }

    /// The manifest for this node: the one the reference names, or the index entry for our
    /// platform. Every document is checked against its digest and stored as a blob.
    private func resolveManifest(_ reference: ImageReference, client: RegistryClient) async throws -> (Descriptor, ImageManifest) {
        var target = reference.digest ?? reference.tag ?? ImageReference.defaultTag
        var expected = reference.digest
        for _ in 0..<2 {
            let document = try await fetchManifest(target, expected: expected, client: client)
            switch document.mediaType {
            case let type where MediaType.isIndex(type):
                let index: ImageIndex = try Self.decode(document.bytes, what: "index \(document.digest)")
                guard let entry = PlatformSelector.select(from: index, for: platform) else {
                    throw RegistryError.noMatchingPlatform(
                        reference: reference.description, wanted: PlatformSelector.describe(platform),
                        available: index.manifests.compactMap { $0.platform.map(PlatformSelector.describe) })
                }
                target = entry.digest
                expected = entry.digest
            case let type where MediaType.isManifest(type):
                let manifest: ImageManifest = try Self.decode(document.bytes, what: "manifest \(document.digest)")
                return (Descriptor(mediaType: type, digest: document.digest, size: Int64(document.bytes.count)), manifest)
            default:
                throw RegistryError.unsupportedMediaType(what: "manifest of \(reference.description)", mediaType: document.mediaType)
            }
        }
        throw RegistryError.badResponse(url: reference.description, detail: "an index that points at another index")
    }

    private struct Document {
        var mediaType: String
        var digest: String
        var bytes: [UInt8]
    }

    private func fetchManifest(_ target: String, expected: String?, client: RegistryClient) async throws -> Document {
        let response = try await client.get("manifests/\(target)", accept: Self.manifestTypes, timeout: .seconds(60))
        let url = "\(client.domain)/\(client.repository)/manifests/\(target)"
        if let length = response.headers.first(name: "Content-Length").flatMap(Int.init), length > Self.manifestSizeLimit {
            throw RegistryError.manifestTooLarge(url: url, limit: Self.manifestSizeLimit)
        }
        var body = ByteBuffer()
        for try await chunk in response.body {
            guard body.readableBytes + chunk.readableBytes <= Self.manifestSizeLimit else {
                throw RegistryError.manifestTooLarge(url: url, limit: Self.manifestSizeLimit)
            }
            body.writeImmutableBuffer(chunk)
        }
        let bytes = Array(body.readableBytesView)
        let digest = "sha256:" + SHA256.hash(data: bytes).map { String($0, radix: 16).leftPadded }.joined()
        let claimed = expected ?? response.headers.first(name: "Docker-Content-Digest")
        if let claimed, claimed != digest {
            throw RegistryError.digestMismatch(what: "manifest \(url)", expected: claimed, actual: digest)
        }
        struct Shape: Decodable {
            var mediaType: String?
            var manifests: [Descriptor]?
        }
        let shape: Shape = try Self.decode(bytes, what: "manifest \(url)")
        // The body's own mediaType wins; a registry's Content-Type is sometimes generic JSON.
        let contentType = response.headers.first(name: "Content-Type")?.split(separator: ";").first.map(String.init)
        let mediaType = shape.mediaType ?? (shape.manifests != nil ? MediaType.ociIndex : contentType ?? MediaType.ociManifest)
        try storeDocument(bytes, digest: digest)
        return Document(mediaType: mediaType, digest: digest, bytes: bytes)
    }

    /// Keeps a verified manifest or index as a blob, where the importer reads it.
    private func storeDocument(_ bytes: [UInt8], digest: String) throws {
        try store.storeBlob(bytes, digest: digest)
    }

    static func decode<T: Decodable>(_ bytes: [UInt8], what: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch {
            throw RegistryError.badResponse(url: what, detail: "not valid JSON of the expected shape: \(error)")
        }
    }
}

/// What a pull did.
public struct PulledImage: Sendable {
    public let reference: ImageReference
    public let record: ImageRecord
    /// Bytes this pull downloaded (0 when every blob was already stored).
    public let downloadedBytes: Int64

    /// A duration as the kubelet words it in its Pulled event, "1.234s".
    public static func describe(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        let fraction = String(milliseconds % 1000)
        return "\(milliseconds / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)s"
    }
}

/// Steps of a pull, for a progress display.
public enum PullProgress: Sendable {
    case resolved(manifest: String, layers: Int)
    /// A blob is in the store; `downloaded` is false when it was there already or shared.
    case blob(digest: String, size: Int64, downloaded: Bool)
}
