/// The parts of a resolv.conf a pod's copy is built from.
public struct ResolvConf: Equatable, Sendable {
    public var nameservers: [String] = []
    public var searches: [String] = []
    public var options: [String] = []

    public init(nameservers: [String] = [], searches: [String] = [], options: [String] = []) {
        self.nameservers = nameservers
        self.searches = searches
        self.options = options
    }

    /// Parses resolv.conf text as glibc reads it: the last `search`/`domain` line wins, options
    /// accumulate, comments start with '#' or ';'.
    public init(parsing text: String) {
        for line in text.split(whereSeparator: \.isNewline) {
            let content = line.prefix { $0 != "#" && $0 != ";" }
            let fields = content.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let keyword = fields.first else { continue }
            let values = Array(fields.dropFirst())
            switch keyword {
            case "nameserver": if let server = values.first { nameservers.append(server) }
            case "search", "domain": searches = values
            case "options": options += values
            default: continue
            }
        }
    }

    /// True for nameservers on the host's loopback (systemd-resolved's 127.0.0.53, a local
    /// dnsmasq): from a pod's own network namespace they would be the pod's loopback.
    static func isLoopback(_ server: String) -> Bool {
        server.hasPrefix("127.") || server == "::1" || server == "0:0:0:0:0:0:0:1"
    }

    /// The pod's copy: kubelet's limits (3 nameservers, 32 search domains) and its merge of
    /// spec.dnsConfig (appended, duplicates dropped; a repeated option name takes the pod's value).
    func merged(with config: PodDNSConfig, keepLoopback: Bool) -> ResolvConf {
        var base = config.ignoreHost ? ResolvConf() : self
        if !keepLoopback { base.nameservers.removeAll(where: ResolvConf.isLoopback) }
        if let cluster = config.cluster, !config.ignoreHost {
            base = ResolvConf(nameservers: cluster.nameservers, searches: cluster.searches + base.searches, options: cluster.options)
        }
        var result = ResolvConf()
        result.nameservers = Array(unique(base.nameservers + config.nameservers).prefix(3))
        result.searches = Array(unique(base.searches + config.searches).prefix(32))
        var options: [String] = []
        for option in base.options + config.options {
            let name = option.split(separator: ":", maxSplits: 1).first.map(String.init) ?? option
            options.removeAll { ($0.split(separator: ":", maxSplits: 1).first.map(String.init) ?? $0) == name }
            options.append(option)
        }
        result.options = options
        return result
    }

    public var text: String {
        var lines: [String] = []
        if !searches.isEmpty { lines.append("search " + searches.joined(separator: " ")) }
        lines += nameservers.map { "nameserver " + $0 }
        if !options.isEmpty { lines.append("options " + options.joined(separator: " ")) }
        return lines.map { $0 + "\n" }.joined()
    }

    private func unique(_ values: [String]) -> [String] {
        var seen = Set<String>()
        return values.filter { seen.insert($0).inserted }
    }
}
