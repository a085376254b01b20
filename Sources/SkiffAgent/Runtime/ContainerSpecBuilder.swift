import SkiffAPI
import SkiffOCI

/// What the image says about how to run it (OCI image config), or the host for host-process pods.
struct ImageDefaults: Sendable {
    var env: [String] = []
    var entrypoint: [String] = []
    var cmd: [String] = []
    var workingDir: String = ""
    var user: String = ""
}

/// One bind (or tmpfs) mount the agent prepared for a container.
struct PreparedMount: Sendable, Equatable {
    var destination: String
    var source: String
    var type: String = "bind"
    var options: [String] = ["rbind", "rprivate"]
}

/// The pod-level sandbox a container joins.
struct SandboxPaths: Sendable {
    var network: String?
    var ipc: String?
    var uts: String?
}

/// Turns a Kubernetes container (plus what the agent prepared for it) into an OCI runtime spec,
/// starting from skiff-runc's own default spec so the runtime's defaults are not restated here.
struct ContainerSpecBuilder {
    /// `skiff-runc spec` output: mounts, masked paths, devices, rlimits.
    var template: RuntimeSpec

    /// containerd's default capability set for Kubernetes containers (wider than runc's spec).
    static let defaultCapabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ]

    static let allCapabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
        "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
        "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    struct Input {
        var pod: Pod
        var container: Container
        var image: ImageDefaults
        var rootfs: String
        var readonlyRootfs: Bool
        var environment: [String]
        var mounts: [PreparedMount]
        var sandbox: SandboxPaths
        var cgroupsPath: String
        var oomScoreAdj: Int
        var hostProcess: Bool
        /// uid/gid resolved from the image's /etc/passwd when the image names a user.
        var user: (uid: UInt32, gid: UInt32, additionalGids: [UInt32])
    }

    func build(_ input: Input) throws(ContainerRuntimeError) -> RuntimeSpec {
        var spec = template
        let container = input.container
        let security = container.securityContext
        let privileged = security.privileged

        // Kubernetes' rule: command replaces ENTRYPOINT, args replace CMD.
        var argv: [String]
        if !container.command.isEmpty {
            argv = container.command + container.args
        } else {
            argv = input.image.entrypoint + (container.args.isEmpty ? input.image.cmd : container.args)
        }
        guard !argv.isEmpty else {
            throw ContainerRuntimeError(
                reason: "CreateContainerConfigError", message: "no command specified: the container has no command and the image has no ENTRYPOINT or CMD")
        }
        argv = argv.map { Self.expandVariables($0, environment: input.environment) }

        var process = spec.process ?? RuntimeSpec.Process()
        // A tty container gets its terminal from the runtime; the monitor holds the master.
        process.terminal = container.tty
        process.args = argv
        process.env = input.environment
        if container.tty, !input.environment.contains(where: { $0.hasPrefix("TERM=") }) {
            // As containerd does for CRI containers with a tty.
            process.env = input.environment + ["TERM=xterm"]
        }
        let workingDir = container.workingDir ?? ""
        process.cwd = !workingDir.isEmpty ? workingDir : (input.image.workingDir.isEmpty ? "/" : input.image.workingDir)
        process.user = RuntimeSpec.User(
            uid: input.user.uid, gid: input.user.gid, additionalGids: input.user.additionalGids.isEmpty ? nil : input.user.additionalGids)
        var capabilities = privileged ? Self.allCapabilities : Self.defaultCapabilities
        let add = security.capabilities.add.map(Self.capabilityName)
        let drop = security.capabilities.drop.map(Self.capabilityName)
        for name in add where !capabilities.contains(name) {
            guard Self.allCapabilities.contains(name) else {
                throw ContainerRuntimeError(reason: "CreateContainerConfigError", message: "unknown capability \(name) in securityContext.capabilities.add")
            }
            capabilities.append(name)
        }
        if drop.contains("CAP_ALL") { capabilities = add } else { capabilities.removeAll { drop.contains($0) } }
        // No inheritable or ambient set: a non-root program gets no capabilities across exec, as with containerd.
        process.capabilities = RuntimeSpec.Capabilities(bounding: capabilities, effective: capabilities, permitted: capabilities)
        let allowEscalation = security.allowPrivilegeEscalation
        if !allowEscalation && privileged {
            throw ContainerRuntimeError(reason: "CreateContainerConfigError", message: "cannot set allowPrivilegeEscalation to false and privileged to true")
        }
        process.noNewPrivileges = !allowEscalation
        process.oomScoreAdj = input.oomScoreAdj
        spec.process = process

        spec.root = RuntimeSpec.Root(path: input.rootfs, readonly: input.readonlyRootfs)
        spec.hostname = nil

        var mounts = spec.mounts ?? []
        if privileged {
            // Privileged containers see /sys read-write and keep the devices' cgroup open.
            for index in mounts.indices where mounts[index].destination == "/sys" || mounts[index].destination == "/sys/fs/cgroup" {
                mounts[index].options = mounts[index].options?.filter { $0 != "ro" }
            }
        }
        let prepared = Set(input.mounts.map(\.destination))
        mounts.removeAll { prepared.contains($0.destination) }
        for mount in input.mounts {
            mounts.append(RuntimeSpec.Mount(destination: mount.destination, type: mount.type, source: mount.source, options: mount.options))
        }
        if input.hostProcess {
            // The host's root filesystem (not its submounts) under an empty root directory:
            // pivot_root cannot move "/" onto itself, and a plain bind can be made read-only.
            mounts.insert(RuntimeSpec.Mount(destination: "/", type: "bind", source: "/", options: ["bind", "ro", "rprivate"]), at: 0)
        }
        spec.mounts = mounts

        var linux = spec.linux ?? RuntimeSpec.Linux()
        var namespaces = ["pid", "mount", "cgroup"].map { RuntimeSpec.Namespace(type: $0) }
        if let ipc = input.sandbox.ipc { namespaces.append(RuntimeSpec.Namespace(type: "ipc", path: ipc)) }
        if let uts = input.sandbox.uts { namespaces.append(RuntimeSpec.Namespace(type: "uts", path: uts)) }
        if let network = input.sandbox.network { namespaces.append(RuntimeSpec.Namespace(type: "network", path: network)) }
        linux.namespaces = namespaces
        linux.cgroupsPath = input.cgroupsPath
        linux.resources = Self.resources(container.resources, privileged: privileged, template: linux.resources)
        if privileged {
            linux.maskedPaths = nil
            linux.readonlyPaths = nil
        }
        switch Self.seccompProfileType(pod: input.pod, container: container) {
        case .unconfined:
            linux.seccomp = nil
        case .runtimeDefault:
            if !privileged { linux.seccomp = SeccompDefault.profile }
        case .localhost:
            throw ContainerRuntimeError(
                reason: "CreateContainerConfigError", message: "seccompProfile type Localhost is not supported (use RuntimeDefault or Unconfined)")
        }
        spec.linux = linux
        spec.annotations = [
            "io.kubernetes.pod.name": input.pod.name, "io.kubernetes.pod.namespace": input.pod.namespace,
            "io.kubernetes.pod.uid": input.pod.uid, "io.kubernetes.container.name": container.name,
        ]
        return spec
    }

    /// The container's seccomp type; Kubernetes ≥1.27 with SeccompDefault uses RuntimeDefault when unset.
    static func seccompProfileType(pod: Pod, container: Container) -> SeccompProfile.Kind {
        container.securityContext.seccompProfile?.type ?? pod.spec.securityContext.seccompProfile?.type ?? .runtimeDefault
    }

    static func capabilityName(_ name: String) -> String {
        let upper = name.uppercased()
        return upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
    }

    /// cgroup limits with the kubelet's formulas (shared/design.md): shares from the CPU request,
    /// quota from the CPU limit, memory.max from the memory limit.
    static func resources(_ resources: ResourceRequirements, privileged: Bool, template: RuntimeSpec.Resources?) -> RuntimeSpec.Resources {
        var result = template ?? RuntimeSpec.Resources()
        if privileged { result.devices = [RuntimeSpec.DeviceRule(allow: true, access: "rwm")] }
        let requests = resources.requests
        let limits = resources.limits
        let cpuRequest = requests["cpu"] ?? limits["cpu"]
        var cpu = RuntimeSpec.CPU(shares: UInt64(cpuShares(milliCPU: cpuRequest?.milliValue ?? 0)))
        if let limit = limits["cpu"] {
            cpu.quota = cpuQuota(milliCPU: limit.milliValue)
            cpu.period = 100_000
        }
        result.cpu = cpu
        if let memory = limits["memory"] { result.memory = RuntimeSpec.Memory(limit: memory.value) }
        return result
    }

    static func cpuShares(milliCPU: Int64) -> Int64 {
        milliCPU == 0 ? 2 : max(2, milliCPU * 1024 / 1000)
    }

    static func cpuQuota(milliCPU: Int64) -> Int64 {
        max(1000, milliCPU * 100)
    }

    /// `$(VAR)` references in command and args, as Kubernetes expands them; `$$(VAR)` escapes.
    static func expandVariables(_ text: String, environment: [String]) -> String {
        guard text.contains("$(") else { return text }
        var values: [String: String] = [:]
        for entry in environment {
            if let equals = entry.firstIndex(of: "=") { values[String(entry[..<equals])] = String(entry[entry.index(after: equals)...]) }
        }
        var output = ""
        var index = text.startIndex
        while index < text.endIndex {
            let rest = text[index...]
            if rest.hasPrefix("$$(") {
                output += "$("
                index = text.index(index, offsetBy: 3)
            } else if rest.hasPrefix("$("), let close = rest.firstIndex(of: ")") {
                let name = String(rest[rest.index(index, offsetBy: 2)..<close])
                output += values[name] ?? "$(\(name))"
                index = text.index(after: close)
            } else {
                output.append(text[index])
                index = text.index(after: index)
            }
        }
        return output
    }
}
