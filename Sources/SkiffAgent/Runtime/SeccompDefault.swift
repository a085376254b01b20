import SkiffOCI

/// The RuntimeDefault seccomp profile: everything is allowed except the syscalls containerd's and
/// Docker's default profiles keep from unprivileged containers (kernel modules, kexec, reboot,
/// clock and keyring changes, mount and namespace games, tracing other processes' memory, bpf,
/// perf). A denylist rather than their 300-entry allowlist: a new syscall the kernel adds is
/// allowed until someone decides otherwise, which is the trade the kubelet docs describe for
/// "Unconfined plus the dangerous ones" — chosen so any program that runs on the host runs in a pod.
enum SeccompDefault {
    static let denied = [
        "acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "create_module", "delete_module", "finit_module",
        "fsconfig", "fsmount", "fsopen", "fspick", "get_kernel_syms", "get_mempolicy", "init_module", "ioperm", "iopl",
        "kcmp", "kexec_file_load", "kexec_load", "keyctl", "lookup_dcookie", "mbind", "mount", "mount_setattr",
        "move_mount", "move_pages", "name_to_handle_at", "nfsservctl", "open_by_handle_at", "open_tree", "perf_event_open",
        "pivot_root", "process_vm_readv", "process_vm_writev", "query_module", "quotactl", "quotactl_fd", "reboot",
        "request_key", "set_mempolicy", "setns", "settimeofday", "stime", "swapoff", "swapon", "sysfs", "_sysctl",
        "umount", "umount2", "unshare", "uselib", "userfaultfd", "ustat", "vm86", "vm86old",
    ]

    static var profile: RuntimeSpec.Seccomp {
        RuntimeSpec.Seccomp(
            defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            syscalls: [RuntimeSpec.Seccomp.Syscall(names: denied, action: "SCMP_ACT_ERRNO", errnoRet: 1)])
    }
}
