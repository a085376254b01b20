import Glibc
import SkiffCgroups
import SkiffContainer
import SkiffJSON
import SkiffOCI
import SkiffSystem

extension Commands {
    func pause(_ arguments: ArraySlice<String>) throws -> Int32 {
        try runtime.pause(try Arguments(arguments, valued: [], switches: []).id("pause"))
        return 0
    }

    func resume(_ arguments: ArraySlice<String>) throws -> Int32 {
        try runtime.resume(try Arguments(arguments, valued: [], switches: []).id("resume"))
        return 0
    }

    func update(_ arguments: ArraySlice<String>) throws -> Int32 {
        let args = try Arguments(
            arguments,
            valued: [
                ["resources", "r"], ["memory"], ["memory-swap"], ["memory-reservation"], ["cpu-quota"], ["cpu-period"],
                ["cpu-shares"], ["cpuset-cpus"], ["cpuset-mems"], ["pids-limit"], ["blkio-weight"],
            ],
            switches: [])
        let id = try args.id("update")
        var resources = RuntimeSpec.Resources()
        if let path = args.value("resources") {
            let bytes = path == "-" ? try StandardStream.input.readAll() : try FileSystem.readBytes(path)
            resources = try RuntimeSpec.decode(bytes, as: RuntimeSpec.Resources.self, what: "resources")
        }
        if let text = args.value("memory") {
            resources.memory = resources.memory ?? .init()
            resources.memory?.limit = try parseBytes(text, flag: "memory")
        }
        if let text = args.value("memory-swap") {
            resources.memory = resources.memory ?? .init()
            resources.memory?.swap = try parseBytes(text, flag: "memory-swap")
        }
        if let text = args.value("memory-reservation") {
            resources.memory = resources.memory ?? .init()
            resources.memory?.reservation = try parseBytes(text, flag: "memory-reservation")
        }
        if let quota = try args.int("cpu-quota") {
            resources.cpu = resources.cpu ?? .init()
            resources.cpu?.quota = quota
        }
        if let period = try args.int("cpu-period") {
            resources.cpu = resources.cpu ?? .init()
            resources.cpu?.period = UInt64(max(period, 0))
        }
        if let shares = try args.int("cpu-shares") {
            resources.cpu = resources.cpu ?? .init()
            resources.cpu?.shares = UInt64(max(shares, 0))
        }
        if let cpus = args.value("cpuset-cpus") {
            resources.cpu = resources.cpu ?? .init()
            resources.cpu?.cpus = cpus
        }
        if let mems = args.value("cpuset-mems") {
            resources.cpu = resources.cpu ?? .init()
            resources.cpu?.mems = mems
        }
        if let limit = try args.int("pids-limit") { resources.pids = .init(limit: limit) }
        if let weight = try args.int("blkio-weight") { resources.blockIO = .init(weight: UInt16(clamping: weight)) }
        try runtime.update(id, resources: resources)
        return 0
    }

    /// `events --stats ID` prints one stats event; without --stats it prints one every
    /// --interval and an "oom" event whenever the OOM kill count grows, until the container stops.
    func events(_ arguments: ArraySlice<String>) throws -> Int32 {
        let args = try Arguments(arguments, valued: [["interval"]], switches: [["stats"]])
        let id = try args.id("events")
        if args.flag("stats") {
            FileSystem.standardOutput(Self.json(StatsEvent(type: "stats", id: id, data: try runtime.stats(id)), pretty: false) + "\n")
            return 0
        }
        let interval = try parseDuration(args.value("interval") ?? "5s")
        var lastOOM = try runtime.stats(id).memory.oomKill
        var elapsed: UInt64 = 0
        while true {
            usleep(100_000)
            elapsed += 100_000
            guard let stats = try? runtime.stats(id) else { return 0 }
            if stats.memory.oomKill > lastOOM {
                lastOOM = stats.memory.oomKill
                FileSystem.standardOutput(Self.json(StatsEvent(type: "oom", id: id, data: nil), pretty: false) + "\n")
            }
            if elapsed >= interval {
                elapsed = 0
                FileSystem.standardOutput(Self.json(StatsEvent(type: "stats", id: id, data: stats), pretty: false) + "\n")
            }
        }
    }

