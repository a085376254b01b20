import SkiffImages
import Testing

@testable import SkiffRegistry

@Suite("Platform selection from an image index")
struct PlatformSelectorTests {
    static func entry(_ os: String, _ architecture: String, _ variant: String? = nil, digit: Character) -> Descriptor {
        Descriptor(
            mediaType: MediaType.ociManifest, digest: "sha256:" + String(repeating: digit, count: 64), size: 100,
            platform: Platform(architecture: architecture, os: os, variant: variant))
    }

    static let index = ImageIndex(
        schemaVersion: 2, mediaType: MediaType.ociIndex,
        manifests: [
            entry("linux", "arm", "v7", digit: "1"), entry("linux", "arm64", "v8", digit: "2"), entry("windows", "amd64", digit: "3"),
            entry("linux", "amd64", digit: "4"), entry("unknown", "unknown", digit: "5"),
        ])

    @Test("linux/amd64 picks the linux amd64 entry, not windows'")
    func amd64() {
        let chosen = PlatformSelector.select(from: Self.index, for: Platform(architecture: "amd64", os: "linux"))
        #expect(chosen?.digest == "sha256:" + String(repeating: "4", count: 64))
    }

    @Test("linux/arm64 matches the v8 variant")
    func arm64() {
        let chosen = PlatformSelector.select(from: Self.index, for: Platform(architecture: "arm64", os: "linux"))
        #expect(chosen?.digest == "sha256:" + String(repeating: "2", count: 64))
    }

    @Test("no entry for the platform gives nil")
    func missing() {
        #expect(PlatformSelector.select(from: Self.index, for: Platform(architecture: "riscv64", os: "linux")) == nil)
        #expect(PlatformSelector.select(from: Self.index, for: Platform(architecture: "arm", os: "linux", variant: "v6")) == nil)
    }
}
