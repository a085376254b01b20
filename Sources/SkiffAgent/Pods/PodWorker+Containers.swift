import FoundationEssentials
import Glibc
import SkiffAPI
import SkiffOCI
import SkiffSystem

extension PodWorker {
    /// Creates and starts one container: image, volumes, environment, config.json, monitor,
    /// `skiff-runc start`, then the postStart hook. Failures become the container's waiting
    /// reason and an event, and the sync retries later.
    func startContainer(_ spec: Container) async {
        let name = spec.name
        guard var state = containers[name], let sandbox else { return }
        let imageReference = spec.image
        let id = Self.newContainerID()
        let directory = context.containerDirectory(id)
        let hostProcess = imageReference == hostProcessImage
        state.image = imageReference
        // A failed create must not leave the runtime's error in the container's log.
        var attemptLog: String?
        do {
            let image: ResolvedImage
            if hostProcess {
                image = ResolvedImage(reference: hostProcessImage, imageID: "", rootfs: "/", defaults: ImageDefaults())
            } else {
                image = try await ensureImage(spec)
            }
            state.imageID = image.repoDigest.isEmpty ? image.imageID : image.repoDigest
            let volumePaths: [String: String]
            let mounts: [PreparedMount]
            let environment: [String]
            do {
                volumePaths = try await context.volumes.prepare(pod: pod)
                mounts = try context.volumes.mounts(container: spec, volumePaths: volumePaths)
                environment = try await context.environment.resolve(
                    pod: pod, container: spec, image: image.defaults.env, podIP: sandbox.podIP, hostIP: context.hostIP)
            } catch let error as VolumeError {
                throw ContainerRuntimeError(reason: error.reason == "FailedMount" ? "CreateContainerConfigError" : error.reason, message: error.message)
            }
            _ = try FileSystem.makeDirectories(directory, mode: 0o700)
            let rootfs: String
            if hostProcess {
                rootfs = directory + "/rootfs"
                _ = try FileSystem.makeDirectories(rootfs)
            } else {
                rootfs = try context.images.mountRootfs(image, containerDirectory: directory)
            }
            var allMounts = sandbox.files + mounts
            let terminationPath = spec.terminationMessagePath
            let terminationFile = directory + "/termination-log"
            try FileSystem.writeAtomically(terminationFile, "", mode: 0o666)
            allMounts.append(PreparedMount(destination: terminationPath, source: terminationFile))
            if hostProcess {
                // A host program sees the host's files read-only, with a /tmp of its own.
                allMounts.append(PreparedMount(destination: "/tmp", source: "tmpfs", type: "tmpfs", options: ["nosuid", "nodev", "mode=1777"]))
                // The host's /run is a mount of its own, so here it is the empty directory under
                // it, read-only: a private /run, mounted first, takes the volumes mounted below it
                // (the service-account token at /var/run/secrets/kubernetes.io/serviceaccount).
                if allMounts.contains(where: { $0.destination.hasPrefix("/run/") || $0.destination.hasPrefix("/var/run/") }) {
                    allMounts.insert(PreparedMount(destination: "/run", source: "tmpfs", type: "tmpfs", options: ["nosuid", "nodev", "mode=755"]), at: 0)
                }
            }
            let user = try resolveUser(spec: spec, image: image)
            let config = try context.specBuilder.build(
                .init(
                    pod: pod, container: spec, image: image.defaults, rootfs: rootfs,
                    readonlyRootfs: hostProcess || spec.securityContext.readOnlyRootFilesystem,
                    environment: environment, mounts: allMounts, sandbox: sandbox.paths,
                    cgroupsPath: context.cgroups.containerPath(pod: pod, containerID: id),
                    oomScoreAdj: context.cgroups.oomScoreAdj(for: pod, container: spec), hostProcess: hostProcess, user: user))
            try FileSystem.writeAtomically(directory + "/config.json", config.encoded(pretty: false))
            let logDirectory = context.podLogDirectory(pod) + "/" + name
            _ = try FileSystem.makeDirectories(logDirectory)
            let isRestart = state.termination != nil || state.lastTermination != nil
            let restartCount = isRestart ? state.restartCount + 1 : 0
            let logPath = "\(logDirectory)/\(restartCount).log"
            if !FileSystem.exists(logPath) { attemptLog = logPath }
            let created = try await context.runtime.create(
                id: id, bundle: directory, stateDirectory: directory, logPath: logPath, stdio: ContainerStdio(spec))
            state.monitorPID = created.monitor
            context.status.record(pod: pod, container: name, reason: "Created", message: "Created container \(name)")
            startsInFlight[id] = false
            defer { startsInFlight[id] = nil }
            try context.exits.watch(containerID: id, directory: directory)
            try await context.runtime.start(id: id)
            attemptLog = nil
            if let previous = state.termination { state.lastTermination = previous }
            state.restartCount = restartCount
            state.phase = .running(id: id, startedAt: Date())
            state.ready = false
            state.started = spec.startupProbe == nil
            state.killReason = nil
            containers[name] = state
            persist()
            context.status.record(pod: pod, container: name, reason: "Started", message: "Started container \(name)")
            if startsInFlight[id] == true {
                // It ended before the start returned; its exit was held until now.
                startsInFlight[id] = nil
                await containerExited(id: id)
                return
            }
            if let postStart = spec.lifecycle.postStart {
                await runPostStart(postStart, spec: spec, containerID: id)
            }
            startProbes(for: name)
        } catch {
            let failure = error as? ContainerRuntimeError ?? ContainerRuntimeError(reason: "CreateContainerError", message: "\(error)")
            await context.runtime.delete(id: id)
            if let attemptLog { unlink(attemptLog) }
            context.images.unmountRootfs(containerDirectory: directory)
            try? FileSystem.removeTree(directory)
            state.phase = .waiting(reason: failure.reason, message: failure.message)
            containers[name] = state
            switch failure.reason {
            case "ErrImagePull":
                // ensureImage recorded why; a sync within the back-off reports ImagePullBackOff,
                // and the one after it ends pulls again.
                wake(at: Date().addingTimeInterval(min(1, (imagePullBackOffs[name]?.delay ?? 2) / 2)))
            case "ImagePullBackOff":
                wake(at: imagePullBackOffs[name]?.until ?? Date().addingTimeInterval(10))
            default:
                context.status.record(
                    pod: pod, container: name, type: "Warning", reason: failure.reason == "ErrImageNeverPull" ? "ErrImageNeverPull" : "Failed",
                    message: failure.message)
                // A missing image or ConfigMap may appear later; retry as the kubelet does.
                wake(at: Date().addingTimeInterval(10))
            }
        }
    }

