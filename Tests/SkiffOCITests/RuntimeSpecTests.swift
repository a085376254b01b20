import SkiffOCI
import Testing

@Suite("config.json model and validation")
struct RuntimeSpecTests {
    func decode(_ json: String) throws -> RuntimeSpec {
        try RuntimeSpec.decode(Array(json.utf8), what: "config.json")
    }

    @Test func defaultSpecRoundTripsThroughJSON() throws {
        let spec = RuntimeSpec.defaultSpec()
        let decoded = try decode(spec.encoded())
        #expect(decoded == spec)
        #expect(decoded.process?.args == ["sh"])
        #expect(decoded.linux?.namespaces?.map(\.type) == ["pid", "network", "ipc", "uts", "mount"])
    }

    @Test("what the agent sets in a container's config survives encoding: seccomp errno, namespace paths, oomScoreAdj, capabilities, resources, annotations")
    func agentFieldsRoundTrip() throws {
        var spec = RuntimeSpec.defaultSpec(terminal: false)
        spec.process?.oomScoreAdj = -997
        spec.process?.noNewPrivileges = false
        spec.process?.user = RuntimeSpec.User(uid: 1000, gid: 1000, additionalGids: [2000, 3000])
        spec.process?.capabilities = RuntimeSpec.Capabilities(bounding: ["CAP_CHOWN"], effective: ["CAP_CHOWN"], permitted: ["CAP_CHOWN"])
        spec.mounts?.append(RuntimeSpec.Mount(destination: "/etc/hosts", type: "bind", source: "/run/pod/hosts", options: ["rbind", "rprivate", "ro"]))
        spec.linux?.namespaces = [RuntimeSpec.Namespace(type: "pid"), RuntimeSpec.Namespace(type: "network", path: "/run/netns/pod")]
        spec.linux?.cgroupsPath = "/kubepods/burstable/podu1/c1"
        spec.linux?.resources?.cpu = RuntimeSpec.CPU(shares: 256, quota: 50_000, period: 100_000)
        spec.linux?.resources?.memory = RuntimeSpec.Memory(limit: 64 << 20)
        spec.linux?.seccomp = RuntimeSpec.Seccomp(
            defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64"],
            syscalls: [
                RuntimeSpec.Seccomp.Syscall(
                    names: ["kexec_load"], action: "SCMP_ACT_ERRNO", errnoRet: 1,
                    args: [RuntimeSpec.Seccomp.Arg(index: 0, value: 1, valueTwo: 2, op: "SCMP_CMP_EQ")])
            ])
        spec.annotations = ["io.kubernetes.pod.uid": "u1"]
        let decoded = try decode(spec.encoded(pretty: false))
        #expect(decoded == spec)
        #expect(decoded.linux?.seccomp?.syscalls?.first?.errnoRet == 1)
        #expect(decoded.linux?.namespaces?.last?.path == "/run/netns/pod")
        #expect(decoded.process?.oomScoreAdj == -997)
    }

