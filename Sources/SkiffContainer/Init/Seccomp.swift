import CSeccomp
import Glibc
import SkiffOCI
import SkiffSystem

/// Builds and loads a seccomp filter with libseccomp.
enum Seccomp {
    static func action(_ name: String, errnoRet: UInt32?) -> UInt32 {
        switch name {
        case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD": SKIFF_SCMP_ACT_KILL_THREAD
        case "SCMP_ACT_KILL_PROCESS": SKIFF_SCMP_ACT_KILL_PROCESS
        case "SCMP_ACT_TRAP": SKIFF_SCMP_ACT_TRAP
        case "SCMP_ACT_ERRNO": skiff_scmp_act_errno(UInt16(errnoRet ?? UInt32(EPERM)))
        case "SCMP_ACT_TRACE": skiff_scmp_act_trace(UInt16(errnoRet ?? UInt32(EPERM)))
        case "SCMP_ACT_LOG": SKIFF_SCMP_ACT_LOG
        case "SCMP_ACT_NOTIFY": SKIFF_SCMP_ACT_NOTIFY
        default: SKIFF_SCMP_ACT_ALLOW
        }
    }

    static func compare(_ op: String) -> scmp_compare {
        switch op {
        case "SCMP_CMP_NE": SCMP_CMP_NE
        case "SCMP_CMP_LT": SCMP_CMP_LT
        case "SCMP_CMP_LE": SCMP_CMP_LE
        case "SCMP_CMP_GE": SCMP_CMP_GE
        case "SCMP_CMP_GT": SCMP_CMP_GT
        case "SCMP_CMP_MASKED_EQ": SCMP_CMP_MASKED_EQ
        default: SCMP_CMP_EQ
        }
    }

    static func load(_ config: RuntimeSpec.Seccomp) throws {
        let defaultAction = action(config.defaultAction, errnoRet: config.defaultErrnoRet)
        guard let context = seccomp_init(defaultAction) else {
            throw RuntimeError("seccomp_init(\(config.defaultAction)) failed")
        }
        defer { seccomp_release(context) }
        // The runtime sets no_new_privs itself when the config asks; libseccomp must not.
        try library("seccomp_attr_set", "CTL_NNP") { seccomp_attr_set(context, SCMP_FLTATR_CTL_NNP, 0) }
        for arch in config.architectures ?? [] {
            let name = arch.dropFirst("SCMP_ARCH_".count).lowercased()
            let token = seccomp_arch_resolve_name(name)
            guard token != 0 else { throw RuntimeError("seccomp: unknown architecture \(arch)") }
            // EEXIST: the filter has it already (the native architecture always is).
            try library("seccomp_arch_add", arch, allowing: [EEXIST]) { seccomp_arch_add(context, token) }
        }
        for rule in config.syscalls ?? [] {
            let ruleAction = action(rule.action, errnoRet: rule.errnoRet)
            // A rule that does what the default does is a no-op libseccomp refuses to add.
            if ruleAction == defaultAction { continue }
            let conditions = (rule.args ?? []).map {
                scmp_arg_cmp(arg: $0.index, op: compare($0.op), datum_a: $0.value, datum_b: $0.valueTwo ?? 0)
            }
            // libseccomp allows one condition per argument in a rule; several conditions on the
            // same argument mean "any of them", so each becomes its own rule (as runc does).
            let sameArgumentTwice = Set(conditions.map(\.arg)).count != conditions.count
            let groups = sameArgumentTwice ? conditions.map { [$0] } : [conditions]
            for name in rule.names {
                let number = seccomp_syscall_resolve_name(name)
                // Unknown to this libseccomp or kernel: skipped, as runc does.
                if number == __NR_SCMP_ERROR { continue }
                for group in groups {
                    var group = group
                    try library("seccomp_rule_add", name) { seccomp_rule_add_array(context, ruleAction, number, UInt32(group.count), &group) }
                }
            }
        }
        try library("seccomp_load", "\(config.syscalls?.count ?? 0) rules") { seccomp_load(context) }
    }
}
