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
        .executable(name: "skiff", targets: ["skiff"]),
    ],
    dependencies: [
        // [server] dependencies go here
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // [agent] the API client (watch streams over TLS) and the node API's websocket exec
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        // [server] YAML request bodies (kubectl apply --server-side, clients sending application/yaml)
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // MARK: runtime (skiff-runc)
        .target(name: "CSkiffShim"),
        .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp", providers: [.apt(["libseccomp-dev"])]),
        .systemLibrary(name: "CCap", pkgConfig: "libcap", providers: [.apt(["libcap-dev"])]),
        .target(name: "SkiffJSON", swiftSettings: strict),
        .target(name: "SkiffSystem", dependencies: ["CSkiffShim"], swiftSettings: strict),
        .target(name: "SkiffOCI", dependencies: ["SkiffSystem", "SkiffJSON"], swiftSettings: strict),
        .target(name: "SkiffCgroups", dependencies: ["SkiffSystem", "SkiffOCI", "SkiffJSON"], swiftSettings: strict),
        .target(
            name: "SkiffContainer",
            dependencies: ["SkiffSystem", "SkiffOCI", "SkiffJSON", "SkiffCgroups", "CSeccomp", "CCap", "CSkiffShim"],
            swiftSettings: strict),
        .executableTarget(
            name: "skiff-runc", dependencies: ["SkiffContainer", "SkiffCgroups", "SkiffOCI", "SkiffJSON", "SkiffSystem", "CSkiffShim"],
            swiftSettings: strict),
        .testTarget(name: "SkiffJSONTests", dependencies: ["SkiffJSON"], swiftSettings: strict),
        .testTarget(name: "SkiffSystemTests", dependencies: ["SkiffSystem"], swiftSettings: strict),
        .testTarget(name: "SkiffOCITests", dependencies: ["SkiffOCI"], swiftSettings: strict),
        .testTarget(name: "SkiffCgroupsTests", dependencies: ["SkiffCgroups", "SkiffOCI"], swiftSettings: strict),
        .testTarget(name: "SkiffRuncIntegrationTests", dependencies: ["SkiffSystem"], swiftSettings: strict),

        // MARK: test hosts (VM)
        .testTarget(name: "VMTests", swiftSettings: strict),

        // MARK: control plane (skiff server)
        // The system SQLite (libsqlite3-dev) keeps the store free of a vendored amalgamation build.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // zlib with SPDY/3's header dictionary: port-forward's SPDY header blocks (SkiffNodeAPI).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "SkiffAPI", dependencies: ["SkiffJSON"], swiftSettings: strict),
        .target(
            name: "SkiffStore",
            dependencies: [
                "CSQLite", "SkiffAPI",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict),
        .target(
            name: "SkiffClient",
            dependencies: [
                "SkiffAPI", .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        // The controllers kube-controller-manager runs, on SkiffClient's informers and work queue,
        // acting only through the API (a folder per controller).
        .target(
            name: "SkiffControllers",
            dependencies: [
                "SkiffAPI", "SkiffClient", .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        .target(
            name: "SkiffScheduler",
            dependencies: ["SkiffAPI", "SkiffClient", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        .target(
            name: "SkiffAPIServer",
            dependencies: [
                "SkiffAPI", "SkiffStore", "SkiffNodeAPI",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict),
        // The API server, the scheduler and the controllers meet here, not in SkiffAPIServer.
        .target(
            name: "SkiffControlPlane",
            dependencies: [
                "SkiffAPIServer", "SkiffScheduler", "SkiffStore", "SkiffAPI", "SkiffClient", "SkiffControllers",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        .target(
            name: "SkiffEmbeddedEtcd",
            dependencies: [
                "SkiffAPIServer", "SkiffStore", "SkiffSystem", "SkiffAPI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .target(
            name: "SkiffServerCommand",
            dependencies: [
                "SkiffControlPlane", "SkiffAPIServer", "SkiffEmbeddedEtcd", "SkiffStore", "SkiffSystemd", "SkiffSystem", "SkiffAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "skiff",
            dependencies: [
                "SkiffServerCommand", "SkiffAgentCommand",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),
        // MARK: benches (skiff-bench: a development tool, not a product, never shipped in skiff)
        .target(
            name: "SkiffBench",
            dependencies: [
                "SkiffControlPlane", "SkiffAPIServer", "SkiffClient", "SkiffScheduler", "SkiffStore", "SkiffAPI", "SkiffSystem", "SkiffDNS", "SkiffServiceProxy",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .executableTarget(name: "skiff-bench", dependencies: ["SkiffBench"], swiftSettings: strict),
        .testTarget(
            name: "SkiffBenchTests",
            dependencies: ["SkiffBench", "skiff-bench", "SkiffJSON", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict),

        // MARK: node agent (skiff agent)
        // Each piece of the kubelet's job is its own target; SkiffAgent wires them into the loops.
        .target(name: "SkiffImages", dependencies: ["SkiffSystem"], swiftSettings: strict),
        // Pulls from registries (the OCI Distribution API) into SkiffImages' store.
        .target(
            name: "SkiffRegistry",
            dependencies: [
                "SkiffImages", "SkiffSystem",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict),
        .target(name: "SkiffNetwork", dependencies: ["SkiffSystem", "SkiffJSON"], swiftSettings: strict),
        // The pod network across nodes (flannel's job): routes, VXLAN, masquerade.
        .target(name: "SkiffPodNetwork", dependencies: ["SkiffNetwork", "SkiffSystem", "SkiffJSON"], swiftSettings: strict),
        .target(name: "SkiffLogs", dependencies: ["SkiffSystem"], swiftSettings: strict),
        .executableTarget(name: "skiff-monitor", dependencies: ["CSkiffShim"]),
        .target(name: "SkiffStats", dependencies: ["SkiffSystem", "SkiffCgroups", "SkiffJSON"], swiftSettings: strict),
        .target(name: "SkiffSystemd", dependencies: ["SkiffSystem"], swiftSettings: strict),
        // kube-proxy's job (nftables mode): Services → one nft table, patched incrementally.
        .target(name: "SkiffServiceProxy", dependencies: ["SkiffSystem"], swiftSettings: strict),
        // NetworkPolicy enforcement (kube-router's job in k3s): policies + pods → one nft table.
        .target(name: "SkiffNetworkPolicy", dependencies: ["SkiffAPI", "SkiffSystem"], swiftSettings: strict),
        .target(
            name: "SkiffNodeAPI",
            dependencies: [
                "SkiffAPI", "SkiffSystem", "CZlib",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        .target(
            name: "SkiffAgent",
            dependencies: [
                "SkiffAPI", "SkiffClient", "SkiffSystem", "SkiffOCI", "SkiffCgroups", "SkiffImages", "SkiffRegistry", "SkiffNetwork",
                "SkiffLogs", "SkiffStats", "SkiffSystemd", "SkiffNodeAPI", "SkiffPodNetwork", "SkiffServiceProxy", "SkiffDNS",
                "SkiffNetworkPolicy", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        .target(
            name: "SkiffAgentCommand",
            dependencies: [
                "SkiffAgent", "SkiffImages", "SkiffRegistry", "SkiffNetwork", "SkiffStats", "SkiffSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        // The cluster DNS server the agent runs on every node (the cluster zone + a caching forwarder).
        .target(
            name: "SkiffDNS",
            dependencies: [
                "SkiffNetwork",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        .testTarget(name: "SkiffImagesTests", dependencies: ["SkiffImages", "SkiffSystem"], swiftSettings: strict),
        .testTarget(
            name: "SkiffRegistryTests",
            dependencies: [
                "SkiffRegistry", "SkiffImages", .product(name: "Crypto", package: "swift-crypto"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: strict),
        .testTarget(name: "SkiffNetworkTests", dependencies: ["SkiffNetwork", "SkiffSystem", "SkiffJSON"], swiftSettings: strict),
        .testTarget(name: "SkiffPodNetworkTests", dependencies: ["SkiffPodNetwork", "SkiffNetwork", "SkiffSystem", "SkiffJSON"], swiftSettings: strict),
        .testTarget(
            name: "SkiffPodNetworkIntegrationTests", dependencies: ["SkiffPodNetwork", "SkiffNetwork", "SkiffSystem"], swiftSettings: strict),
        .testTarget(name: "SkiffLogsTests", dependencies: ["SkiffLogs", "SkiffSystem"], swiftSettings: strict),
        .testTarget(name: "SkiffSystemdTests", dependencies: ["SkiffSystemd", "SkiffSystem"], swiftSettings: strict),
        .testTarget(name: "SkiffServiceProxyTests", dependencies: ["SkiffServiceProxy"], swiftSettings: strict),
        .testTarget(name: "SkiffNetworkPolicyTests", dependencies: ["SkiffNetworkPolicy", "SkiffAPI", "SkiffSystem"], swiftSettings: strict),
        .testTarget(
            name: "SkiffServiceProxyIntegrationTests", dependencies: ["SkiffServiceProxy", "SkiffSystem"], swiftSettings: strict),
        .testTarget(name: "SkiffStatsTests", dependencies: ["SkiffStats", "SkiffCgroups", "SkiffOCI", "SkiffSystem", "SkiffJSON"], swiftSettings: strict),
        .testTarget(
            name: "SkiffNodeAPITests",
            dependencies: [
                "SkiffNodeAPI", "SkiffAPI", "SkiffSystem", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "SkiffDNSTests",
            dependencies: [
                "SkiffDNS", "SkiffNetwork", "SkiffTestSupport", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "SkiffDNSIntegrationTests",
            dependencies: [
                "SkiffDNS", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "SkiffAgentTests",
            dependencies: ["SkiffAgent", "SkiffAPI", "SkiffOCI", "SkiffCgroups", "SkiffSystem", "SkiffNetwork", "SkiffDNS", "SkiffRegistry", "SkiffImages", "SkiffServiceProxy", "SkiffStats", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        .testTarget(
            name: "SkiffAgentIntegrationTests",
            dependencies: ["SkiffAPI", "SkiffSystem", "SkiffTestSupport", "skiff"],
            swiftSettings: strict),

        // Helpers for tests only (a throwaway etcd-server); no product ships it.
        .target(name: "SkiffTestSupport", swiftSettings: strict),
        .testTarget(name: "SkiffStoreTests", dependencies: ["SkiffStore", "SkiffAPI", "SkiffTestSupport"], swiftSettings: strict),
        .testTarget(name: "SkiffAPITests", dependencies: ["SkiffAPI"], swiftSettings: strict),
        .testTarget(name: "SkiffSchedulerTests", dependencies: ["SkiffScheduler", "SkiffAPI"], swiftSettings: strict),
        .testTarget(
            name: "SkiffClientTests", dependencies: ["SkiffClient", "SkiffAPI", .product(name: "Logging", package: "swift-log")], swiftSettings: strict),
        .testTarget(
            name: "SkiffControllersTests",
            dependencies: [
                "SkiffControllers", "SkiffClient", "SkiffAPI", .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "SkiffControlPlaneTests",
            dependencies: [
                "SkiffControlPlane", "SkiffControllers", "SkiffAPIServer", "SkiffStore", "SkiffAPI", "SkiffClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "SkiffAPIServerTests",
            dependencies: ["SkiffAPIServer", "SkiffAPI", "SkiffStore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict),
        .testTarget(
            name: "SkiffServerIntegrationTests",
            dependencies: [
                "SkiffAPI", "SkiffTestSupport", "skiff", "SkiffNodeAPI", "SkiffAPIServer", "SkiffStore",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // scripts/cluster: a server and agents on hosts of their own (network namespaces on a bridge).
        .testTarget(
            name: "SkiffClusterIntegrationTests",
            dependencies: ["SkiffTestSupport", "SkiffDNS", "skiff", .product(name: "Logging", package: "swift-log")], swiftSettings: strict),
        .testTarget(
            name: "SkiffWorkloadIntegrationTests", dependencies: ["SkiffTestSupport", "skiff"], swiftSettings: strict),
    ]
)