    @Test func unknownFieldsAreIgnored() throws {
        let spec = try decode(#"{"ociVersion":"1.0.2","root":{"path":"rootfs"},"somethingNew":{"x":1}}"#)
        #expect(spec.root?.path == "rootfs")
    }

    @Test func badJSONNamesTheProblem() {
        #expect {
            _ = try decode(#"{"ociVersion": "1.0.2", "root": "#)
        } throws: { error in
            "\(error)".contains("config.json: invalid JSON")
        }
    }

    @Test func wrongTypeNamesTheField() {
        #expect {
            _ = try decode(#"{"ociVersion":"1","process":{"cwd":"/","user":{"uid":0,"gid":0},"rlimits":[{"type":"RLIMIT_NOFILE","hard":"x","soft":1}]}}"#)
        } throws: { error in
            "\(error)".contains("process.rlimits[0].hard")
        }
    }

    static let invalid: [(String, @Sendable (inout RuntimeSpec) -> Void, String)] = [
        ("missing root", { $0.root = nil }, "root: required"),
        ("missing process", { $0.process = nil }, "process: required"),
        ("empty args", { $0.process?.args = [] }, "process.args"),
        ("relative cwd", { $0.process?.cwd = "tmp" }, "process.cwd \"tmp\""),
        ("unknown rlimit", { $0.process?.rlimits = [.init(type: "RLIMIT_FOO", hard: 1, soft: 1)] }, "process.rlimits[0].type \"RLIMIT_FOO\": unknown rlimit"),
        ("soft above hard", { $0.process?.rlimits = [.init(type: "RLIMIT_NOFILE", hard: 1, soft: 2)] }, "soft limit 2 is above hard limit 1"),
        ("unknown capability", { $0.process?.capabilities?.bounding = ["CAP_FLY"] }, "capabilities.bounding[0] \"CAP_FLY\": unknown capability"),
        ("unknown namespace", { $0.linux?.namespaces?.append(.init(type: "foo")) }, "linux.namespaces[5].type \"foo\": unknown namespace type"),
        ("duplicate namespace", { $0.linux?.namespaces?.append(.init(type: "pid")) }, "listed twice"),
        (
            "missing namespace path",
            {
                $0.linux?.namespaces = [.init(type: "network", path: "/nonexistent/ns")]
                $0.hostname = nil
            }, "no such namespace file"
        ),
        ("hostname without uts", { $0.linux?.namespaces = [.init(type: "mount")] }, "hostname: unable to set hostname without a private UTS namespace"),
        (
            "hostname as a sysctl",
            { $0.linux?.sysctl = ["kernel.hostname": "x"] },
            "linux.sysctl \"kernel.hostname\": sysctl \"kernel.hostname\" is not allowed as it conflicts with the OCI \"hostname\" field"
        ),
        (
            "domainname sysctl without uts",
            {
                $0.linux?.namespaces?.removeAll { $0.type == "uts" }
                $0.hostname = nil
                $0.linux?.sysctl = ["kernel.domainname": "x"]
            }, "sysctl \"kernel.domainname\" is not in a separate kernel namespace"
        ),
        (
            "net sysctl without a network namespace",
            {
                $0.linux?.namespaces?.removeAll { $0.type == "network" }
                $0.linux?.sysctl = ["net/ipv4/ip_forward": "1"]
            }, "sysctl \"net.ipv4.ip_forward\" not allowed in host network namespace"
        ),
        (
            "net sysctl in the runtime's own network namespace",
            {
                $0.linux?.namespaces = [.init(type: "network", path: "/proc/self/ns/net"), .init(type: "uts")]
                $0.linux?.sysctl = ["net.ipv4.ip_forward": "1"]
            }, "not allowed in host network namespace"
        ),
        (
            "ipc sysctl without an ipc namespace",
            {
                $0.linux?.namespaces?.removeAll { $0.type == "ipc" }
                $0.linux?.sysctl = ["fs.mqueue.msg_max": "10"]
            }, "sysctl \"fs.mqueue.msg_max\" is not allowed in the hosts ipc namespace"
        ),
        ("sysctl no namespace isolates", { $0.linux?.sysctl = ["vm.swappiness": "10"] }, "sysctl \"vm.swappiness\" is not in a separate kernel namespace"),
        ("user namespace without mappings", { $0.linux?.namespaces?.append(.init(type: "user")) }, "linux.uidMappings: required"),
        ("relative mount destination", { $0.mounts?.append(.init(destination: "data", type: "tmpfs")) }, "must be an absolute path"),
        ("bind without source", { $0.mounts?.append(.init(destination: "/data", type: "bind")) }, "source: required for a bind mount"),
        ("bad seccomp action", { $0.linux?.seccomp = .init(defaultAction: "SCMP_ACT_MAYBE") }, "defaultAction \"SCMP_ACT_MAYBE\": unknown action"),
        ("zero memory limit", { $0.linux?.resources?.memory = .init(limit: 0) }, "memory.limit"),
        ("relative hook path", { $0.hooks = .init(prestart: [.init(path: "hook")]) }, "hooks.prestart[0].path"),
    ]

    @Test("invalid configs are rejected naming the field", arguments: 0..<invalid.count)
    func invalidConfigIsRejectedNamingTheField(_ index: Int) throws {
        let (_, edit, message) = Self.invalid[index]
        var spec = RuntimeSpec.defaultSpec(terminal: false)
        spec.root = .init(path: "/")
        edit(&spec)
        #expect {
            try spec.validate(bundle: "/")
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func validDefaultSpecPasses() throws {
        var spec = RuntimeSpec.defaultSpec(terminal: false)
        spec.root = .init(path: "/")
        try spec.validate(bundle: "/")
    }

    /// The sysctls the default namespaces isolate pass, in either spelling.
    @Test func namespacedSysctlsPass() throws {
        var spec = RuntimeSpec.defaultSpec(terminal: false)
        spec.root = .init(path: "/")
        spec.linux?.sysctl = [
            "net/ipv4/ip_forward": "1", "net.ipv4.conf.all.forwarding": "1", "kernel.shmmax": "1000", "fs.mqueue.msg_max": "10",
            "kernel.domainname": "example.org",
        ]
        try spec.validate(bundle: "/")
        #expect(RuntimeSpec.dottedSysctl("net/ipv4/conf/eth0.1/forwarding") == "net.ipv4.conf.eth0/1.forwarding")
        #expect(RuntimeSpec.dottedSysctl("net.ipv4.conf.eth0/1.forwarding") == "net.ipv4.conf.eth0/1.forwarding")
    }
}

@Suite("mount options")
struct MountOptionsTests {
    @Test func flagsPropagationAndDataAreSeparated() {
        let options = MountOptions(["rbind", "ro", "nosuid", "rslave", "mode=755", "size=1m"])
        #expect(options.isBind && options.isRecursive && options.isReadOnly)
        #expect(options.propagation.count == 1)
        #expect(options.data == ["mode=755", "size=1m"])
    }

    @Test func laterOptionsWin() {
        #expect(!MountOptions(["ro", "rw"]).isReadOnly)
        #expect(MountOptions(["rw", "ro"]).isReadOnly)
    }
}
