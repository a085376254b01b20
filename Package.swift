// swift-tools-version: 6.0
import PackageDescription

// The folder tree under Sources/ is the architecture: C shims at the bottom, then typed syscalls,
// the OCI model, cgroups, the container runtime, and thin executables on top.
let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "skiff",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "skiff-runc", targets: ["skiff-runc"]),
    ],
    dependencies: [
        // [server] dependencies go here
    ],
    targets: [
        // MARK: runtime (skiff-runc)
        .target(name: "CSkiffShim"),
        .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),
        .systemLibrary(name: "CCap", pkgConfig: "libcap", providers: [.apt(["libcap-dev"])]),
        .target(name: "SkiffSystem", dependencies: ["CSkiffShim"], swiftSettings: strict),
        .target(name: "SkiffOCI", dependencies: ["SkiffSystem"], swiftSettings: strict),
        .target(name: "SkiffCgroups", dependencies: ["SkiffSystem", "SkiffOCI"], swiftSettings: strict),
        .target(
            name: "SkiffContainer",
            dependencies: ["SkiffSystem", "SkiffOCI", "SkiffCgroups", "CSeccomp", "CCap", "CSkiffShim"],
            swiftSettings: strict),
        .executableTarget(name: "skiff-runc", dependencies: ["SkiffContainer"], swiftSettings: strict),
        .testTarget(name: "SkiffOCITests", dependencies: ["SkiffOCI"], swiftSettings: strict),
        .testTarget(name: "SkiffCgroupsTests", dependencies: ["SkiffCgroups"], swiftSettings: strict),
        .testTarget(name: "SkiffRuncIntegrationTests", dependencies: ["SkiffSystem"], swiftSettings: strict),


        // MARK: test hosts (VM)
        .testTarget(name: "VMTests", swiftSettings: strict),
    ]
)
