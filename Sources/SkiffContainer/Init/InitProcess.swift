import CSkiffShim
import Glibc
import SkiffOCI
import SkiffSystem

/// `skiff-runc init`: the fresh, single-threaded process the runtime clones and execs.
///
/// Stage 1 joins and creates namespaces (user first, so the others belong to it), then forks:
/// unshare/setns of a pid namespace only applies to children. Stage 2, the child, becomes the
/// container's first process: it builds the root filesystem, drops privileges and waits on the
/// exec fifo (create) or execs straight away (exec).
public enum InitProcess {
    public static func main(syncFD: Int32) -> Never {
        let channel = SyncChannel(fd: syncFD)
        do {
            guard let request = try channel.receive(InitRequest.self) else { _exit(1) }
            // The runtime makes the cgroup while we start; stage 2 bind-mounts it.
            guard let ready = try channel.receive(), ready.kind == .proceed else { _exit(1) }
            try enterNamespaces(request, channel: channel)
            let child = try shim("fork", "init") { skiff_fork() }
            if child > 0 {
                try channel.send(InitMessage(.pid, pid: child))
                _exit(0)
            }
            switch request.mode {
            case .create: try ContainerSetup(request: request, channel: channel).run()
            case .exec: try ExecSetup(request: request, channel: channel).run()
            }
        } catch {
            try? channel.send(InitMessage(.error, message: "\(error)"))
            _exit(1)
        }
    }

    static func enterNamespaces(_ request: InitRequest, channel: SyncChannel) throws {
        // Open every namespace to join before joining any: after setns(mnt) the paths may not
        // resolve any more.
        var joins: [(type: String, fd: Int32, path: String)] = []
        for plan in request.namespaces {
            guard let path = plan.path, !path.isEmpty else { continue }
            let fd = try sys("open", path.quoted) { open(path, O_RDONLY | O_CLOEXEC) }
            joins.append((plan.type, fd, path))
        }
        defer { for join in joins { closeFD(join.fd) } }

        if let user = joins.first(where: { $0.type == "user" }) {
            try LinuxCalls.setns(user.fd, SKIFF_CLONE_NEWUSER, user.path)
        } else if request.namespaces.contains(where: { $0.type == "user" }) {
            try LinuxCalls.unshare(SKIFF_CLONE_NEWUSER)
            try channel.send(InitMessage(.userNamespace))
            guard let reply = try channel.receive(), reply.kind == .proceed else {
                throw RuntimeError("runtime did not write the user namespace's id maps")
            }
            try shim("setresgid", "0") { skiff_setresgid(0, 0, 0) }
            try shim("setresuid", "0") { skiff_setresuid(0, 0, 0) }
        }
        for join in joins where join.type != "user" {
            try LinuxCalls.setns(join.fd, LinuxCalls.namespaceFlag(join.type), join.path)
        }
        var flags: Int32 = 0
        // A new cgroup namespace waits for stage 2 (`awaitCgroup`): its root is the cgroup the
        // process is in when it unshares, and only the container process joins the cgroup.
        for plan in request.namespaces where (plan.path ?? "").isEmpty && plan.type != "user" && plan.type != "cgroup" {
            flags |= LinuxCalls.namespaceFlag(plan.type)
        }
        if flags != 0 { try LinuxCalls.unshare(flags) }
    }

    /// Waits until the runtime has put this process (stage 2) in the container's cgroup, which
    /// happens while stage 2 works; answers the container's host pid. Nothing may run or exec
    /// before this returns. A new cgroup namespace is made here, rooted at that cgroup.
    static func awaitCgroup(_ request: InitRequest, channel: SyncChannel) throws -> Int32 {
        guard let go = try channel.receive(), go.kind == .proceed else { _exit(1) }
        if request.namespaces.contains(where: { $0.type == "cgroup" && ($0.path ?? "").isEmpty }) {
            try LinuxCalls.unshare(SKIFF_CLONE_NEWCGROUP)
        }
        return go.pid ?? 0
    }
}
