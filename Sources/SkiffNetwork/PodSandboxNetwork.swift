import Glibc
import SkiffJSON
import SkiffSystem
import Synchronization

/// Sets up and tears down pod sandboxes: pinned network/IPC/UTS namespaces, the CNI bridge
/// network with hostPorts, and the pod's /etc/hosts, /etc/resolv.conf and /etc/hostname.
///
/// Everything for pod U lives in `sandboxDirectory/U/`: the namespace files `net`, `ipc`, `uts`,
/// the generated `hosts`, `resolv.conf`, `hostname`, and `sandbox.json` (the CNI config, runtime
/// config and result used, so teardown works after an agent restart). Calls block (they run
/// unshare and the CNI plugins), so call them off the async pool. Calls for different pods may
/// run concurrently; calls for the same pod are serialized.
public final class PodSandboxNetwork: Sendable {
    public let configuration: PodNetworkConfiguration
    public let sandboxDirectory: String
    /// Where the pod's resolv.conf comes from, and where to look when that file only names a
    /// loopback stub (systemd-resolved's upstream list).
    public let hostResolvConf: String
    public let upstreamResolvConf: String
    public let hostHosts: String

    static let interfaceName = "eth0"
    static let recordName = "sandbox.json"
    let locks = PodLocks()
    private let rootReady = Mutex(false)
    var cni: CNI { CNI(pluginDirectories: configuration.pluginDirectories) }

    public init(
        configuration: PodNetworkConfiguration, sandboxDirectory: String, hostResolvConf: String = "/etc/resolv.conf",
        upstreamResolvConf: String = "/run/systemd/resolve/resolv.conf", hostHosts: String = "/etc/hosts"
    ) {
        self.configuration = configuration
        self.sandboxDirectory = sandboxDirectory
        self.hostResolvConf = hostResolvConf
        self.upstreamResolvConf = upstreamResolvConf
        self.hostHosts = hostHosts
    }

    /// Creates the pod's sandbox, or returns the existing one if it is already fully set up
    /// (after an agent restart). A half-made sandbox from an earlier failure is torn down first.
    /// On failure everything this call made is undone before the error is thrown.
    public func setUp(_ request: PodSandboxRequest) throws -> PodSandbox {
        try request.validate()
        try prepareRoot()
        return try locks.withLock(request.podUID) {
            if let record = readRecord(request.podUID), record.phase == .ready, isIntact(record.sandbox),
                record.sandbox.hostNetwork == request.hostNetwork
            {
                return record.sandbox
            }
            try tearDownLocked(request.podUID)
            do {
                return try create(request)
            } catch {
                // Best effort: the first error is what the caller needs to see.
                try? tearDownLocked(request.podUID)
                throw error
            }
        }
    }

    /// The sandbox recorded for a pod, if it is fully set up.
    public func sandbox(podUID: String) -> PodSandbox? {
        guard let record = readRecord(podUID), record.phase == .ready else { return nil }
        return record.sandbox
    }

