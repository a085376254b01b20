import SkiffSystem

extension RuntimeSpec {
    /// Checks everything that can be checked before any namespace, cgroup or state exists, so a
    /// bad config fails with nothing to clean up.
    public func validate(bundle: String) throws(SpecError) {
        guard let root else { throw SpecError("root", "required (the container's root filesystem)") }
        guard !root.path.isEmpty else { throw SpecError("root.path", "must not be empty") }
        let rootPath = resolvedRootPath(bundle: bundle)
        guard FileSystem.isDirectory(rootPath) else {
            throw SpecError("root.path \(root.path.quoted)", "no such directory (\(rootPath))")
        }
        guard let process else { throw SpecError("process", "required") }
        try Self.validate(process: process, field: "process")
        for (index, mount) in (mounts ?? []).enumerated() {
            guard mount.destination.hasPrefix("/") else {
                throw SpecError("mounts[\(index)].destination \(mount.destination.quoted)", "must be an absolute path")
            }
            if mount.type == "bind" || (mount.options ?? []).contains(where: { $0 == "bind" || $0 == "rbind" }) {
                guard let source = mount.source, !source.isEmpty else {
                    throw SpecError("mounts[\(index)].source", "required for a bind mount")
                }
            }
        }
        try validateLinux()
        for (stage, hooks) in hookStages {
            for (index, hook) in hooks.enumerated() where !hook.path.hasPrefix("/") {
                throw SpecError("hooks.\(stage)[\(index)].path \(hook.path.quoted)", "must be an absolute path")
            }
        }
    }

    public static func validate(process: Process, field: String) throws(SpecError) {
        guard let args = process.args, !args.isEmpty else {
            throw SpecError("\(field).args", "must name the program to run")
        }
        guard process.cwd.hasPrefix("/") else {
            throw SpecError("\(field).cwd \(process.cwd.quoted)", "must be an absolute path")
        }
        for (index, rlimit) in (process.rlimits ?? []).enumerated() {
            guard LinuxNames.rlimits[rlimit.type] != nil else {
                throw SpecError("\(field).rlimits[\(index)].type \(rlimit.type.quoted)", "unknown rlimit")
            }
            guard rlimit.soft <= rlimit.hard else {
                throw SpecError("\(field).rlimits[\(index)]", "soft limit \(rlimit.soft) is above hard limit \(rlimit.hard)")
            }
        }
        if let caps = process.capabilities {
            let sets = [
                ("bounding", caps.bounding), ("effective", caps.effective), ("inheritable", caps.inheritable),
                ("permitted", caps.permitted), ("ambient", caps.ambient),
            ]
            for (set, names) in sets {
                for (index, name) in (names ?? []).enumerated() where LinuxNames.capability(name) == nil {
                    throw SpecError("\(field).capabilities.\(set)[\(index)] \(name.quoted)", "unknown capability")
                }
            }
        }
        for (index, entry) in (process.env ?? []).enumerated() where !entry.contains("=") || entry.hasPrefix("=") {
            throw SpecError("\(field).env[\(index)] \(entry.quoted)", "must be KEY=VALUE")
        }
    }

