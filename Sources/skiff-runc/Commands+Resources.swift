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

    /// runc's `update`: `-r FILE` (or `-`) with a resources JSON, which makes every other flag
    /// ignored, or the flags one by one. A flag's 0 (or one not given) leaves that value alone.
    func update(_ arguments: ArraySlice<String>) throws -> Int32 {
        let args = try Arguments(
            arguments,
            valued: [
                ["resources", "r"], ["blkio-weight"], ["cpu-period"], ["cpu-quota"], ["cpu-share", "cpu-shares"], ["cpu-rt-period"],
                ["cpu-rt-runtime"], ["cpuset-cpus"], ["cpuset-mems"], ["memory"], ["memory-reservation"], ["memory-swap"],
                ["kernel-memory"], ["kernel-memory-tcp"], ["pids-limit"], ["l3-cache-schema"], ["mem-bw-schema"],
            ],
            switches: [])
        let id = try args.id("update")
        let resources: RuntimeSpec.Resources
        if let path = args.value("resources"), !path.isEmpty {
            let bytes = path == "-" ? try StandardStream.input.readAll() : try FileSystem.readBytes(path)
            resources = try RuntimeSpec.decode(bytes, as: RuntimeSpec.Resources.self, what: "resources")
        } else {
            resources = try Self.resourceFlags(args)
        }
        if args.value("l3-cache-schema").map({ !$0.isEmpty }) == true {
            throw RuntimeError("Intel RDT/CAT: l3 cache schema is not enabled")
        }
        if args.value("mem-bw-schema").map({ !$0.isEmpty }) == true {
            throw RuntimeError("Intel RDT/MBA: memory bandwidth schema is not enabled")
        }
        try runtime.update(id, resources: resources)
        return 0
    }

    /// The resources `update`'s flags ask for; zeros are left out, as runc ignores them.
    static func resourceFlags(_ args: Arguments) throws -> RuntimeSpec.Resources {
        func unsigned(_ flag: String) throws -> UInt64? {
            guard let text = args.value(flag), !text.isEmpty else { return nil }
            guard let value = UInt64(text) else { throw RuntimeError("invalid value for \(flag): \(text.quoted) is not an unsigned number") }
            return value == 0 ? nil : value
        }
        func signed(_ flag: String) throws -> Int64? {
            guard let text = args.value(flag), !text.isEmpty else { return nil }
            guard let value = Int64(text) else { throw RuntimeError("invalid value for \(flag): \(text.quoted) is not a number") }
            return value == 0 ? nil : value
        }
        func bytes(_ flag: String) throws -> Int64? {
            guard let text = args.value(flag), !text.isEmpty else { return nil }
            let value = try parseBytes(text, flag: flag)
            return value == 0 ? nil : value
        }
        var cpu = RuntimeSpec.CPU(
            shares: try unsigned("cpu-share"), quota: try signed("cpu-quota"), period: try unsigned("cpu-period"),
            cpus: args.value("cpuset-cpus").flatMap { $0.isEmpty ? nil : $0 }, mems: args.value("cpuset-mems").flatMap { $0.isEmpty ? nil : $0 })
        cpu.realtimePeriod = try unsigned("cpu-rt-period")
        cpu.realtimeRuntime = try signed("cpu-rt-runtime")
        var resources = RuntimeSpec.Resources()
        if cpu != RuntimeSpec.CPU() { resources.cpu = cpu }
        var memory = RuntimeSpec.Memory()
        memory.limit = try bytes("memory")
        memory.reservation = try bytes("memory-reservation")
        memory.swap = try bytes("memory-swap")
        if memory != RuntimeSpec.Memory() { resources.memory = memory }
        if try bytes("kernel-memory") != nil || bytes("kernel-memory-tcp") != nil {
            FileSystem.standardError("warning: kernel memory settings are ignored and will be removed\n")
        }
        if let limit = try signed("pids-limit") { resources.pids = .init(limit: limit) }
        if let weight = try unsigned("blkio-weight") { resources.blockIO = .init(weight: UInt16(clamping: weight)) }
        return resources
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
