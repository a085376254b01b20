import SkiffJSON
import SkiffSystem

extension PodSandboxNetwork {
    /// Runs CNI DEL (which releases the IP and the hostPort rules), unmounts and removes the
    /// namespace files and the pod's directory. Idempotent: a missing or half-made sandbox is
    /// fine. If DEL fails, the record stays so a later call can retry.
    public func tearDown(podUID: String) throws {
        try Self.validatePodUID(podUID)
        try locks.withLock(podUID) { try tearDownLocked(podUID) }
    }

    /// The pod UIDs that have a sandbox directory (complete or not).
    public func podUIDs() throws -> [String] {
        guard FileSystem.isDirectory(sandboxDirectory) else { return [] }
        return try FileSystem.listDirectory(sandboxDirectory).filter {
            Self.isValidPodUID($0) && FileSystem.isDirectory(podDirectory($0))
        }.sorted()
    }

    /// For agent start-up: tears down every sandbox whose pod is not in `keeping`, and releases
    /// IP leases held for pods that are neither kept nor have a sandbox (a reboot empties /run but
    /// not the lease directory). Returns the pod UIDs it cleaned up; keeps going past failures
    /// and throws the first one at the end.
    @discardableResult
    public func cleanupStale(keeping: Set<String>) throws -> [String] {
        var cleaned: [String] = []
        var firstError: (any Error)?
        for uid in try podUIDs() where !keeping.contains(uid) {
            do {
                try tearDown(podUID: uid)
                cleaned.append(uid)
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        for uid in leasedContainerIDs() where !keeping.contains(uid) && !FileSystem.exists(podDirectory(uid)) {
            do {
                try locks.withLock(uid) {
                    // No record survives: DEL with today's config and no netns releases the lease.
                    let record = SandboxRecord(
                        phase: .adding, namespace: "", name: "", containerID: uid, interfaceName: Self.interfaceName,
                        conflist: configuration.conflist, runtimeConfig: .emptyObject, result: nil,
                        sandbox: placeholderSandbox(uid))
                    try cni.delete(configuration.conflist, runtimeConfig: .emptyObject, result: nil, attachment: attachment(record))
                    try NATLeftovers.remove(network: configuration.networkName, containerID: uid)
                }
                if !cleaned.contains(uid) { cleaned.append(uid) }
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        if let firstError { throw firstError }
        return cleaned
    }

    func tearDownLocked(_ podUID: String) throws {
        let directory = podDirectory(podUID)
        guard FileSystem.exists(directory) else { return }
        if let record = readRecord(podUID) {
            if let conflist = record.conflist {
                try cni.delete(conflist, runtimeConfig: record.runtimeConfig ?? .emptyObject, result: record.result, attachment: attachment(record))
                try NATLeftovers.remove(network: conflist["name"].string ?? configuration.networkName, containerID: podUID)
            }
        } else if FileSystem.exists("\(directory)/net") {
            // The record is missing or unreadable but a network namespace was made: an ADD may
            // have run, so DEL with the current config (it releases by container ID).
            let record = SandboxRecord(
                phase: .adding, namespace: "", name: "", containerID: podUID, interfaceName: Self.interfaceName,
                conflist: configuration.conflist, runtimeConfig: .emptyObject, result: nil, sandbox: placeholderSandbox(podUID))
            try cni.delete(configuration.conflist, runtimeConfig: .emptyObject, result: nil, attachment: attachment(record))
            try NATLeftovers.remove(network: configuration.networkName, containerID: podUID)
        }
        for kind in NamespacePins.Kind.allCases { try NamespacePins.unpin("\(directory)/\(kind.rawValue)") }
        try FileSystem.removeTree(directory)
    }

    /// Container IDs host-local holds leases for on our network: files named by IP whose first
    /// line is the container ID.
    func leasedContainerIDs() -> [String] {
        let directory = "\(configuration.ipamDataDirectory)/\(configuration.networkName)"
        guard let names = try? FileSystem.listDirectory(directory) else { return [] }
        var ids: [String] = []
        for name in names where IPv4Network.parseAddress(name) != nil {
            guard let text = try? FileSystem.readString("\(directory)/\(name)") else { continue }
            let id = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            if Self.isValidPodUID(id), !ids.contains(id) { ids.append(id) }
        }
        return ids
    }

    private func placeholderSandbox(_ podUID: String) -> PodSandbox {
        let directory = podDirectory(podUID)
        return PodSandbox(
            podUID: podUID, hostNetwork: false, podIP: nil, gateway: nil, networkNamespacePath: nil,
            ipcNamespacePath: "\(directory)/ipc", utsNamespacePath: nil, hostsPath: "\(directory)/hosts",
            resolvConfPath: "\(directory)/resolv.conf", hostnamePath: "\(directory)/hostname", hostname: "", directory: directory)
    }
}