    private func create(_ request: PodSandboxRequest) throws -> PodSandbox {
        let directory = podDirectory(request.podUID)
        try FileSystem.makeDirectories(directory, mode: 0o755)
        let kinds: [NamespacePins.Kind] = request.hostNetwork ? [.ipc] : [.network, .ipc, .uts]
        try NamespacePins.pin(kinds, in: directory, hostname: request.hostNetwork ? nil : request.hostname)
        let hostname = request.hostNetwork ? nodeHostname() : request.hostname
        var sandbox = PodSandbox(
            podUID: request.podUID, hostNetwork: request.hostNetwork, podIP: nil, gateway: nil,
            networkNamespacePath: request.hostNetwork ? nil : "\(directory)/net", ipcNamespacePath: "\(directory)/ipc",
            utsNamespacePath: request.hostNetwork ? nil : "\(directory)/uts", hostsPath: "\(directory)/hosts",
            resolvConfPath: "\(directory)/resolv.conf", hostnamePath: "\(directory)/hostname", hostname: hostname,
            directory: directory)
        var record = SandboxRecord(
            phase: .adding, namespace: request.namespace, name: request.name, containerID: request.podUID,
            interfaceName: Self.interfaceName, conflist: nil, runtimeConfig: nil, result: nil, sandbox: sandbox)
        if !request.hostNetwork {
            record.conflist = configuration.conflist(publishingPorts: !request.portMappings.isEmpty)
            record.runtimeConfig = .object(["portMappings": .array(request.portMappings.map(\.json))])
            // On disk before ADD: if we die during ADD, teardown still knows to run DEL.
            try writeRecord(record)
            let result = try cni.add(record.conflist ?? .null, runtimeConfig: record.runtimeConfig ?? .null, attachment: attachment(record))
            record.result = result
            guard let address = Self.podAddress(in: result, interface: Self.interfaceName) else {
                throw RuntimeError("CNI ADD for pod \(request.namespace)/\(request.name) returned no IPv4 address for \(Self.interfaceName)")
            }
            sandbox.podIP = address.ip
            sandbox.gateway = address.gateway
        }
        try writeFiles(for: request, sandbox: sandbox)
        record.phase = .ready
        record.sandbox = sandbox
        try writeRecord(record)
        return sandbox
    }

    func attachment(_ record: SandboxRecord) -> CNI.Attachment {
        let netns = "\(podDirectory(record.containerID))/net"
        return CNI.Attachment(
            containerID: record.containerID,
            networkNamespace: NamespacePins.isPinned(netns) ? netns : "",
            interfaceName: record.interfaceName,
            arguments: [
                ("IgnoreUnknown", "1"), ("K8S_POD_NAMESPACE", record.namespace), ("K8S_POD_NAME", record.name),
                ("K8S_POD_INFRA_CONTAINER_ID", record.containerID), ("K8S_POD_UID", record.containerID),
            ])
    }

    /// The first IPv4 address the result gives the pod's interface, without its prefix length.
    static func podAddress(in result: JSON, interface name: String) -> (ip: String, gateway: String?)? {
        let interfaces = result["interfaces"].array ?? []
        for entry in result["ips"].array ?? [] {
            guard let cidr = entry["address"].string, let ip = cidr.split(separator: "/").first.map(String.init),
                IPv4Network.parseAddress(ip) != nil, !ip.hasPrefix("127.")
            else { continue }
            if let index = entry["interface"].int, index >= 0, index < interfaces.count,
                interfaces[Int(index)]["name"].string != name
            {
                continue
            }
            return (ip, entry["gateway"].string)
        }
        return nil
    }

    func isIntact(_ sandbox: PodSandbox) -> Bool {
        let namespaces = [sandbox.networkNamespacePath, sandbox.ipcNamespacePath, sandbox.utsNamespacePath].compactMap { $0 }
        let files = [sandbox.hostsPath, sandbox.resolvConfPath, sandbox.hostnamePath]
        return namespaces.allSatisfy(NamespacePins.isPinned) && files.allSatisfy(FileSystem.exists)
    }

    func podDirectory(_ podUID: String) -> String { "\(sandboxDirectory)/\(podUID)" }

    private func prepareRoot() throws {
        try rootReady.withLock { ready in
            guard !ready else { return }
            try PrivateMount.ensure(sandboxDirectory)
            ready = true
        }
    }

    /// Pod UIDs become directory names and CNI container IDs, which must match
    /// `^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$` (CNI spec).
    static func validatePodUID(_ uid: String) throws(RuntimeError) {
        guard isValidPodUID(uid) else {
            throw RuntimeError("pod UID \(uid.quoted) must be letters, digits, '_', '.' or '-' and start with a letter or digit")
        }
    }

    static func isValidPodUID(_ uid: String) -> Bool {
        guard let first = uid.first, first.isASCII, first.isLetter || first.isNumber, uid.utf8.count <= 128 else { return false }
        return uid.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }
    }

    private func nodeHostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(nulTerminated: buffer)
    }
}
