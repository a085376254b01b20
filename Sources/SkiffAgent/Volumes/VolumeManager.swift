import Glibc
import SkiffAPI
import SkiffSystem

/// A volume or env source the pod names but the API does not have (yet).
struct VolumeError: Error, CustomStringConvertible, Sendable {
    let reason: String
    let message: String
    var description: String { message }
}

/// Prepares a pod's volumes on the host (emptyDir, hostPath, configMap, secret, downwardAPI) and
/// turns a container's volumeMounts into bind mounts.
struct VolumeManager: Sendable {
    let client: any ObjectReader
    let podsDirectory: String
    /// Projected service-account tokens to refresh.
    let tokens = ProjectedTokens()

    func volumeDirectory(podUID: String, name: String) -> String {
        "\(podsDirectory)/\(podUID)/volumes/\(name)"
    }

    /// Creates or refreshes every volume; returns host paths by volume name.
    func prepare(pod: Pod) async throws -> [String: String] {
        var paths: [String: String] = [:]
        for volume in pod.spec.volumes {
            let name = volume.name
            let directory = volumeDirectory(podUID: pod.uid, name: name)
            switch volume.source {
            case .emptyDir(let emptyDir):
                _ = try FileSystem.makeDirectories(directory, mode: 0o777)
                if emptyDir.inMemory, !Self.isMountPoint(directory) {
                    var options = "mode=0777"
                    if let limit = emptyDir.sizeLimit { options += ",size=\(limit.value)" }
                    try sys("mount", "tmpfs -> \(directory)") { mount("tmpfs", directory, "tmpfs", UInt(MS_NOSUID | MS_NODEV), options) }
                }
                paths[name] = directory
            case .hostPath(let hostPath):
                let path = hostPath.path
                switch hostPath.type {
                case .directoryOrCreate: _ = try FileSystem.makeDirectories(path)
                case .directory where !FileSystem.isDirectory(path):
                    throw VolumeError(reason: "FailedMount", message: "hostPath type check failed: \(path) is not a directory")
                case .fileOrCreate where !FileSystem.exists(path):
                    try FileSystem.writeAtomically(path, "", mode: 0o644)
                case .file where !FileSystem.exists(path) || FileSystem.isDirectory(path):
                    throw VolumeError(reason: "FailedMount", message: "hostPath type check failed: \(path) is not a file")
                default: break
                }
                paths[name] = path
            case .configMap(let source):
                try await writeObject(source, secret: false, namespace: pod.namespace, directory: directory)
                paths[name] = directory
            case .secret(let source):
                try await writeObject(source, secret: true, namespace: pod.namespace, directory: directory)
                paths[name] = directory
            case .downwardAPI(let downward):
                var data: [String: [UInt8]] = [:]
                for item in downward.items {
                    guard let field = item.fieldPath else { continue }
                    data[item.path] = Array(EnvironmentResolver.fieldValue(field, pod: pod, podIP: pod.status.podIP, hostIP: pod.status.hostIP).utf8)
                }
                try writeFiles(directory: directory, data: data, items: nil, defaultMode: Int(downward.defaultMode))
                paths[name] = directory
            case .persistentVolumeClaim(let claim):
                paths[name] = try await claimedDirectory(claim.claimName, namespace: pod.namespace, volume: name)
            case .projected(let projected):
                try await writeProjected(projected, pod: pod, directory: directory)
                paths[name] = directory
            case .unsupported(let kind):
                throw VolumeError(
                    reason: "FailedMount",
                    message:
                        "volume \(name): \(kind) volumes are not supported (only emptyDir, hostPath, configMap, secret, downwardAPI, projected and persistentVolumeClaim)"
                )
            }
        }
        return paths
    }

    /// The directory of the volume bound to a claim: the PersistentVolume's hostPath or local
    /// path, created if missing (a provisioned volume's directory is made on first use). Until
    /// the claim is bound the pod waits, as kubelet's volume manager does.
    func claimedDirectory(_ claimName: String, namespace: String, volume: String) async throws -> String {
        let claim: PersistentVolumeClaim
        do {
            claim = try PersistentVolumeClaim(json: try await client.get("/api/v1/namespaces/\(namespace)/persistentvolumeclaims/\(claimName)"))
        } catch let error as APIClientError where error.isNotFound {
            throw VolumeError(reason: "FailedMount", message: "persistentvolumeclaim \"\(claimName)\" not found")
        }
        guard claim.isBound, let volumeName = claim.volumeName else {
            throw VolumeError(reason: "FailedMount", message: "volume \(volume): persistentvolumeclaim \"\(claimName)\" is not bound yet")
        }
        let persistentVolume: PersistentVolume
        do {
            persistentVolume = try PersistentVolume(json: try await client.get("/api/v1/persistentvolumes/\(volumeName)"))
        } catch let error as APIClientError where error.isNotFound {
            throw VolumeError(reason: "FailedMount", message: "persistentvolume \"\(volumeName)\" not found")
        }
        guard let path = persistentVolume.path else {
            throw VolumeError(reason: "FailedMount", message: "persistentvolume \"\(volumeName)\": only hostPath and local volumes can be mounted here")
        }
        _ = try FileSystem.makeDirectories(path, mode: 0o777)
        return path
    }