    /// runAsUser/runAsGroup from the container or the pod, else the image's USER (numeric, or a
    /// name looked up in the image's /etc/passwd).
    func resolveUser(spec: Container, image: ResolvedImage) throws -> (uid: UInt32, gid: UInt32, additionalGids: [UInt32]) {
        let container = spec.securityContext
        let podSecurity = pod.spec.securityContext
        var uid: UInt32 = 0
        var gid: UInt32 = 0
        let imageUser = image.defaults.user
        if !imageUser.isEmpty {
            let parts = imageUser.split(separator: ":", maxSplits: 1).map(String.init)
            if let numeric = UInt32(parts[0]) {
                uid = numeric
            } else if let entry = Self.passwdEntry(named: parts[0], rootfs: image.rootfs) {
                (uid, gid) = entry
            } else {
                throw ContainerRuntimeError(reason: "CreateContainerConfigError", message: "image user \(parts[0]) is not in the image's /etc/passwd")
            }
            if parts.count == 2, let numeric = UInt32(parts[1]) { gid = numeric }
        }
        if let value = container.runAsUser ?? podSecurity.runAsUser {
            guard value >= 0, value <= Int64(UInt32.max - 1) else {
                throw ContainerRuntimeError(reason: "CreateContainerConfigError", message: "runAsUser \(value) is out of range")
            }
            uid = UInt32(value)
        }
        if let value = container.runAsGroup ?? podSecurity.runAsGroup {
            guard value >= 0, value <= Int64(UInt32.max - 1) else {
                throw ContainerRuntimeError(reason: "CreateContainerConfigError", message: "runAsGroup \(value) is out of range")
            }
            gid = UInt32(value)
        }
        if (container.runAsNonRoot ?? podSecurity.runAsNonRoot) == true, uid == 0 {
            throw ContainerRuntimeError(reason: "CreateContainerConfigError", message: "container has runAsNonRoot and image will run as root")
        }
        // Out-of-range ids are dropped rather than trapping on the conversion.
        var groups = podSecurity.supplementalGroups.compactMap { UInt32(exactly: $0) }
        if let fsGroup = podSecurity.fsGroup.flatMap({ UInt32(exactly: $0) }) { groups.append(fsGroup) }
        return (uid, gid, groups)
    }

