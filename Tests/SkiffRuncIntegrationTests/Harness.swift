import Foundation
import SkiffSystem
import Testing

/// Paths and helpers shared by the runtime's integration tests. These run as root against the
/// real kernel: real namespaces, cgroups, mounts, and Debian's runc as the reference.
enum Harness {
    static let repoRoot: String =
        ProcessInfo.processInfo.environment["SKIFF_REPO"]
        ?? {
            var url = URL(fileURLWithPath: #filePath)
            for _ in 0..<3 { url.deleteLastPathComponent() }
            return url.path
        }()

    /// A scratch directory for this test process, removed by nobody in particular: it lives in /tmp.
    static let scratch: String = {
        let path = NSTemporaryDirectory() + "skiff-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    /// The skiff-runc under test: $SKIFF_RUNC, else the static release build scripts/test makes,
    /// else the debug build. Copied to a local tmpfs first inside the VM, where a binary that
    /// re-executes itself from the 9p share hangs.
    static let skiffRunc: String = {
        let candidates = [
            ProcessInfo.processInfo.environment["SKIFF_RUNC"],
            repoRoot + "/.build-runc/release/skiff-runc",
            repoRoot + "/.build/debug/skiff-runc",
        ].compactMap { $0 }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            return "/nonexistent/skiff-runc (build it: swift build --product skiff-runc)"
        }
        guard ProcessInfo.processInfo.environment["SKIFF_IN_VM"] != nil else { return found }
        let local = scratch + "/skiff-runc"
        try? FileManager.default.copyItem(atPath: found, toPath: local)
        return local
    }()

    static let runc = "/usr/sbin/runc"

    /// The busybox root filesystem from rootfs/build.sh, built once per machine into .cache/.
    static let busyboxRootfs: String = {
        let images = ProcessInfo.processInfo.environment["SKIFF_IMAGES"] ?? repoRoot + "/.cache/images"
        let rootfs = images + "/busybox"
        if !FileManager.default.fileExists(atPath: rootfs + "/bin/busybox") {
            let result = run("/bin/sh", ["-c", "flock \(images).lock \(repoRoot)/rootfs/build.sh \(images) || true"])
            if result.status != 0 { print("rootfs/build.sh failed: \(result.stderr)") }
        }
        return rootfs
    }()

    struct Result: Sendable, CustomStringConvertible {
        var stdout: String
        var stderr: String
        var status: Int32
        var description: String { "exit \(status), stdout \(stdout.debugDescription), stderr \(stderr.debugDescription)" }
    }

    /// Runs a program to completion, capturing its output; `stdin` is fed if given. SkiffSystem's
    /// `Command` reads both pipes at once and retries EINTR (Foundation's `readDataToEndOfFile`,
    /// used here before, traps on it).
    @discardableResult
    static func run(
        _ path: String, _ arguments: [String], stdin: String? = nil, directory: String? = nil,
        environment: [String: String]? = nil
    ) -> Result {
        do {
            let output = try Command.run(
                path, arguments, environment: environment.map { $0.map { "\($0.key)=\($0.value)" } }, input: Array((stdin ?? "").utf8),
                directory: directory)
            return Result(stdout: output.stdout, stderr: output.stderr, status: output.status.code)
        } catch {
            return Result(stdout: "", stderr: "cannot run \(path): \(error)", status: -1)
        }
    }

    static func uniqueID(_ prefix: String) -> String {
        "\(prefix)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    static var isRoot: Bool { getuid() == 0 }

    /// cgroup v1 controllers mounted (this machine) vs a pure v2 host (the VM).
    static var hostHasCgroupV2Controllers: Bool {
        let controllers = (try? String(contentsOfFile: "/sys/fs/cgroup/cgroup.controllers", encoding: .utf8)) ?? ""
        return controllers.contains("memory")
    }
}

/// An OCI bundle in a temp dir: config.json from a runtime's `spec`, plus a private copy of
/// the busybox rootfs.
struct Bundle {
    let path: String

    enum Generator: String, CaseIterable, Sendable {
        case skiff, runc
        var binary: String { self == .skiff ? Harness.skiffRunc : Harness.runc }
    }

    init(specFrom generator: Generator, in directory: String = Harness.scratch, edit: (inout [String: Any]) -> Void) throws {
        path = directory + "/" + Harness.uniqueID("bundle")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let spec = Harness.run(generator.binary, ["spec"], directory: path)
        guard spec.status == 0 else { throw BundleError(message: "\(generator) spec: \(spec)") }
        let copy = Harness.run("/bin/cp", ["-a", Harness.busyboxRootfs, path + "/rootfs"])
        guard copy.status == 0 else { throw BundleError(message: "copy rootfs: \(copy)") }
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path + "/config.json"))) as? [String: Any] ?? [:]
        var process = config["process"] as? [String: Any] ?? [:]
        process["terminal"] = false
        config["process"] = process
        edit(&config)
        try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted]).write(to: URL(fileURLWithPath: path + "/config.json"))
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    struct BundleError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}

/// Small helpers for editing a config.json held as a dictionary.
extension Dictionary where Key == String, Value == Any {
    func lookup(_ keys: [String]) -> Any? {
        var current: Any? = self
        for key in keys { current = (current as? [String: Any])?[key] }
        return current
    }

    mutating func set(_ keys: [String], _ value: Any?) {
        guard let first = keys.first else { return }
        if keys.count == 1 {
            self[first] = value
            return
        }
        var child = self[first] as? [String: Any] ?? [:]
        child.set(Array(keys.dropFirst()), value)
        self[first] = child
    }

    mutating func setArgs(_ args: [String]) { set(["process", "args"], args) }

    mutating func append(_ keys: [String], _ value: Any) {
        var array = lookup(keys) as? [Any] ?? []
        array.append(value)
        set(keys, array)
    }
}
