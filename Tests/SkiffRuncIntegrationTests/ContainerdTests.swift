import Foundation
import Testing

/// skiff-runc as the OCI runtime under a real containerd (Debian's 1.6 and its io.containerd.runc.v2
/// shim): the shim drives it with runc's CLI (create/start/state/kill/delete, --log json, pid files,
/// console-less stdio over FIFOs), so this is the runc-compatibility check that matters in practice.
/// Each test starts its own containerd whose root, state, sockets and FIFOs live in a temp dir.
@Suite("skiff-runc under containerd (root, real kernel)", .serialized)
struct ContainerdTests {
    static let image = "docker.io/library/busybox:latest"

    @Test("ctr run --rm: busybox through skiff-runc gives the container's output and exit code")
    func ctrRunsBusyboxThroughSkiffRuncWithOutputAndExitCode() throws {
        let containerd = try Containerd.start()
        defer { containerd.stop() }
        try containerd.importBusybox()

        let id = Harness.uniqueID("ctr-run")
        let run = containerd.ctr(
            ["run", "--rm", "--fifo-dir", containerd.fifoDirectory] + containerd.runtimeFlags
                + [Self.image, id, "sh", "-c", "echo hello; exit 3"])
        #expect(run.stdout == "hello\n", "ctr run output: \(run)\n\(containerd.diagnostics(id))")
        #expect(run.status == 3, "ctr run exit code: \(run)\n\(containerd.diagnostics(id))")

        // The shim ran our runtime with our root: skiff-runc made the namespace's state dir there.
        #expect(
            FileManager.default.fileExists(atPath: containerd.runtimeRoot),
            "skiff-runc's state dir \(containerd.runtimeRoot) was never created: the shim did not use --runc-root")
        // --rm removed the task, the container and skiff-runc's record of it.
        let containers = containerd.ctr(["container", "ls", "-q"])
        #expect(containers.status == 0 && !containers.stdout.contains(id), "container left after --rm: \(containers)")
        #expect(
            !FileManager.default.fileExists(atPath: containerd.runtimeRoot + "/" + id),
            "skiff-runc still holds state for \(id) after ctr run --rm")
    }

    @Test("ctr run -d, task kill SIGKILL, task delete, container delete: each step takes effect")
    func ctrKillsAndDeletesADetachedContainerAndSkiffRuncForgetsIt() throws {
        let containerd = try Containerd.start()
        defer { containerd.stop() }
        try containerd.importBusybox()

        let id = Harness.uniqueID("ctr-sleep")
        let run = containerd.ctr(
            ["run", "-d", "--fifo-dir", containerd.fifoDirectory] + containerd.runtimeFlags
                + [Self.image, id, "sleep", "300"])
        try #require(run.status == 0, "ctr run -d: \(run)\n\(containerd.diagnostics(id))")

        // Running: containerd's task list and skiff-runc's own state agree on the pid.
        let running = containerd.tasks()
        let task = try #require(running[id], "task \(id) not listed: \(running)\n\(containerd.diagnostics(id))")
        #expect(task.status == "RUNNING", "task after ctr run -d: \(task)")
        #expect(task.pid > 0 && kill(task.pid, 0) == 0, "task pid \(task.pid) is not a live process")
        let state = Harness.run(Harness.skiffRunc, ["--root", containerd.runtimeRoot, "state", id])
        let stateJSON = (try? JSONSerialization.jsonObject(with: Data(state.stdout.utf8))) as? [String: Any]
        #expect(state.status == 0, "skiff-runc state \(id): \(state)")
        #expect(stateJSON?["status"] as? String == "running", "skiff-runc state \(id): \(state)")
        #expect((stateJSON?["pid"] as? Int).map(Int32.init) == task.pid, "skiff-runc's pid vs containerd's: \(state) vs \(task)")

        // SIGKILL: the task stops, reported as STOPPED, and the process is gone.
        let killed = containerd.ctr(["task", "kill", "-s", "SIGKILL", id])
        #expect(killed.status == 0, "ctr task kill: \(killed)\n\(containerd.diagnostics(id))")
        var stopped = containerd.tasks()[id]
        let deadline = Date().addingTimeInterval(15)
        while stopped?.status != "STOPPED", Date() < deadline {
            usleep(100_000)
            stopped = containerd.tasks()[id]
        }
        #expect(stopped?.status == "STOPPED", "task after SIGKILL: \(String(describing: stopped))\n\(containerd.diagnostics(id))")
        #expect(kill(task.pid, 0) != 0, "container process \(task.pid) still alive after SIGKILL")

        // task delete: gone from the task list, and skiff-runc no longer knows the container.
        let deletedTask = containerd.ctr(["task", "delete", id])
        #expect(deletedTask.status == 0, "ctr task delete: \(deletedTask)\n\(containerd.diagnostics(id))")
        #expect(containerd.tasks()[id] == nil, "task still listed after ctr task delete: \(containerd.tasks())")
        #expect(
            !FileManager.default.fileExists(atPath: containerd.runtimeRoot + "/" + id),
            "skiff-runc's state dir still holds \(id) after ctr task delete")
        let gone = Harness.run(Harness.skiffRunc, ["--root", containerd.runtimeRoot, "state", id])
        #expect(gone.status != 0, "skiff-runc state still answers for a deleted container: \(gone)")

        // container delete: the container record is gone too.
        #expect(containerd.ctr(["container", "ls", "-q"]).stdout.contains(id), "container missing before ctr container delete")
        let deletedContainer = containerd.ctr(["container", "delete", id])
        #expect(deletedContainer.status == 0, "ctr container delete: \(deletedContainer)")
        let containers = containerd.ctr(["container", "ls", "-q"])
        #expect(containers.status == 0 && !containers.stdout.contains(id), "container still listed: \(containers)")
    }
}

