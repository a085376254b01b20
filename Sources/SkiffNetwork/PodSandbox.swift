import SkiffJSON

/// A pod's set-up sandbox: the namespaces its containers join and the files they bind-mount.
public struct PodSandbox: Codable, Sendable, Equatable {
    public var podUID: String
    public var hostNetwork: Bool
    /// The pod's IPv4 address; nil for hostNetwork pods (they use the node's addresses).
    public var podIP: String?
    /// The bridge's address, the pod's default gateway.
    public var gateway: String?
    /// Bind-mounted namespace files for config.json `linux.namespaces[].path`. Network and UTS
    /// are nil for hostNetwork pods: leave those namespace types out so containers keep the host's.
    public var networkNamespacePath: String?
    public var ipcNamespacePath: String
    public var utsNamespacePath: String?
    /// Generated files to bind-mount at /etc/hosts, /etc/resolv.conf and /etc/hostname.
    public var hostsPath: String
    public var resolvConfPath: String
    public var hostnamePath: String
    public var hostname: String
    public var directory: String
}

/// What the sandbox keeps on disk so teardown works after an agent restart: the exact CNI config
/// and runtimeConfig used for ADD and the result it returned (the plugins need them for DEL).
struct SandboxRecord: Sendable {
    enum Phase: String, Sendable {
        /// Written before CNI ADD runs: an IP may be leased, so teardown must still run DEL.
        case adding
        case ready
    }

    var phase: Phase
    var namespace: String
    var name: String
    var containerID: String
    var interfaceName: String
    var conflist: JSON?
    var runtimeConfig: JSON?
    var result: JSON?
    var sandbox: PodSandbox
}
