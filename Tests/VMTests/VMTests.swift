import Foundation
import Testing

/// End-to-end checks of `scripts/vm`, the real test hosts: a pure cgroup v2 VM ("run" mode,
/// the host's / shared read-only) and a VM with systemd as PID 1 ("systemd" mode).
///
/// Each test boots one VM under QEMU/TCG (several seconds each; the first use also fetches
/// the kernel, and the first systemd boot debootstraps a root disk — see docs/vm.md), so
/// the suite is serialized to keep the 2-core machine responsive and to keep boots few.
@Suite("scripts/vm test hosts", .serialized)
struct VMTests {
    /// The checkout this file lives in: Tests/VMTests/VMTests.swift -> repo root.
    static let repoRoot: URL =
        ProcessInfo.processInfo.environment["SKIFF_REPO"].map { URL(fileURLWithPath: $0) }
        ?? URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent()

    struct Run {
        let status: Int32
        /// stdout and stderr of scripts/vm, interleaved (the guest command's output is streamed
        /// to scripts/vm's stdout; its own diagnostics go to stderr).
        let output: String
    }

    /// Fails (never skips) when the machine lacks what scripts/vm needs.
    static func requirePrerequisites() throws {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let hasQEMU = path.split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/qemu-system-x86_64")
        }
        try #require(
            hasQEMU,
            "qemu-system-x86_64 is not installed: run scripts/setup (as root) to install the VM prerequisites")
        let hasBusybox = ["/usr/bin/busybox", "/bin/busybox"].contains {
            FileManager.default.isExecutableFile(atPath: $0)
        }
        try #require(
            hasBusybox,
            "busybox (busybox-static) is not installed: run scripts/setup (as root) to install the VM prerequisites")
        let script = repoRoot.appendingPathComponent("scripts/vm").path
        try #require(FileManager.default.isExecutableFile(atPath: script), "\(script) is missing or not executable")
    }

    /// Runs `scripts/vm ARGS...` from the repository root and collects everything it prints.
    /// The minutes of waiting happen on a thread of its own: a test that blocks a Swift
    /// concurrency pool thread (one per core) that long starves every other test in the process
    /// (a CI run's store-deadlock watchdog fired while two VM tests held both threads).
    ///
    /// A boot that never reaches the command (scripts/vm says so on its time limit) is tried once
    /// more, and the first attempt's report stays at the top of the output: a CI run once spent
    /// its whole 300 s before the guest printed anything, while every other boot took seconds.
    static func vm(_ arguments: [String], environment extra: [String: String] = [:]) async throws -> Run {
        try requirePrerequisites()
        let first = await runOnOwnThread(arguments, environment: extra)
        guard first.status == 124, first.output.contains("the guest never reached the command") else { return first }
        print("scripts/vm \(arguments.first ?? ""): the boot stalled; trying once more. First attempt:\n\(first.output)")
        let second = await runOnOwnThread(arguments, environment: extra)
        return Run(status: second.status, output: "[first boot stalled]\n\(first.output)\n[second boot]\n\(second.output)")
    }

    private static func runOnOwnThread(_ arguments: [String], environment extra: [String: String]) async -> Run {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: runVM(arguments, environment: extra)) }.start()
        }
    }

    private static func runVM(_ arguments: [String], environment extra: [String: String]) -> Run {
        let process = Process()
        process.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        process.executableURL = repoRoot.appendingPathComponent("scripts/vm")
        process.arguments = arguments
        process.currentDirectoryURL = repoRoot
        process.standardInput = FileHandle.nullDevice
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do {
            try process.run()
        } catch {
            return Run(status: -1, output: "cannot run scripts/vm: \(error)")
        }
        let data = readToEnd(pipe.fileHandleForReading)
        try? pipe.fileHandleForReading.close()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    /// Reads until EOF, retrying EINTR. Foundation's `readDataToEndOfFile` traps on EINTR (a
    /// `try!` inside), and a signal can land on this thread during a VM test's minutes-long read.
    static func readToEnd(_ handle: FileHandle) -> [UInt8] {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                data += buffer[0..<count]
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                return data
            }
        }
    }

    /// The runtime's cgroup v2 driver suite cannot run on a hybrid host; this runs it, from this
    /// very test binary, inside the pure cgroup v2 VM (skiff-runc is copied to the guest's tmpfs).
    @Test func cgroupV2DriverTestsPassInsideTheVM() async throws {
        let testBinary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let run = try await Self.vm(
            ["run", "--timeout", "300", "--", testBinary, "--testing-library", "swift-testing", "--filter", "CgroupV2DriverTests"],
            environment: ["SKIFF_IN_VM": "1"])
        #expect(run.status == 0, "the cgroup v2 driver tests failed in the VM (\(run.status)):\n\(run.output)")
        #expect(run.output.contains("Suite \"cgroup v2 driver (root, real kernel)\" passed"), "suite did not pass:\n\(run.output)")
        #expect(run.output.contains("Test run with 5 tests"), "expected the 5 v2 driver tests to run:\n\(run.output)")
        #expect(!run.output.contains("skipped"), "tests were skipped in the VM:\n\(run.output)")
    }

    @Test func vmRunModeShowsAllCgroupV2Controllers() async throws {
        let run = try await Self.vm(["run", "--timeout", "300", "--", "cat", "/sys/fs/cgroup/cgroup.controllers"])
        #expect(run.status == 0, "scripts/vm run failed (\(run.status)):\n\(run.output)")
        let controllers = Set(run.output.split(whereSeparator: \.isWhitespace).map(String.init))
        for controller in ["cpuset", "cpu", "io", "memory", "hugetlb", "pids"] {
            #expect(controllers.contains(controller), "no \(controller) in the guest's cgroup.controllers:\n\(run.output)")
        }
    }

    @Test func vmRunModePropagatesTheCommandsExitCodeAndStreamsBothStreams() async throws {
        let run = try await Self.vm([
            "run", "--timeout", "300", "--", "sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 7",
        ])
        #expect(run.status == 7, "expected the command's exit code 7, got \(run.status):\n\(run.output)")
        #expect(run.output.contains("to-stdout"), "stdout not streamed:\n\(run.output)")
        #expect(run.output.contains("to-stderr"), "stderr not streamed:\n\(run.output)")
    }

    @Test func vmSystemdModeBootsSystemdAndRunsAUnitToCompletion() async throws {
        let repo = Self.repoRoot.path
        let script = """
            set -e
            echo "pid1=$(cat /proc/1/comm)"
            echo "system=$(systemctl is-system-running || true)"
            systemctl --version | head -n 1
            test -x '\(repo)/scripts/vm' && echo checkout-visible
            printf '%s\\n' '[Service]' Type=oneshot RemainAfterExit=yes \
                "ExecStart=/bin/sh -c 'echo skiff-vm-unit-ran >/run/t.out'" >/etc/systemd/system/t.service
            systemctl daemon-reload
            systemctl start t.service
            systemctl show -p ActiveState,Result t.service
            cat /run/t.out
            """
        // Generous limit: the first systemd boot on a machine also builds the root disk.
        let run = try await Self.vm(["systemd", "--timeout", "1200", "--", "sh", "-c", script])
        #expect(run.status == 0, "scripts/vm systemd failed (\(run.status)):\n\(run.output)")
        let lines = Set(
            run.output.split(whereSeparator: \.isNewline).map {
                $0.trimmingCharacters(in: .whitespaces)
            })
        #expect(lines.contains("pid1=systemd"), "systemd is not PID 1:\n\(run.output)")
        #expect(
            lines.contains("system=running") || lines.contains("system=degraded"),
            "systemd did not come up:\n\(run.output)")
        #expect(lines.contains { $0.hasPrefix("systemd 2") }, "no `systemctl --version` output:\n\(run.output)")
        #expect(lines.contains("checkout-visible"), "the checkout is not at \(repo) in the guest:\n\(run.output)")
        #expect(lines.contains("ActiveState=active"), "t.service is not active:\n\(run.output)")
        #expect(lines.contains("Result=success"), "t.service did not succeed:\n\(run.output)")
        #expect(lines.contains("skiff-vm-unit-ran"), "t.service's command did not run:\n\(run.output)")
    }
}