    /// "5s", "500ms", "1m" → microseconds.
    func parseDuration(_ text: String) throws -> UInt64 {
        let units: [(String, UInt64)] = [("ms", 1000), ("s", 1_000_000), ("m", 60_000_000)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            if let value = UInt64(text.dropLast(suffix.count)), value > 0 { return value * scale }
        }
        throw RuntimeError("invalid --interval \(text.quoted): use e.g. 5s or 500ms")
    }

    func spec(_ arguments: ArraySlice<String>) throws -> Int32 {
        let args = try Arguments(arguments, valued: [["bundle", "b"]], switches: [["rootless"]])
        let bundle = args.value("bundle") ?? "."
        let path = bundle + "/config.json"
        if FileSystem.exists(path) { throw RuntimeError("File \(path) exists. Remove it first") }
        var spec = RuntimeSpec.defaultSpec()
        if args.flag("rootless") {
            var linux = spec.linux ?? RuntimeSpec.Linux()
            linux.namespaces = (linux.namespaces ?? []).filter { $0.type != "network" } + [.init(type: "user")]
            linux.uidMappings = [.init(containerID: 0, hostID: getuid(), size: 1)]
            linux.gidMappings = [.init(containerID: 0, hostID: getgid(), size: 1)]
            linux.resources = nil
            spec.linux = linux
        }
        try FileSystem.write(path, Self.json(spec) + "\n", flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o666)
        return 0
    }

    func features(_ arguments: ArraySlice<String>) throws -> Int32 {
        FileSystem.standardOutput(Self.json(Features()) + "\n")
        return 0
    }
}

struct StatsEvent: JSONEncodable {
    var type: String
    var id: String
    var data: CgroupStats?

    var json: JSON {
        var fields: [String: JSON] = ["type": .string(type), "id": .string(id)]
        fields["data"] = data?.json
        return .object(fields)
    }
}

/// `features`: the OCI "features" document (runtime-spec features.md).
struct Features: JSONEncodable {
    var ociVersionMin = "1.0.0"
    var ociVersionMax = RuntimeSpec.version
    var hooks = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]
    var mountOptions = [
        "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "mand", "noatime",
        "nodev", "nodiratime", "noexec", "nomand", "norelatime", "nostrictatime", "nosuid", "private",
        "rbind", "relatime", "remount", "ro", "rprivate", "rshared", "rslave", "runbindable", "rw",
        "shared", "slave", "strictatime", "suid", "sync", "unbindable",
    ]
    var linux = Linux()

    var json: JSON {
        [
            "ociVersionMin": .string(ociVersionMin), "ociVersionMax": .string(ociVersionMax), "hooks": hooks.json,
            "mountOptions": mountOptions.json, "linux": linux.json,
        ]
    }

    struct Linux: JSONEncodable {
        var namespaces = LinuxNames.namespaces.map(\.type)
        var capabilities = LinuxNames.capabilities
        var cgroup = ["v1": true, "v2": true, "systemd": false, "systemdUser": false]
        var seccomp = Seccomp()
        var apparmor = ["enabled": false]
        var selinux = ["enabled": false]

        var json: JSON {
            [
                "namespaces": namespaces.json, "capabilities": capabilities.json, "cgroup": cgroup.json, "seccomp": seccomp.json,
                "apparmor": apparmor.json, "selinux": selinux.json,
            ]
        }
    }

    struct Seccomp: JSONEncodable {
        var enabled = true
        var actions = SeccompNames.actions.sorted()
        var operators = SeccompNames.operators.sorted()
        var archs = SeccompNames.architectures.sorted()

        var json: JSON {
            ["enabled": .bool(enabled), "actions": actions.json, "operators": operators.json, "archs": archs.json]
        }
    }
}