/// A private containerd: config, root, state, sockets, FIFOs and the runtime's state dir all live in
/// one temp dir, removed (with any mounts and shims left behind) by `stop()`.
final class Containerd: @unchecked Sendable {
    static let namespace = "skiff-test"

    let directory: String
    let containerdPath: String
    let ctrPath: String
    let process: Process
    var socket: String { directory + "/containerd.sock" }
    var fifoDirectory: String { directory + "/fifo" }
    /// What the shim passes to the runtime as --root: the --runc-root plus the namespace.
    var runtimeRoot: String { directory + "/runc/" + Self.namespace }
    var runtimeFlags: [String] { ["--runc-binary", Harness.skiffRunc, "--runc-root", directory + "/runc"] }

    private init(directory: String, containerdPath: String, ctrPath: String, process: Process) {
        self.directory = directory
        self.containerdPath = containerdPath
        self.ctrPath = ctrPath
        self.process = process
    }

    /// Starts containerd and waits until it answers; on any failure after the start it stops itself.
    static func start() throws -> Containerd {
        try #require(Harness.isRoot, "needs root: containerd, namespaces, mounts and cgroups")
        let containerdPath = try #require(findExecutable("containerd"), "containerd is missing: run scripts/setup")
        let ctrPath = try #require(findExecutable("ctr"), "ctr is missing: run scripts/setup")
        try #require(FileManager.default.isExecutableFile(atPath: Harness.skiffRunc), "skiff-runc is missing: \(Harness.skiffRunc)")

        // Short path: the grpc socket path must stay under the 108-byte sun_path limit.
        let directory = "/tmp/" + Harness.uniqueID("skiff-ctrd")
        for sub in ["root", "state", "runc", "fifo", "opt"] {
            try FileManager.default.createDirectory(atPath: directory + "/" + sub, withIntermediateDirectories: true)
        }
        let config = """
            version = 2
            root = "\(directory)/root"
            state = "\(directory)/state"
            plugin_dir = ""
            disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.devmapper", \
            "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs", \
            "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
            [grpc]
              address = "\(directory)/containerd.sock"
            [ttrpc]
              address = "\(directory)/containerd.sock.ttrpc"
            [debug]
              address = "\(directory)/debug.sock"
              level = "debug"
            [metrics]
              address = ""
            [plugins."io.containerd.internal.v1.opt"]
              path = "\(directory)/opt"
            """
        try config.write(toFile: directory + "/config.toml", atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: containerdPath)
        process.arguments = ["--config", directory + "/config.toml"]
        _ = FileManager.default.createFile(atPath: directory + "/containerd.log", contents: nil)
        let log = try FileHandle(forWritingAtPath: directory + "/containerd.log").unwrap(directory)
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        let containerd = Containerd(directory: directory, containerdPath: containerdPath, ctrPath: ctrPath, process: process)
        do {
            try process.run()
            // The child has its own copy; ours would live as long as Foundation keeps the Process.
            try? log.close()
        } catch {
            containerd.stop()
            throw error
        }
        let deadline = Date().addingTimeInterval(20)
        var version = Harness.Result(stdout: "", stderr: "not tried", status: -1)
        while Date() < deadline, process.isRunning {
            if FileManager.default.fileExists(atPath: containerd.socket) {
                version = containerd.ctr(["version"])
                if version.status == 0 { return containerd }
            }
            usleep(100_000)
        }
        let logText = containerd.logTail()
        containerd.stop()
        Issue.record("containerd did not come up: \(version)\n\(logText)")
        throw ContainerdError(message: "containerd did not come up")
    }