    private func validateLinux() throws(SpecError) {
        let linux = self.linux ?? Linux()
        var seen: Set<String> = []
        for (index, namespace) in (linux.namespaces ?? []).enumerated() {
            guard LinuxNames.namespaces.contains(where: { $0.type == namespace.type }) else {
                let known = LinuxNames.namespaces.map(\.type).joined(separator: ", ")
                throw SpecError("linux.namespaces[\(index)].type \(namespace.type.quoted)", "unknown namespace type (known: \(known))")
            }
            guard seen.insert(namespace.type).inserted else {
                throw SpecError("linux.namespaces[\(index)].type \(namespace.type.quoted)", "listed twice")
            }
            if let path = namespace.path, !path.isEmpty, !FileSystem.exists(path) {
                throw SpecError("linux.namespaces[\(index)].path \(path.quoted)", "no such namespace file")
            }
        }
        let newUserNamespace = (linux.namespaces ?? []).contains { $0.type == "user" && ($0.path ?? "").isEmpty }
        if newUserNamespace && (linux.uidMappings ?? []).isEmpty {
            throw SpecError("linux.uidMappings", "required with a new user namespace")
        }
        if hostname != nil && !(seen.contains("uts")) {
            throw SpecError(
                "hostname", "unable to set hostname without a private UTS namespace (add {\"type\": \"uts\"} to linux.namespaces)")
        }
        try validateSysctls(linux)
        if let propagation = linux.rootfsPropagation, !propagation.isEmpty,
            MountOptions.propagation[propagation] == nil
        {
            throw SpecError("linux.rootfsPropagation \(propagation.quoted)", "unknown propagation")
        }
        for (index, device) in (linux.devices ?? []).enumerated() {
            guard ["c", "u", "b", "p"].contains(device.type) else {
                throw SpecError("linux.devices[\(index)].type \(device.type.quoted)", "must be c, u, b or p")
            }
            // Outside /dev is allowed: runc makes the node wherever the path says.
            guard device.path.hasPrefix("/") else {
                throw SpecError("linux.devices[\(index)].path \(device.path.quoted)", "must be an absolute path")
            }
        }
        if let seccomp = linux.seccomp {
            try SeccompNames.validate(seccomp)
        }
        if let memory = linux.resources?.memory, let limit = memory.limit, limit == 0 || limit < -1 {
            throw SpecError("linux.resources.memory.limit", "\(limit) is not a valid limit (bytes, or -1 for none)")
        }
        if let cpu = linux.resources?.cpu, let quota = cpu.quota, quota == 0 || quota < -1 {
            throw SpecError("linux.resources.cpu.quota", "\(quota) is not a valid quota")
        }
    }

    /// The rootfs path, absolute: relative paths are relative to the bundle.
    public func resolvedRootPath(bundle: String) -> String {
        guard let path = root?.path else { return bundle }
        return path.hasPrefix("/") ? path : bundle + "/" + path
    }

    public var hookStages: [(String, [Hook])] {
        [
            ("prestart", hooks?.prestart ?? []), ("createRuntime", hooks?.createRuntime ?? []),
            ("createContainer", hooks?.createContainer ?? []), ("startContainer", hooks?.startContainer ?? []),
            ("poststart", hooks?.poststart ?? []), ("poststop", hooks?.poststop ?? []),
        ]
    }
}

/// The seccomp vocabulary of config.json, checked before libseccomp sees it.
public enum SeccompNames {
    public static let actions: Set<String> = [
        "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",
        "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
    ]
    public static let operators: Set<String> = [
        "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
    ]
    public static let architectures: Set<String> = [
        "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
        "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
        "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390",
        "SCMP_ARCH_S390X", "SCMP_ARCH_RISCV64",
    ]

    static func validate(_ seccomp: RuntimeSpec.Seccomp) throws(SpecError) {
        guard actions.contains(seccomp.defaultAction) else {
            throw SpecError("linux.seccomp.defaultAction \(seccomp.defaultAction.quoted)", "unknown action")
        }
        for (index, arch) in (seccomp.architectures ?? []).enumerated() where !architectures.contains(arch) {
            throw SpecError("linux.seccomp.architectures[\(index)] \(arch.quoted)", "unknown architecture")
        }
        for (index, rule) in (seccomp.syscalls ?? []).enumerated() {
            guard actions.contains(rule.action) else {
                throw SpecError("linux.seccomp.syscalls[\(index)].action \(rule.action.quoted)", "unknown action")
            }
            for (argIndex, arg) in (rule.args ?? []).enumerated() {
                guard operators.contains(arg.op) else {
                    throw SpecError("linux.seccomp.syscalls[\(index)].args[\(argIndex)].op \(arg.op.quoted)", "unknown operator")
                }
                guard arg.index < 6 else {
                    throw SpecError("linux.seccomp.syscalls[\(index)].args[\(argIndex)].index", "must be 0–5")
                }
            }
        }
    }
}
