import Crypto
import FoundationEssentials
import Glibc
import Hummingbird
import HummingbirdTesting
import NIOCore
import SkiffImages
import Testing

@testable import SkiffRegistry

/// Pulls against an in-process registry (Hummingbird on loopback, plain HTTP, which loopback
/// registries may use) that answers what a broken or hostile registry would.
@Suite("Pulls from a fake registry: bad answers and the bearer flow")
struct FakeRegistryTests {
    static func digest(_ bytes: [UInt8]) -> String {
        "sha256:" + SHA256.hash(data: bytes).map { String($0, radix: 16).leftPadded }.joined()
    }

    static func withStore(_ body: (ImageStore) async throws -> Void) async throws {
        let directory = "/tmp/skiff-registry-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { _ = try? FileManager.default.removeItem(atPath: directory) }
        try await body(ImageStore(root: directory))
    }

    static func serve(_ router: Router<BasicRequestContext>, _ body: @Sendable (String) async throws -> Void) async throws {
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            try await body("127.0.0.1:\(client.port ?? 0)")
        }
    }

    static func authorized(_ request: Request) -> Bool { request.headers[.authorization] == "Bearer tok-123" }

    /// A 401 whose realm is this server's /token.
    static func challenge(_ request: Request) -> Response {
        Response(
            status: .unauthorized,
            headers: [.wwwAuthenticate: #"Bearer realm="http://\#(request.head.authority ?? "")/token",service="fake",scope="repository:test/img:pull""#])
    }

    @Test("a malformed reference fails before any request")
    func malformedReference() async throws {
        try await Self.withStore { store in
            await #expect(throws: RegistryError.self) { try await ImagePuller(store: store).pull("Registry.example/UPPER::bad") }
        }
    }

    @Test("a registry nobody listens on fails the pull in seconds, naming its address, not after the manifest's 60 s deadline")
    func unreachableRegistryFailsFast() async throws {
        // Port 1 on loopback: nothing listens, so every connection is refused at once. The old
        // client kept retrying the refused connection until the request's deadline.
        try await Self.withStore { store in
            let started = ContinuousClock.now
            do {
                _ = try await ImagePuller(store: store).pull("127.0.0.1:1/test/img:1")
                Issue.record("a pull from a closed port succeeded")
            } catch let error as RegistryError {
                guard case .unreachable(let url, _) = error else { throw error }
                #expect(url.contains("127.0.0.1:1/v2/test/img/manifests/1"))
            }
            #expect(ContinuousClock.now - started < .seconds(20))
        }
    }

    @Test("a manifest that is not JSON is a bad answer, not a crash")
    func garbage() async throws {
        let router = Router()
        router.get("/v2/test/img/manifests/:tag") { _, _ in
            Response(
                status: .ok, headers: [.contentType: MediaType.ociManifest], body: .init(byteBuffer: ByteBuffer(string: "<html>oops</html>")))
        }
        try await Self.withStore { store in
            try await Self.serve(router) { host in
                do {
                    _ = try await ImagePuller(store: store).pull("\(host)/test/img:1")
                    Issue.record("garbage was accepted")
                } catch let error as RegistryError {
                    guard case .badResponse = error else { throw error }
                }
            }
        }
    }

    @Test("a manifest over the size limit is refused")
    func oversized() async throws {
        let router = Router()
        router.get("/v2/test/img/manifests/:tag") { _, _ in
            Response(
                status: .ok, headers: [.contentType: MediaType.ociManifest],
                body: .init(byteBuffer: ByteBuffer(repeating: UInt8(ascii: " "), count: ImagePuller.manifestSizeLimit + 1)))
        }
        try await Self.withStore { store in
            try await Self.serve(router) { host in
                do {
                    _ = try await ImagePuller(store: store).pull("\(host)/test/img:1")
                    Issue.record("the oversized manifest was accepted")
                } catch let error as RegistryError {
                    guard case .manifestTooLarge = error else { throw error }
                }
            }
        }
    }

    @Test("the bearer flow gets a token with the credentials; a layer whose content is not its digest is never stored")
    func bearerAndWrongDigest() async throws {
        let config = Array(#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#.utf8)
        let promised = Array("the layer the manifest names".utf8)
        let served = Array("a different layer, same size".utf8)
        let manifest = Array(
            """
            {"schemaVersion":2,"mediaType":"\(MediaType.ociManifest)",\
            "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(Self.digest(config))","size":\(config.count)},\
            "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"\(Self.digest(promised))","size":\(promised.count)}]}
            """.utf8)
        let basic = RegistryCredentials(username: "bob", password: "pw").basicAuthorization
        let router = Router()
        router.get("/token") { request, _ -> Response in
            guard request.headers[.authorization] == basic, request.uri.queryParameters["scope"] == "repository:test/img:pull",
                request.uri.queryParameters["service"] == "fake"
            else { return Response(status: .unauthorized) }
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: #"{"token":"tok-123"}"#)))
        }
        router.get("/v2/test/img/manifests/:tag") { request, _ -> Response in
            guard Self.authorized(request) else { return Self.challenge(request) }
            return Response(status: .ok, headers: [.contentType: MediaType.ociManifest], body: .init(byteBuffer: ByteBuffer(bytes: manifest)))
        }
        router.get("/v2/test/img/blobs/:digest") { request, context -> Response in
            guard Self.authorized(request) else { return Self.challenge(request) }
            let digest = context.parameters.get("digest") ?? ""
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: digest == Self.digest(config) ? config : served)))
        }
        try await Self.withStore { store in
            try await Self.serve(router) { host in
                let puller = ImagePuller(store: store)
                do {
                    _ = try await puller.pull("\(host)/test/img:1")
                    Issue.record("pulled without credentials")
                } catch let error as RegistryError {
                    guard case .unauthorized = error else { throw error }
                }
                do {
                    _ = try await puller.pull("\(host)/test/img:1", credentials: RegistryCredentials(username: "bob", password: "pw"))
                    Issue.record("the wrong layer was accepted")
                } catch let error as RegistryError {
                    guard case .digestMismatch(_, let expected, let actual) = error else { throw error }
                    #expect(expected == Self.digest(promised) && actual == Self.digest(served))
                }
                #expect(store.hasBlob(Descriptor(mediaType: nil, digest: Self.digest(config), size: Int64(config.count))))
                #expect(!FileManager.default.fileExists(atPath: store.blobPath(Self.digest(promised))))
                #expect((try FileManager.default.contentsOfDirectory(atPath: store.root + "/blobs/partial")).isEmpty)
                #expect(((try? FileManager.default.contentsOfDirectory(atPath: store.root + "/images")) ?? []).isEmpty)
            }
        }
    }
}