    static func passwdEntry(named name: String, rootfs: String) -> (UInt32, UInt32)? {
        guard let passwd = try? FileSystem.readString(rootfs + "/etc/passwd") else { return nil }
        for line in passwd.split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            if fields.count >= 4, fields[0] == name, let uid = UInt32(fields[2]), let gid = UInt32(fields[3]) { return (uid, gid) }
        }
        return nil
    }

    static func newContainerID() -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255) }
        return bytes.map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
        }.joined()
    }

    /// The monitor wrote exit.json: record how the container ended, free its runtime state and
    /// rootfs, and let the sync decide about a restart.
    func containerExited(id: String) async {
        if startsInFlight[id] != nil {
            startsInFlight[id] = true
            return
        }
        guard !exitsInFlight.contains(id),
            let name = containers.first(where: { $0.value.runningID == id })?.key, let state = containers[name],
            case .running(_, let startedAt) = state.phase
        else { return }
        exitsInFlight.insert(id)
        defer { exitsInFlight.remove(id) }
        let directory = context.containerDirectory(id)
        let exit = ContainerExit.read(directory: directory)
        let code = exit.exitCode
        let signal = exit.signal
        let finishedAt = exit.finishedAt ?? Date()
        let oomKilled = context.cgroups.oomKills(path: context.cgroups.containerPath(pod: pod, containerID: id)) > 0
        var reason = code == 0 ? "Completed" : "Error"
        if oomKilled { reason = "OOMKilled" }
        var message = (try? FileSystem.readString(directory + "/termination-log")) ?? ""
        if message.count > 4096 { message = String(message.suffix(4096)) }
        if message.isEmpty, code != 0, specFor(name)?.terminationMessagePolicy == .fallbackToLogsOnError {
            message = lastLogLines(container: name, restartCount: state.restartCount)
        }
        let termination = Termination(
            exitCode: code, signal: signal, reason: reason, message: message.isEmpty ? nil : message,
            startedAt: startedAt, finishedAt: finishedAt, containerID: id)
        probes[name]?.cancel()
        probes[name] = nil
        context.exits.unwatch(containerID: id)
        await context.runtime.delete(id: id)
        await context.runtime.reap(monitor: state.monitorPID)
        context.images.unmountRootfs(containerDirectory: directory)
        try? FileSystem.removeTree(directory)

        if oomKilled {
            context.status.record(
                pod: pod, container: name, type: "Warning", reason: "OOMKilling", message: "Memory cgroup out of memory: killed container \(name)")
        }
        // The awaits above let probes, kills and syncs run: build on the state as it is now.
        guard var state = containers[name], state.runningID == id else { return }
        state.phase = .terminated(termination)
        state.ready = false
        state.started = false
        let restartPolicy = pod.spec.restartPolicy
        let willRestart =
            lifecycle == .running
            && (restartPolicy.restarts(exitCode: code)
                || (state.isInit && code != 0 && restartPolicy != .never))
        if willRestart {
            // The first restart is immediate; after that 10 s doubling to 5 min, reset after
            // 10 minutes of clean running (the kubelet's back-off).
            if finishedAt.timeIntervalSince(startedAt) > 600 { state.backoffSeconds = 0 }
            state.restartDelaySeconds = state.backoffSeconds
            state.restartAfter = state.backoffSeconds > 0 ? Date().addingTimeInterval(state.backoffSeconds) : nil
            state.backoffSeconds =
                state.backoffSeconds == 0
                ? context.configuration.initialBackoffSeconds
                : min(state.backoffSeconds * 2, context.configuration.maxBackoffSeconds)
        }
        containers[name] = state
        if willRestart { enterBackOff(name) }
        persist()
        requestSync()
    }

    func specFor(_ name: String) -> Container? {
        pod.spec.container(named: name)
    }

    func lastLogLines(container: String, restartCount: Int) -> String {
        let path = "\(context.podLogDirectory(pod))/\(container)/\(restartCount).log"
        let text = (try? FileSystem.readString(path)) ?? ""
        let lines = text.split(separator: "\n").suffix(80).map { line -> String in
            let fields = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
            return fields.count == 4 ? String(fields[3]) : String(line)
        }
        return String(lines.joined(separator: "\n").suffix(2048))
    }
}
