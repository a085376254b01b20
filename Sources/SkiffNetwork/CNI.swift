import SkiffJSON
import SkiffSystem

/// Runs CNI plugin chains the way libcni does (CNI spec 1.0.0): each plugin gets the list's name
/// and cniVersion, the previous plugin's result as `prevResult`, and only the runtimeConfig keys
/// it declares in `capabilities`.
struct CNI: Sendable {
    static let version = "1.0.0"

    /// Who the plugins are working for: CNI_CONTAINERID, CNI_NETNS, CNI_IFNAME, CNI_ARGS.
    struct Attachment: Sendable {
        var containerID: String
        /// Empty when the namespace is gone; the spec asks plugins to clean up what they can then.
        var networkNamespace: String
        var interfaceName: String
        var arguments: [(String, String)]
    }

    let pluginDirectories: [String]

    /// ADD through the whole list; returns the last plugin's result.
    func add(_ conflist: JSON, runtimeConfig: JSON, attachment: Attachment) throws -> JSON {
        var previous: JSON?
        for plugin in try plugins(of: conflist) {
            let config = pluginConfig(plugin, list: conflist, runtimeConfig: runtimeConfig, previous: previous)
            guard let result = try run("ADD", config, attachment) else {
                throw RuntimeError("CNI plugin \(plugin["type"].string ?? "?") ADD printed no result")
            }
            previous = result
        }
        guard let previous else { throw RuntimeError("CNI network config has no plugins") }
        return previous
    }

    /// DEL through the list in reverse, each plugin seeing the cached ADD result. Keeps going
    /// after a failure so one broken plugin does not strand the others' state (the IP lease),
    /// then reports the first failure.
    func delete(_ conflist: JSON, runtimeConfig: JSON, result: JSON?, attachment: Attachment) throws {
        var firstError: (any Error)?
        for plugin in try plugins(of: conflist).reversed() {
            let config = pluginConfig(plugin, list: conflist, runtimeConfig: runtimeConfig, previous: result)
            do {
                _ = try run("DEL", config, attachment)
            } catch {
                if firstError == nil { firstError = error }
            }
        }
        if let firstError { throw firstError }
    }

    private func plugins(of conflist: JSON) throws -> [JSON] {
        guard let plugins = conflist["plugins"].array, !plugins.isEmpty else {
            throw RuntimeError("CNI network config has no \"plugins\" list")
        }
        return plugins
    }

    func pluginConfig(_ plugin: JSON, list: JSON, runtimeConfig: JSON, previous: JSON?) -> JSON {
        // Assigning null removes a key: the first plugin gets no prevResult.
        var config = plugin
        config["name"] = list["name"]
        config["cniVersion"] = list["cniVersion"]
        config["prevResult"] = previous ?? .null
        if case .object(let capabilities) = plugin["capabilities"], case .object(let runtime) = runtimeConfig {
            var granted: [String: JSON] = [:]
            for (key, enabled) in capabilities where enabled == .bool(true) {
                if let value = runtime[key] { granted[key] = value }
            }
            if !granted.isEmpty { config["runtimeConfig"] = .object(granted) }
        }
        return config
    }

    /// Execs one plugin; nil when it printed nothing (DEL usually does).
    private func run(_ command: String, _ config: JSON, _ attachment: Attachment) throws -> JSON? {
        let type = config["type"].string ?? ""
        guard !type.isEmpty, !type.contains("/") else { throw RuntimeError("CNI plugin config has a bad \"type\": \(type.quoted)") }
        guard let path = pluginDirectories.map({ "\($0)/\(type)" }).first(where: FileSystem.exists) else {
            throw RuntimeError("CNI plugin \(type.quoted) not found in \(pluginDirectories.joined(separator: ":")) (install containernetworking-plugins)")
        }
        let environment = [
            "CNI_COMMAND=\(command)",
            "CNI_CONTAINERID=\(attachment.containerID)",
            "CNI_NETNS=\(attachment.networkNamespace)",
            "CNI_IFNAME=\(attachment.interfaceName)",
            "CNI_PATH=\(pluginDirectories.joined(separator: ":"))",
            "CNI_ARGS=\(attachment.arguments.map { "\($0.0)=\($0.1)" }.joined(separator: ";"))",
            // portmap and bridge run iptables from PATH.
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        ]
        let output = try Command.run(path, [], environment: environment, input: config.bytes)
        let printed = output.standardOutput.contains { $0 != 0x20 && $0 != 0x0a && $0 != 0x0d && $0 != 0x09 }
        // Exact integers: the result goes to the next plugin as prevResult unchanged.
        let document = printed ? try? JSON(parsing: output.standardOutput, exactIntegers: true) : nil
        guard output.status == .exited(0) else {
            var message = "CNI plugin \(type) \(command) for \(attachment.containerID) failed (\(output.status))"
            if let document, let text = document["msg"].string {
                message += ": \(text)"
                if let details = document["details"].string, !details.isEmpty { message += " (\(details))" }
            } else {
                let text = (output.stdout + output.stderr).trimmingWhitespace
                if !text.isEmpty { message += ": \(text)" }
            }
            throw RuntimeError(message)
        }
        if printed && document == nil {
            throw RuntimeError("CNI plugin \(type) \(command) printed something that is not JSON: \(output.stdout.prefix(200))")
        }
        return document
    }
}

extension String {
    var trimmingWhitespace: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