    /// `ctr image import` of rootfs/build.sh's OCI tarball: its index carries the
    /// io.containerd.image.name annotation, so no --index-name/--base-name is needed.
    func importBusybox() throws {
        let tarball = URL(fileURLWithPath: Harness.busyboxRootfs).deletingLastPathComponent().path + "/busybox.oci.tar"
        try #require(FileManager.default.fileExists(atPath: tarball), "no busybox image at \(tarball): rootfs/build.sh failed?")
        let imported = ctr(["image", "import", tarball])
        try #require(imported.status == 0, "ctr image import: \(imported)")
        let images = ctr(["image", "ls", "-q"])
        try #require(
            images.stdout.split(separator: "\n").contains(Substring(ContainerdTests.image)),
            "image \(ContainerdTests.image) not listed after import: \(images)")
    }

    /// ctr against this containerd, in the test namespace, bounded so a hung runtime fails the test.
    @discardableResult
    func ctr(_ arguments: [String], timeout: Int = 60) -> Harness.Result {
        Harness.run("/usr/bin/timeout", ["-k", "5", String(timeout), ctrPath, "-a", socket, "-n", Self.namespace] + arguments)
    }

    struct Task: CustomStringConvertible {
        var pid: Int32
        var status: String
        var description: String { "pid \(pid) \(status)" }
    }

    /// `ctr task ls`, by task id.
    func tasks() -> [String: Task] {
        var tasks: [String: Task] = [:]
        for line in ctr(["task", "ls"]).stdout.split(separator: "\n").dropFirst() {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 3 else { continue }
            tasks[String(fields[0])] = Task(pid: Int32(fields[1]) ?? -1, status: String(fields[2]))
        }
        return tasks
    }

    /// What to look at when the runtime misbehaves under the shim: the runtime's json log (the
    /// shim's --log) and containerd's own log.
    func diagnostics(_ id: String) -> String {
        let bundle = directory + "/state/io.containerd.runtime.v2.task/\(Self.namespace)/\(id)"
        let runtimeLog = (try? String(contentsOfFile: bundle + "/log.json", encoding: .utf8)) ?? "(no \(bundle)/log.json)"
        return "runtime log.json:\n\(runtimeLog)\ncontainerd log (tail):\n\(logTail())"
    }

    func logTail(_ lines: Int = 40) -> String {
        let text = (try? String(contentsOfFile: directory + "/containerd.log", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    /// Removes what a failed test left (tasks, containers), kills leftover shims while containerd,
    /// their subreaper, can still reap them, stops containerd, unmounts whatever is still mounted
    /// under the temp dir, removes it, and removes the namespace's (now empty) cgroups.
    func stop() {
        if process.isRunning {
            for id in tasks().keys {
                ctr(["task", "kill", "-s", "SIGKILL", id], timeout: 10)
                ctr(["task", "delete", "--force", id], timeout: 10)
            }
            for id in ctr(["container", "ls", "-q"], timeout: 10).stdout.split(separator: "\n") {
                ctr(["container", "delete", String(id)], timeout: 10)
            }
        }
        let shims = shimPids()
        for pid in shims { kill(pid, SIGKILL) }
        let shimDeadline = Date().addingTimeInterval(2)
        while process.isRunning, shims.contains(where: { kill($0, 0) == 0 }), Date() < shimDeadline { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning, Date() < deadline { usleep(50_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        let mountinfo = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        let mounts = mountinfo.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ")
            return fields.count > 4 ? String(fields[4]) : nil
        }.filter { $0.hasPrefix(directory + "/") }
        for mount in mounts.reversed() { umount2(mount, Int32(MNT_DETACH)) }
        try? FileManager.default.removeItem(atPath: directory)
        let controllers = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? []
        for controller in controllers { rmdir("/sys/fs/cgroup/\(controller)/\(Self.namespace)") }
        rmdir("/sys/fs/cgroup/\(Self.namespace)")
    }

    /// containerd-shim-runc-v2 processes started for this containerd: their -address is our socket.
    private func shimPids() -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return arguments.first?.hasSuffix("containerd-shim-runc-v2") == true && arguments.contains(socket)
        }
    }

    static func findExecutable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/bin", "/usr/sbin", "/usr/local/bin"]
        return directories.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    struct ContainerdError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}

extension Optional where Wrapped == FileHandle {
    fileprivate func unwrap(_ directory: String) throws -> FileHandle {
        guard let self else { throw Containerd.ContainerdError(message: "cannot open \(directory)/containerd.log") }
        return self
    }
}
