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

    func volumeDirectory(podUID: String, name: String) -> String {
        "\(podsDirectory)/\(podUID)/volumes/\(name)"
    }

    /// Creates or refreshes every volume; returns host paths by volume name.
    func prepare(pod: JSON) async throws -> [String: String] {
        let uid = pod["metadata"]["uid"].string ?? ""
        let namespace = pod["metadata"]["namespace"].string ?? "default"
        var paths: [String: String] = [:]
        for volume in pod["spec"]["volumes"].array ?? [] {
            guard let name = volume["name"].string else { continue }
            let directory = volumeDirectory(podUID: uid, name: name)
            if !volume["emptyDir"].isNull {
                _ = try FileSystem.makeDirectories(directory, mode: 0o777)
                if volume["emptyDir"]["medium"].string == "Memory", !Self.isMountPoint(directory) {
                    var options = "mode=0777"
                    if let limit = Quantity(json: volume["emptyDir"]["sizeLimit"]) { options += ",size=\(limit.value)" }
                    try sys("mount", "tmpfs -> \(directory)") { mount("tmpfs", directory, "tmpfs", UInt(MS_NOSUID | MS_NODEV), options) }
                }
                paths[name] = directory
            } else if !volume["hostPath"].isNull {
                let path = volume["hostPath"]["path"].string ?? ""
                let type = volume["hostPath"]["type"].string ?? ""
                switch type {
                case "DirectoryOrCreate": _ = try FileSystem.makeDirectories(path)
                case "Directory" where !FileSystem.isDirectory(path):
                    throw VolumeError(reason: "FailedMount", message: "hostPath type check failed: \(path) is not a directory")
                case "FileOrCreate" where !FileSystem.exists(path):
                    try FileSystem.writeAtomically(path, "", mode: 0o644)
                case "File" where !FileSystem.exists(path) || FileSystem.isDirectory(path):
                    throw VolumeError(reason: "FailedMount", message: "hostPath type check failed: \(path) is not a file")
                default: break
                }
                paths[name] = path
            } else if !volume["configMap"].isNull || !volume["secret"].isNull {
                let isSecret = !volume["secret"].isNull
                let source = isSecret ? volume["secret"] : volume["configMap"]
                let objectName = (isSecret ? source["secretName"].string : source["name"].string) ?? ""
                let optional = source["optional"].bool ?? false
                let data: [String: [UInt8]]
                do {
                    data = try await fetchData(namespace: namespace, name: objectName, secret: isSecret)
                } catch let error as VolumeError where optional {
                    _ = error
                    data = [:]
                }
                let mode = Int(source["defaultMode"].int ?? 0o644)
                try writeFiles(directory: directory, data: data, items: source["items"].array, defaultMode: mode)
                paths[name] = directory
            } else if !volume["downwardAPI"].isNull {
                var data: [String: [UInt8]] = [:]
                for item in volume["downwardAPI"]["items"].array ?? [] {
                    guard let path = item["path"].string, let field = item["fieldRef"]["fieldPath"].string else { continue }
                    data[path] = Array(EnvironmentResolver.fieldValue(field, pod: pod, multiline: true).utf8)
                }
                try writeFiles(directory: directory, data: data, items: nil, defaultMode: Int(volume["downwardAPI"]["defaultMode"].int ?? 0o644))
                paths[name] = directory
            } else {
                throw VolumeError(reason: "FailedMount", message: "volume \(name): only emptyDir, hostPath, configMap, secret and downwardAPI volumes are supported")
            }
        }
        return paths
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
    func writeFiles(directory: String, data: [String: [UInt8]], items: [JSON]?, defaultMode: Int) throws {
        var files: [(path: String, bytes: [UInt8], mode: Int)] = []
        if let items {
            for item in items {
                guard let key = item["key"].string, let path = item["path"].string, let bytes = data[key] else { continue }
                files.append((path, bytes, Int(item["mode"].int ?? Int64(defaultMode))))
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
            defer { close(fd) }
            try FileSystem.writeAll(fd: fd, file.bytes, name: temporary)
            try sys("chmod", temporary.quoted) { chmod(temporary, mode_t(file.mode)) }
            try sys("rename", temporary.quoted) { rename(temporary, full) }
        }
    }

    /// The bind mounts for a container's volumeMounts.
    func mounts(container: JSON, volumePaths: [String: String]) throws -> [PreparedMount] {
        var result: [PreparedMount] = []
        for mount in container["volumeMounts"].array ?? [] {
            guard let name = mount["name"].string, let destination = mount["mountPath"].string else { continue }
            guard var source = volumePaths[name] else {
                throw VolumeError(reason: "CreateContainerConfigError", message: "volumeMount \(name) names no volume of the pod")
            }
            if let subPath = mount["subPath"].string, !subPath.isEmpty {
                guard !subPath.split(separator: "/").contains(".."), !subPath.hasPrefix("/") else {
                    throw VolumeError(reason: "CreateContainerConfigError", message: "subPath \(subPath) must be a relative path without '..'")
                }
                source += "/" + subPath
                if !FileSystem.exists(source) { _ = try FileSystem.makeDirectories(source, mode: 0o777) }
            }
            var options = ["rbind", "rprivate"]
            if mount["readOnly"].bool == true { options.append("ro") }
            result.append(PreparedMount(destination: destination, source: source, options: options))
        }
        return result
    }

    /// Unmounts tmpfs volumes and removes the pod's volume directories (never a hostPath).
    func cleanup(podUID: String) {
        let root = "\(podsDirectory)/\(podUID)/volumes"
        for name in (try? FileSystem.listDirectory(root)) ?? [] {
            let directory = root + "/" + name
            if Self.isMountPoint(directory) { umount2(directory, Int32(MNT_DETACH)) }
        }
        try? FileSystem.removeTree(root)
    }

    static func isMountPoint(_ path: String) -> Bool {
        var own = stat(), parent = stat()
        guard stat(path, &own) == 0, stat(path + "/..", &parent) == 0 else { return false }
        return own.st_dev != parent.st_dev
    }
}
