import SkiffAPI
import SkiffImages
import Testing

@testable import SkiffAgent

@Suite("The Node's status.images")
struct NodeImagesTests {
    static func image(_ hex: Character, size: Int64, names: [String]) -> ImageRecord {
        ImageRecord(
            id: "sha256:" + String(repeating: "c", count: 63) + String(hex), digest: "sha256:" + String(repeating: hex, count: 64), names: names,
            config: ImageConfig(), os: "linux", architecture: "amd64", size: size, unpackedSize: size * 2, rootfs: "/nowhere")
    }

    @Test("largest first, repo digests then tags, at most 5 names, sizeBytes the content size")
    func namesAndOrder() {
        let small = Self.image("a", size: 100, names: ["docker.io/library/busybox:1.0", "docker.io/library/busybox:latest"])
        let large = Self.image(
            "b", size: 5000,
            names: [
                "registry.example:5000/team/app:1", "registry.example:5000/team/app:2", "registry.example:5000/team/app:3",
                "registry.example:5000/team/app:4", "registry.example:5000/other:5",
            ])
        let status = NodeImages.status([small, large], maxImages: 50)
        let digestB = "sha256:" + String(repeating: "b", count: 64)
        #expect(
            status
                == .array([
                    .object([
                        "names": .array([
                            .string("registry.example:5000/team/app@\(digestB)"), .string("registry.example:5000/other@\(digestB)"),
                            "registry.example:5000/team/app:1", "registry.example:5000/team/app:2", "registry.example:5000/team/app:3",
                        ]),
                        "sizeBytes": .int(5000),
                    ]),
                    .object([
                        "names": .array([
                            .string("docker.io/library/busybox@sha256:" + String(repeating: "a", count: 64)), "docker.io/library/busybox:1.0",
                            "docker.io/library/busybox:latest",
                        ]),
                        "sizeBytes": .int(100),
                    ]),
                ]))
    }

    @Test("capped at --node-status-max-images, keeping the largest; -1 keeps all; an unnamed image has no names")
    func cap() {
        let images = (0..<60).map { Self.image("d", size: Int64($0), names: []) }
        let capped = NodeImages.status(images, maxImages: 50).array ?? []
        #expect(capped.count == 50)
        #expect(capped.first?["sizeBytes"] == .int(59) && capped.last?["sizeBytes"] == .int(10))
        #expect(capped.first?["names"] == .array([]))
        #expect(NodeImages.status(images, maxImages: -1).array?.count == 60)
    }
}
