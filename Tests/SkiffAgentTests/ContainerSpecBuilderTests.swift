import SkiffAPI
import SkiffOCI
import Testing

@testable import SkiffAgent

@Suite("OCI config from a pod's container")
struct ContainerSpecBuilderTests {
    /// What `skiff-runc spec` gives, cut down: a template mount the pod's /etc/hosts replaces.
    static let template = RuntimeSpec(
        ociVersion: "1.0.2",
        process: RuntimeSpec.Process(
            terminal: true, args: ["sh"], cwd: "/", rlimits: [RuntimeSpec.Rlimit(type: "RLIMIT_NOFILE", hard: 1024, soft: 1024)]),
        root: RuntimeSpec.Root(path: "rootfs", readonly: true),
        hostname: "skiff",
        mounts: [
            RuntimeSpec.Mount(destination: "/proc", type: "proc", source: "proc"),
            RuntimeSpec.Mount(destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "ro"]),
            RuntimeSpec.Mount(destination: "/etc/hosts", type: "bind", source: "/somewhere"),
        ],
        linux: RuntimeSpec.Linux(
            namespaces: [RuntimeSpec.Namespace(type: "pid")], resources: RuntimeSpec.Resources(devices: [RuntimeSpec.DeviceRule(allow: false, access: "rwm")]),
            maskedPaths: ["/proc/kcore"], readonlyPaths: ["/proc/sys"]))

    static func input(
        container: JSON, pod: JSON = ["metadata": ["name": "p", "namespace": "ns", "uid": "u1"], "spec": [:]],
        image: ImageDefaults = ImageDefaults(env: ["PATH=/bin"], entrypoint: ["/entry"], cmd: ["default"], workingDir: "/work")
    ) throws -> ContainerSpecBuilder.Input {
        ContainerSpecBuilder.Input(
            pod: try Pod(json: pod), container: try Container(json: JSONField(container)), image: image, rootfs: "/merged", readonlyRootfs: false,
            environment: ["A=1", "B=two"],
            mounts: [PreparedMount(destination: "/etc/hosts", source: "/pod/hosts")], sandbox: SandboxPaths(network: "/ns/net", ipc: "/ns/ipc", uts: "/ns/uts"),
            cgroupsPath: "/kubepods/podu1/c1", oomScoreAdj: 1000, hostProcess: false, user: (0, 0, []))
    }

    let builder = ContainerSpecBuilder(template: Self.template)

    @Test(
        "command replaces the image's ENTRYPOINT and args replace its CMD",
        arguments: [
            (["name": "c"] as JSON, ["/entry", "default"]),
            (["name": "c", "args": ["x", "y"]] as JSON, ["/entry", "x", "y"]),
            (["name": "c", "command": ["/bin/sh"]] as JSON, ["/bin/sh"]),
            (["name": "c", "command": ["/bin/sh"], "args": ["-c", "echo $(B)"]] as JSON, ["/bin/sh", "-c", "echo two"]),
        ])
    func commandAndArgs(container: JSON, expected: [String]) throws {
        let spec = try builder.build(Self.input(container: container))
        #expect(spec.process?.args == expected)
        #expect(spec.process?.cwd == "/work")
        #expect(spec.process?.terminal == false)
    }

    @Test("tty: true gives the process a terminal and TERM=xterm (as containerd), unless the environment sets TERM")
    func terminal() throws {
        let spec = try builder.build(Self.input(container: ["name": "c", "tty": true, "stdin": true]))
        #expect(spec.process?.terminal == true)
        #expect(spec.process?.env == ["A=1", "B=two", "TERM=xterm"])
        var input = try Self.input(container: ["name": "c", "tty": true])
        input.environment = ["TERM=vt100"]
        #expect(try builder.build(input).process?.env == ["TERM=vt100"])
        #expect(try builder.build(Self.input(container: ["name": "c", "stdin": true])).process?.terminal == false)
    }

    @Test(
        "the monitor keeps stdin or a terminal only for containers that ask: stdin, stdinOnce (with stdin), tty",
        arguments: [
            (["name": "c"] as JSON, [String]()),
            (["name": "c", "stdin": true] as JSON, ["--stdin"]),
            (["name": "c", "stdin": true, "stdinOnce": true] as JSON, ["--stdin", "--stdin-once"]),
            (["name": "c", "stdinOnce": true] as JSON, [String]()),
            (["name": "c", "stdin": true, "stdinOnce": true, "tty": true] as JSON, ["--stdin", "--stdin-once", "--tty"]),
        ])
    func monitorArguments(container: JSON, expected: [String]) throws {
        let stdio = ContainerStdio(try Container(json: JSONField(container)))
        #expect(stdio.monitorArguments == expected)
        #expect(stdio.attachable == !expected.isEmpty)
    }

    @Test("no command anywhere is a CreateContainerConfigError")
    func noCommand() {
        #expect(throws: ContainerRuntimeError.self) {
            try builder.build(Self.input(container: ["name": "c"], image: ImageDefaults()))
        }
    }

    @Test("capabilities start from containerd's defaults; add and drop apply; ALL drops everything")
    func capabilities() throws {
        let added = try builder.build(
            Self.input(container: ["name": "c", "command": ["x"], "securityContext": ["capabilities": ["add": ["NET_ADMIN"], "drop": ["KILL"]]]]))
        let bounding = added.process?.capabilities?.bounding ?? []
        #expect(bounding.contains("CAP_NET_ADMIN"))
        #expect(!bounding.contains("CAP_KILL"))
        #expect(bounding.contains("CAP_CHOWN"))
        let dropped = try builder.build(
            Self.input(container: ["name": "c", "command": ["x"], "securityContext": ["capabilities": ["drop": ["ALL"], "add": ["NET_BIND_SERVICE"]]]]))
        #expect(dropped.process?.capabilities?.effective == ["CAP_NET_BIND_SERVICE"])
        #expect(dropped.process?.capabilities?.ambient == nil, "nothing is inherited across exec")
        #expect(throws: ContainerRuntimeError.self) {
            try builder.build(Self.input(container: ["name": "c", "command": ["x"], "securityContext": ["capabilities": ["add": ["BOGUS"]]]]))
        }
    }

    @Test("privileged gets every capability, no masked paths, no seccomp and a writable /sys")
    func privileged() throws {
        let spec = try builder.build(Self.input(container: ["name": "c", "command": ["x"], "securityContext": ["privileged": true]]))
        #expect(spec.process?.capabilities?.bounding?.count == ContainerSpecBuilder.allCapabilities.count)
        #expect(spec.linux?.maskedPaths == nil)
        #expect(spec.linux?.seccomp == nil)
        #expect(spec.linux?.resources?.devices == [RuntimeSpec.DeviceRule(allow: true, access: "rwm")])
        let sys = spec.mounts?.first { $0.destination == "/sys" }
        #expect(sys?.options == ["nosuid"])
        #expect(throws: ContainerRuntimeError.self) {
            try builder.build(
                Self.input(container: ["name": "c", "command": ["x"], "securityContext": ["privileged": true, "allowPrivilegeEscalation": false]]))
        }
    }

    @Test("RuntimeDefault seccomp is on unless Unconfined; other profile types are refused")
    func seccomp() throws {
        let spec = try builder.build(Self.input(container: ["name": "c", "command": ["x"]]))
        #expect(spec.linux?.seccomp?.defaultAction == "SCMP_ACT_ALLOW")
        #expect(spec.linux?.seccomp?.syscalls?.first?.names.contains("kexec_load") == true)
        #expect(spec.linux?.seccomp?.syscalls?.first?.errnoRet == 1)
        let unconfined = try builder.build(
            Self.input(container: ["name": "c", "command": ["x"], "securityContext": ["seccompProfile": ["type": "Unconfined"]]]))
        #expect(unconfined.linux?.seccomp == nil)
        let podUnconfined = try builder.build(
            Self.input(
                container: ["name": "c", "command": ["x"]],
                pod: ["metadata": ["name": "p"], "spec": ["securityContext": ["seccompProfile": ["type": "Unconfined"]]]]))
        #expect(podUnconfined.linux?.seccomp == nil, "the pod's profile applies when the container sets none")
        #expect(throws: ContainerRuntimeError.self) {
            try builder.build(Self.input(container: ["name": "c", "command": ["x"], "securityContext": ["seccompProfile": ["type": "Localhost"]]]))
        }
    }

    @Test("the container joins the pod's network, IPC and UTS namespaces and gets its own pid, mount and cgroup namespaces")
    func namespaces() throws {
        let spec = try builder.build(Self.input(container: ["name": "c", "command": ["x"]]))
        let namespaces = spec.linux?.namespaces ?? []
        #expect(namespaces.contains(RuntimeSpec.Namespace(type: "network", path: "/ns/net")))
        #expect(namespaces.contains(RuntimeSpec.Namespace(type: "ipc", path: "/ns/ipc")))
        #expect(namespaces.contains(RuntimeSpec.Namespace(type: "uts", path: "/ns/uts")))
        #expect(namespaces.contains(RuntimeSpec.Namespace(type: "pid")))
        #expect(namespaces.contains(RuntimeSpec.Namespace(type: "cgroup")))
        #expect(spec.hostname == nil)
        #expect(spec.linux?.cgroupsPath == "/kubepods/podu1/c1")
        #expect(spec.linux?.maskedPaths == ["/proc/kcore"], "the template's masked paths are kept")
        #expect(spec.process?.rlimits == [RuntimeSpec.Rlimit(type: "RLIMIT_NOFILE", hard: 1024, soft: 1024)], "and its rlimits")
        #expect(spec.process?.oomScoreAdj == 1000)
        #expect(spec.process?.noNewPrivileges == false)
        #expect(spec.annotations?["io.kubernetes.pod.uid"] == "u1")
        #expect(spec.annotations?["io.kubernetes.container.name"] == "c")
        // The pod's /etc/hosts replaces the template's mount of the same destination.
        let hosts = spec.mounts?.filter { $0.destination == "/etc/hosts" } ?? []
        #expect(hosts.count == 1)
        #expect(hosts.first?.source == "/pod/hosts")
        #expect(hosts.first?.options == ["rbind", "rprivate"])
    }

    @Test("resources use the kubelet's formulas: shares from requests, quota from limits, memory.max from the limit")
    func resources() throws {
        let spec = try builder.build(
            Self.input(container: [
                "name": "c", "command": ["x"],
                "resources": ["requests": ["cpu": "250m"], "limits": ["cpu": "500m", "memory": "64Mi"]],
            ]))
        #expect(spec.linux?.resources?.cpu?.shares == 256)
        #expect(spec.linux?.resources?.cpu?.quota == 50000)
        #expect(spec.linux?.resources?.cpu?.period == 100000)
        #expect(spec.linux?.resources?.memory?.limit == 64 << 20)
        #expect(spec.linux?.resources?.devices == [RuntimeSpec.DeviceRule(allow: false, access: "rwm")], "the template's device rules stay")
        #expect(ContainerSpecBuilder.cpuShares(milliCPU: 0) == 2)
        #expect(ContainerSpecBuilder.cpuShares(milliCPU: 1) == 2)
        #expect(ContainerSpecBuilder.cpuQuota(milliCPU: 5) == 1000)
    }

    @Test("$(VAR) expands from the environment, $$(VAR) escapes, unknown names stay")
    func expansion() {
        #expect(ContainerSpecBuilder.expandVariables("a $(A) $$(A) $(NOPE)", environment: ["A=1"]) == "a 1 $(A) $(NOPE)")
    }
}

@Suite("config.json written by the agent")
struct ContainerConfigFileTests {
    @Test("what the builder sets survives writing config.json and reading it back as skiff-runc does")
    func roundTrip() throws {
        let builder = ContainerSpecBuilder(template: ContainerSpecBuilderTests.template)
        let spec = try builder.build(
            ContainerSpecBuilderTests.input(container: [
                "name": "c", "command": ["x"], "securityContext": ["capabilities": ["add": ["NET_ADMIN"]], "allowPrivilegeEscalation": false],
                "resources": ["limits": ["cpu": "500m", "memory": "64Mi"]],
            ]))
        let text = spec.encoded(pretty: false)
        let read = try RuntimeSpec.decode(Array(text.utf8), what: "config.json")
        #expect(read == spec)
        #expect(read.linux?.seccomp?.syscalls?.first?.errnoRet == 1)
        #expect(read.process?.noNewPrivileges == true)
    }
}
