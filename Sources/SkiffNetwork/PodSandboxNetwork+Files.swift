import SkiffJSON
import SkiffSystem

extension PodSandboxNetwork {
    /// Writes hosts, resolv.conf and hostname into the pod's directory (0644: containers running
    /// as any user read them).
    func writeFiles(for request: PodSandboxRequest, sandbox: PodSandbox) throws {
        let hosts: String
        if request.hostNetwork {
            let nodeHosts = (try? FileSystem.readString(hostHosts)) ?? ""
            hosts = PodFiles.hostNetworkHosts(nodeHosts: nodeHosts, aliases: request.hostAliases)
        } else {
            hosts = PodFiles.managedHosts(
                podIP: sandbox.podIP ?? "", hostname: request.hostname, hostDomain: request.hostDomain, aliases: request.hostAliases)
        }
        try FileSystem.writeAtomically(sandbox.hostsPath, hosts, mode: 0o644)
        try FileSystem.writeAtomically(sandbox.resolvConfPath, resolvConf(for: request).text, mode: 0o644)
        try FileSystem.writeAtomically(sandbox.hostnamePath, sandbox.hostname + "\n", mode: 0o644)
    }

    /// The host's resolver settings merged with the pod's dnsConfig. A pod with its own netns
    /// cannot reach nameservers on the host's loopback, so those are dropped; if that leaves
    /// none, the upstream list systemd-resolved keeps is used instead.
    public func resolvConf(for request: PodSandboxRequest) -> ResolvConf {
        let keepLoopback = request.hostNetwork
        var host = ResolvConf(parsing: (try? FileSystem.readString(hostResolvConf)) ?? "")
        if !keepLoopback, !host.nameservers.isEmpty, host.nameservers.allSatisfy(ResolvConf.isLoopback),
            let upstream = try? FileSystem.readString(upstreamResolvConf)
        {
            host.nameservers = ResolvConf(parsing: upstream).nameservers
        }
        return host.merged(with: request.dns, keepLoopback: keepLoopback)
    }

    func readRecord(_ podUID: String) -> SandboxRecord? {
        guard let bytes = try? FileSystem.readBytes("\(podDirectory(podUID))/\(Self.recordName)") else { return nil }
        return try? SandboxRecord(jsonBytes: bytes)
    }

    /// Atomic replace: a crash leaves the old record or the new one, never half of one. The pod's
    /// lock is held, so no other thread writes the same temporary file.
    func writeRecord(_ record: SandboxRecord) throws {
        try FileSystem.writeAtomically("\(podDirectory(record.containerID))/\(Self.recordName)", record.json.prettyPrinted, mode: 0o600)
    }
}