    /// A ConfigMap's or Secret's keys as files; an optional one that is missing gives an empty directory.
    private func writeObject(_ source: Volume.ObjectFiles, secret: Bool, namespace: String, directory: String) async throws {
        let data: [String: [UInt8]]
        do {
            data = try await fetchData(namespace: namespace, name: source.name, secret: secret)
        } catch is VolumeError where source.optional {
            data = [:]
        }
        try writeFiles(directory: directory, data: data, items: source.items, defaultMode: Int(source.defaultMode))
    }

    func fetchData(namespace: String, name: String, secret: Bool) async throws -> [String: [UInt8]] {
        let kind = secret ? "secrets" : "configmaps"
        let object: JSON
        do {
            object = try await client.get("/api/v1/namespaces/\(namespace)/\(kind)/\(name)")
        } catch let error as APIClientError where error.isNotFound {
            throw VolumeError(reason: "FailedMount", message: "\(secret ? "secret" : "configmap") \"\(name)\" not found")
        }
        var data: [String: [UInt8]] = [:]
        for (key, value) in object["data"].object ?? [:] {
            guard let text = value.string else { continue }
            data[key] = secret ? (Base64.decode(text) ?? []) : Array(text.utf8)
        }
        for (key, value) in object["binaryData"].object ?? [:] {
            if let text = value.string { data[key] = Base64.decode(text) ?? [] }
        }
        return data
    }

    /// Writes the files, then swaps the directory contents so readers never see half an update.
    func writeFiles(directory: String, data: [String: [UInt8]], items: [Volume.KeyToPath]?, defaultMode: Int) throws {
        var files: [(path: String, bytes: [UInt8], mode: Int)] = []
        if let items {
            for item in items {
                guard let bytes = data[item.key] else { continue }
                files.append((item.path, bytes, item.mode.map(Int.init) ?? defaultMode))
            }
        } else {
            files = data.map { ($0.key, $0.value, defaultMode) }
        }
        _ = try FileSystem.makeDirectories(directory)
        for file in files {
            guard !file.path.split(separator: "/").contains("..") else {
                throw VolumeError(reason: "FailedMount", message: "volume item path \(file.path) must not contain '..'")
            }
            let full = directory + "/" + file.path
            if let slash = full.lastIndex(of: "/") { _ = try FileSystem.makeDirectories(String(full[..<slash])) }
            let temporary = full + ".skiff-tmp"
            let fd = try sys("open", temporary.quoted) { open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode_t(file.mode)) }
            defer { closeFD(fd) }
            try FileSystem.writeAll(fd: fd, file.bytes, name: temporary)
            try sys("chmod", temporary.quoted) { chmod(temporary, mode_t(file.mode)) }
            try sys("rename", temporary.quoted) { rename(temporary, full) }
        }
    }

    /// The bind mounts for a container's volumeMounts.
    func mounts(container: Container, volumePaths: [String: String]) throws -> [PreparedMount] {
        var result: [PreparedMount] = []
        for mount in container.volumeMounts {
            guard var source = volumePaths[mount.name] else {
                throw VolumeError(reason: "CreateContainerConfigError", message: "volumeMount \(mount.name) names no volume of the pod")
            }
            let subPath = mount.subPath
            if !subPath.isEmpty {
                guard !subPath.split(separator: "/").contains(".."), !subPath.hasPrefix("/") else {
                    throw VolumeError(reason: "CreateContainerConfigError", message: "subPath \(subPath) must be a relative path without '..'")
                }
                source += "/" + subPath
                if !FileSystem.exists(source) { _ = try FileSystem.makeDirectories(source, mode: 0o777) }
            }
            var options = ["rbind", "rprivate"]
            if mount.readOnly { options.append("ro") }
            result.append(PreparedMount(destination: mount.mountPath, source: source, options: options))
        }
        return result
    }

    /// Unmounts tmpfs volumes and removes the pod's volume directories (never a hostPath).
    func cleanup(podUID: String) {
        tokens.forget(podUID: podUID)
        let root = "\(podsDirectory)/\(podUID)/volumes"
        for name in (try? FileSystem.listDirectory(root)) ?? [] {
            let directory = root + "/" + name
            if Self.isMountPoint(directory) { umount2(directory, Int32(MNT_DETACH)) }
        }
        try? FileSystem.removeTree(root)
    }

    static func isMountPoint(_ path: String) -> Bool {
        var own = stat()
        var parent = stat()
        guard stat(path, &own) == 0, stat(path + "/..", &parent) == 0 else { return false }
        return own.st_dev != parent.st_dev
    }
}
