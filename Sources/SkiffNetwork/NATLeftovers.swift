import SkiffSystem

/// Removes nat rules the bridge and portmap plugins left for a container. The bridge plugin finds
/// its masquerade rules through the addresses inside the pod's netns, so a DEL after the netns
/// vanished leaves them behind; their comments still name the network and container.
enum NATLeftovers {
    /// The iptables-restore script that deletes every nat rule whose comment names `containerID`
    /// on `network`, and the per-container chains those rules jump to. Empty when there are none.
    static func removalScript(iptablesSave text: String, network: String, containerID: String) -> String {
        let marker = "name: \\\"\(network)\\\" id: \\\"\(containerID)\\\""
        var rules: [String] = []
        var chains: [String] = []
        for line in text.split(whereSeparator: \.isNewline) where line.hasPrefix("-A ") && line.contains(marker) {
            rules.append(String(line))
            let fields = line.split(separator: " ")
            if let jump = fields.firstIndex(of: "-j"), jump + 1 < fields.count {
                let target = String(fields[jump + 1])
                // CNI-HOSTPORT-* are portmap's shared chains; per-container ones are hashes.
                if target.hasPrefix("CNI-"), !target.hasPrefix("CNI-HOSTPORT-"), !chains.contains(target) { chains.append(target) }
            }
        }
        guard !rules.isEmpty else { return "" }
        var script = "*nat\n"
        for rule in rules {
            let chain = rule.split(separator: " ")[1]
            // Rules inside a doomed chain go with its flush.
            if !chains.contains(String(chain)) { script += "-D" + rule.dropFirst(2) + "\n" }
        }
        for chain in chains { script += "-F \(chain)\n-X \(chain)\n" }
        return script + "COMMIT\n"
    }

    static func remove(network: String, containerID: String) throws {
        guard let save = try? NamespacePins.tool("iptables-save"), let restore = try? NamespacePins.tool("iptables-restore") else {
            return  // No iptables: the plugins could not have made rules either.
        }
        let saved = try Command.run(save, ["-t", "nat"], environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"])
        guard saved.status == .exited(0) else { return }
        let script = removalScript(iptablesSave: saved.stdout, network: network, containerID: containerID)
        guard !script.isEmpty else { return }
        let output = try Command.run(restore, ["--noflush", "-w"], environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], input: Array(script.utf8))
        guard output.status == .exited(0) else {
            throw RuntimeError("removing leftover nat rules of \(containerID) failed: \(output.stderr.trimmingWhitespace)")
        }
    }
}
