import Foundation
import Testing

/// Done-means 6: malformed config.json cases each give a clear error naming the problem and
/// leave nothing behind — no state directory, no cgroup, no process, no mount.
@Suite("malformed config.json (root, real kernel)")
struct MalformedConfigTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let message: String
        let prepare: @Sendable (Bundle) throws -> Void
        var testDescription: String { name }
    }

    static func editing(_ edit: @escaping @Sendable (inout [String: Any]) -> Void) -> @Sendable (Bundle) throws -> Void {
        { bundle in
            let url = URL(fileURLWithPath: bundle.path + "/config.json")
            var config = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
            edit(&config)
            try JSONSerialization.data(withJSONObject: config).write(to: url)
        }
    }

    static let cases: [Case] = [
        Case(name: "missing root", message: "config.json: root: required", prepare: editing { $0["root"] = nil }),
        Case(
            name: "bad JSON", message: "config.json: invalid JSON",
            prepare: { bundle in
                try #"{"ociVersion": "1.0.2", "process": {"#.write(toFile: bundle.path + "/config.json", atomically: true, encoding: .utf8)
            }),
        Case(
            name: "unknown namespace type", message: "linux.namespaces[5].type \"galaxy\": unknown namespace type",
            prepare: editing { $0.append(["linux", "namespaces"], ["type": "galaxy"]) }),
        Case(
            name: "bad rlimit", message: "process.rlimits[0].type \"RLIMIT_WHATEVER\": unknown rlimit",
            prepare: editing { $0.set(["process", "rlimits"], [["type": "RLIMIT_WHATEVER", "soft": 1, "hard": 1]]) }),
        Case(
            name: "rlimit soft above hard", message: "soft limit 10 is above hard limit 5",
            prepare: editing { $0.set(["process", "rlimits"], [["type": "RLIMIT_NOFILE", "soft": 10, "hard": 5]]) }),
        Case(
            name: "mount destination escaping via symlink", message: "resolves outside the container root",
            prepare: { bundle in
                try FileManager.default.createSymbolicLink(atPath: bundle.path + "/rootfs/escape", withDestinationPath: "../../../../../../tmp")
                try editing { $0.append(["mounts"], ["destination": "/escape/owned", "type": "tmpfs", "source": "tmpfs"]) }(bundle)
            }),
        Case(
            name: "unknown capability", message: "process.capabilities.bounding[3] \"CAP_TELEPORT\": unknown capability",
            prepare: editing { $0.append(["process", "capabilities", "bounding"], "CAP_TELEPORT") }),
        Case(
            name: "no program to run", message: "process.args: must name the program to run",
            prepare: editing { $0.set(["process", "args"], [String]()) }),
        Case(
            name: "program missing from the rootfs", message: "exec: \"no-such-program\": executable file not found in $PATH",
            prepare: editing { $0.set(["process", "args"], ["no-such-program"]) }),
        Case(
            name: "mount of an unknown filesystem type", message: "mounts[7] (/weird)",
            prepare: editing { $0.append(["mounts"], ["destination": "/weird", "type": "nosuchfs", "source": "x"]) }),
    ]

    @Test("a malformed config fails clearly and leaves nothing behind", arguments: cases)
    func malformedConfigFailsClearlyAndLeavesNothingBehind(_ testCase: Case) throws {
        try #require(Harness.isRoot, "needs root")
        let bundle = try Bundle(specFrom: .skiff) { $0.setArgs(["true"]) }
        defer { bundle.remove() }
        let id = Harness.uniqueID("bad")
        let cli = RuntimeCLI.skiff()
        let cgroup = "/skiff-test/\(id)"
        try Self.editing { $0.set(["linux", "cgroupsPath"], cgroup) }(bundle)
        try testCase.prepare(bundle)

        let result = cli("create", "--bundle", bundle.path, id)
        #expect(result.status != 0, "create succeeded: \(result)")
        #expect(result.stderr.contains(testCase.message), "error does not say \(testCase.message.debugDescription): \(result.stderr)")

        #expect(!FileManager.default.fileExists(atPath: cli.root + "/" + id), "state directory left behind")
        #expect(cli.status(id) == "absent")
        for controller in ["memory", "pids", "cpu", "freezer"] where FileManager.default.fileExists(atPath: "/sys/fs/cgroup/\(controller)") {
            #expect(!FileManager.default.fileExists(atPath: "/sys/fs/cgroup/\(controller)\(cgroup)"), "\(controller) cgroup left behind")
        }
        #expect(!FileManager.default.fileExists(atPath: "/sys/fs/cgroup\(cgroup)"), "cgroup left behind")
        let rootfs = bundle.path + "/rootfs"
        let mounts = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        #expect(!mounts.contains(rootfs), "a mount under the rootfs is left on the host")
        #expect(Self.processesWithRoot(rootfs).isEmpty, "a process is still running in the container")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/owned"), "the mount escaped the rootfs")
    }

    /// Processes whose root directory is `rootfs` (a leftover container).
    static func processesWithRoot(_ rootfs: String) -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { Int($0) != nil }.filter {
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\($0)/root")) == rootfs
        }
    }
}
