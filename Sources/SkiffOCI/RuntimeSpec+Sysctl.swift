import Glibc
import SkiffSystem

extension RuntimeSpec {
    /// IPC sysctls outside `fs.mqueue.`: namespaced by the IPC namespace.
    static let ipcSysctls: Set<String> = [
        "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax",
        "kernel.shmmni", "kernel.shm_rmid_forced",
    ]

    /// Refuses a sysctl the container's namespaces do not isolate, which would otherwise change
    /// the host: IPC ones need an IPC namespace, `net.*` a network namespace other than ours,
    /// `kernel.domainname` a UTS namespace; `kernel.hostname` conflicts with `hostname`, and
    /// anything else is not namespaced at all. The checks and their wording are runc's
    /// (libcontainer/configs/validate), which callers match on.
    func validateSysctls(_ linux: Linux) throws(SpecError) {
        let namespaces = linux.namespaces ?? []
        func has(_ type: String) -> Bool { namespaces.contains { $0.type == type } }
        for key in (linux.sysctl ?? [:]).keys.sorted() {
            // "net/ipv4/ip_forward" is the same sysctl as "net.ipv4.ip_forward".
            let name = Self.dottedSysctl(key)
            let field = "linux.sysctl \(key.quoted)"
            if Self.ipcSysctls.contains(name) || name.hasPrefix("fs.mqueue.") {
                guard has("ipc") else { throw SpecError(field, "sysctl \(name.quoted) is not allowed in the hosts ipc namespace") }
                continue
            }
            if name.hasPrefix("net.") {
                guard let network = namespaces.first(where: { $0.type == "network" }),
                    !Self.isOurNetworkNamespace(network.path ?? "")
                else { throw SpecError(field, "sysctl \(name.quoted) not allowed in host network namespace") }
                continue
            }
            if has("uts") && name == "kernel.domainname" { continue }
            if has("uts") && name == "kernel.hostname" {
                throw SpecError(field, "sysctl \(name.quoted) is not allowed as it conflicts with the OCI \"hostname\" field")
            }
            throw SpecError(field, "sysctl \(name.quoted) is not in a separate kernel namespace")
        }
    }

    /// The dotted name of a sysctl given in either spelling, as runc reads it: a name whose first
    /// separator is '/' ("net/ipv4/conf/eth0.1/forwarding") swaps its slashes and dots; a dotted
    /// name stays as it is (its slashes stand for dots in an interface name, "eth0/1").
    public static func dottedSysctl(_ key: String) -> String {
        guard let first = key.firstIndex(where: { $0 == "." || $0 == "/" }), key[first] == "/" else { return key }
        return String(key.map { $0 == "/" ? "." : $0 == "." ? "/" : $0 })
    }

    /// Whether `path` names the network namespace the runtime runs in (joining it is no isolation).
    static func isOurNetworkNamespace(_ path: String) -> Bool {
        guard !path.isEmpty else { return false }
        var ours = stat()
        var theirs = stat()
        guard stat("/proc/self/ns/net", &ours) == 0, stat(path, &theirs) == 0 else { return false }
        return ours.st_dev == theirs.st_dev && ours.st_ino == theirs.st_ino
    }
}
