/// The /etc files a pod's containers get, in kubelet's formats (pkg/kubelet/kubelet_pods.go).
public enum PodFiles {
    /// /etc/hosts for a pod with its own network namespace.
    public static func managedHosts(podIP: String, hostname: String, hostDomain: String?, aliases: [HostAlias]) -> String {
        var text = "# Kubernetes-managed hosts file.\n"
        text += "127.0.0.1\tlocalhost\n"
        text += "::1\tlocalhost ip6-localhost ip6-loopback\n"
        text += "fe00::0\tip6-localnet\n"
        text += "fe00::0\tip6-mcastprefix\n"
        text += "fe00::1\tip6-allnodes\n"
        text += "fe00::2\tip6-allrouters\n"
        if let hostDomain, !hostDomain.isEmpty {
            text += "\(podIP)\t\(hostname).\(hostDomain)\t\(hostname)\n"
        } else {
            text += "\(podIP)\t\(hostname)\n"
        }
        return text + aliasEntries(aliases)
    }

    /// /etc/hosts for a hostNetwork pod: the node's own file, plus hostAliases.
    public static func hostNetworkHosts(nodeHosts: String, aliases: [HostAlias]) -> String {
        "# Kubernetes-managed hosts file (host network).\n" + nodeHosts + aliasEntries(aliases)
    }

    static func aliasEntries(_ aliases: [HostAlias]) -> String {
        guard !aliases.isEmpty else { return "" }
        var text = "\n# Entries added by HostAliases.\n"
        for alias in aliases {
            text += "\(alias.ip)\t\(alias.hostnames.joined(separator: "\t"))\n"
        }
        return text
    }
}
