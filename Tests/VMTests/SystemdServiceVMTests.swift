import Foundation
import Testing

/// `systemd/install.sh` and the units, end to end in the systemd VM (`scripts/vm systemd`):
/// the real `skiff` binary runs as a `Type=notify` service, so these also prove the sd_notify
/// handshake (without READY=1, `systemctl start` of such a unit hangs and then fails).
///
/// The binaries come from `$SKIFF_BIN_DIR`, else `<repo>/.build-runc/release` — the fully
/// static release build, because the VM's minimal Debian root has no libsqlite3 and no Swift
/// runtime. Build them with:
///
///     swift build -c release --product skiff --scratch-path .build-runc -Xswiftc -static-executable
///     swift build -c release --product skiff-runc --scratch-path .build-runc -Xswiftc -static-executable
///     swift build -c release --product skiff-monitor --scratch-path .build-runc -Xswiftc -static-executable
///
/// Each test copies what it needs (and the host's static kubectl) into a temp dir shared with
/// the guest; install.sh copies the binaries off that 9p share to /usr/local/bin.
@Suite("systemd units and install.sh (systemd VM)", .serialized)
struct SystemdServiceVMTests {
    static let binDirectory: URL = ProcessInfo.processInfo.environment["SKIFF_BIN_DIR"].map { URL(fileURLWithPath: $0) }
        ?? VMTests.repoRoot.appendingPathComponent(".build-runc/release")

    @Test("install.sh --server-only: skiff-server reaches active/running via READY=1, serves kubectl, survives a restart, and --uninstall keeps /var/lib/skiff")
    func serverUnitLifecycle() throws {
        let shared = try Self.sharedDirectory(binaries: ["skiff"])
        defer { try? FileManager.default.removeItem(at: shared) }
        let install = VMTests.repoRoot.appendingPathComponent("systemd/install.sh").path
        let script = """
            set -eu
            bin='\(shared.path)/bin'
            kubectl() { "$bin/kubectl" --kubeconfig /var/lib/skiff/server/admin.kubeconfig --request-timeout=60s "$@"; }
            state() { echo "$(systemctl show -p ActiveState --value "$1")/$(systemctl show -p SubState --value "$1")"; }
            '\(install)' --server-only "$bin"
            echo "after-install=$(state skiff-server)"
            echo "status-text=$(systemctl show -p StatusText --value skiff-server)"
            echo "namespaces=$(kubectl get ns -o name | sort | tr '\\n' ' ')"
            before=$(systemctl show -p MainPID --value skiff-server)
            '\(install)' --server-only "$bin" | sed 's/^/again: /'
            test "$(systemctl show -p MainPID --value skiff-server)" = "$before" && echo reinstall-kept-running-server
            systemctl restart skiff-server
            echo "after-restart=$(state skiff-server)"
            test "$(systemctl show -p MainPID --value skiff-server)" != "$before" && echo restart-new-pid
            echo "after-restart-namespaces=$(kubectl get ns -o name | sort | tr '\\n' ' ')"
            '\(install)' --uninstall --server-only
            echo "after-uninstall=$(systemctl show -p LoadState --value skiff-server)"
            test -e /var/lib/skiff/server/state.db && echo data-kept
            test -e /var/lib/skiff/server/admin.kubeconfig && echo kubeconfig-kept
            test ! -e /usr/local/bin/skiff && echo binary-removed
            test ! -e /etc/systemd/system/skiff-server.service && echo unit-removed
            echo "journal:"; journalctl -u skiff-server --no-pager -o cat | tail -n 15
            """
        let run = try VMTests.vm(["systemd", "--timeout", "900", "--share", shared.path, "--", "bash", "-c", script])
        let lines = Self.lines(run.output)
        #expect(run.status == 0, "the script failed in the VM (\(run.status)):\n\(run.output)")
        #expect(lines.contains("after-install=active/running"), "skiff-server did not reach active/running:\n\(run.output)")
        #expect(
            lines.contains { $0.hasPrefix("status-text=serving the Kubernetes API") },
            "the STATUS= sent with READY=1 did not reach systemd:\n\(run.output)")
        #expect(
            lines.contains { $0.hasPrefix("namespaces=") && $0.contains("namespace/default") && $0.contains("namespace/kube-system") },
            "kubectl get ns did not list default and kube-system:\n\(run.output)")
        #expect(lines.contains("again: install.sh: /usr/local/bin/skiff is up to date"), "reinstall was not idempotent:\n\(run.output)")
        #expect(lines.contains("reinstall-kept-running-server"), "an unchanged reinstall restarted the server:\n\(run.output)")
        #expect(lines.contains("after-restart=active/running"), "skiff-server did not come back after restart:\n\(run.output)")
        #expect(lines.contains("restart-new-pid"), "restart did not start a new server process:\n\(run.output)")
        #expect(
            lines.contains { $0.hasPrefix("after-restart-namespaces=") && $0.contains("namespace/default") },
            "kubectl failed after the restart:\n\(run.output)")
        #expect(lines.contains("after-uninstall=not-found"), "the unit is still loaded after --uninstall:\n\(run.output)")
        for marker in ["data-kept", "kubeconfig-kept", "binary-removed", "unit-removed"] {
            #expect(lines.contains(marker), "\(marker) missing after --uninstall:\n\(run.output)")
        }
    }

    @Test(
        "install.sh (server + agent): a pod keeps running, same pid, through `systemctl restart skiff-agent` and `systemctl stop skiff-agent`",
        .disabled("the systemd VM root disk has no CNI plugins, iptables or kubectl yet, which the agent needs; issue 5 tracks enabling this"))
    func agentRestartKeepsPodsRunning() throws {
        let shared = try Self.sharedDirectory(binaries: ["skiff", "skiff-runc", "skiff-monitor"])
        defer { try? FileManager.default.removeItem(at: shared) }
        // The busybox image as an OCI layout tarball (there is no registry in the VM).
        let build = try Self.runOnHost(
            VMTests.repoRoot.appendingPathComponent("rootfs/build.sh").path, [shared.appendingPathComponent("images").path])
        try #require(build.status == 0, "rootfs/build.sh failed:\n\(build.output)")
        let install = VMTests.repoRoot.appendingPathComponent("systemd/install.sh").path
        let script = """
            set -eu
            shared='\(shared.path)'
            bin=$shared/bin
            kubectl() { "$bin/kubectl" --kubeconfig /var/lib/skiff/server/admin.kubeconfig --request-timeout=60s "$@"; }
            state() { echo "$(systemctl show -p ActiveState --value "$1")/$(systemctl show -p SubState --value "$1")"; }
            # The pod's process, found by its unusual argument (minbase has no pgrep).
            pod_pid() {
                for p in /proc/[0-9]*; do
                    [ "$(tr '\\0' ' ' <"$p/cmdline" 2>/dev/null)" = "sleep 31536001 " ] && { echo "${p#/proc/}"; return 0; }
                done
                return 1
            }
            phase() { kubectl get pod sleeper -o jsonpath='{.status.phase}'; }
            wait_phase() { for _ in $(seq 1 120); do [ "$(phase)" = "$1" ] && return 0; sleep 1; done; return 1; }
            '\(install)' "$bin"
            echo "server=$(state skiff-server) agent=$(state skiff-agent)"
            # LEAD: adjust to the final image import command of `skiff image`.
            /usr/local/bin/skiff image import --data-dir /var/lib/skiff/agent "$shared/images/busybox.oci.tar"
            kubectl apply -f - <<'POD'
            apiVersion: v1
            kind: Pod
            metadata: {name: sleeper, namespace: default}
            spec:
              containers:
              - name: sleep
                image: busybox:latest
                command: ["sleep", "31536001"]
            POD
            wait_phase Running && echo pod-running
            pid=$(pod_pid); echo "pod-pid=$pid"
            systemctl restart skiff-agent
            echo "agent-after-restart=$(state skiff-agent)"
            [ "$(pod_pid)" = "$pid" ] && echo same-pid-after-restart
            wait_phase Running && echo pod-running-after-restart
            systemctl stop skiff-agent
            echo "agent-after-stop=$(systemctl show -p ActiveState --value skiff-agent)"
            [ "$(pod_pid)" = "$pid" ] && echo same-pid-after-stop
            systemctl start skiff-agent
            echo "agent-after-start=$(state skiff-agent)"
            [ "$(pod_pid)" = "$pid" ] && echo same-pid-after-start
            wait_phase Running && echo pod-running-after-start
            echo "journal:"; journalctl -u skiff-agent --no-pager -o cat | tail -n 20
            """
        let run = try VMTests.vm(["systemd", "--timeout", "1200", "--mem", "2048", "--share", shared.path, "--", "bash", "-c", script])
        let lines = Self.lines(run.output)
        #expect(run.status == 0, "the script failed in the VM (\(run.status)):\n\(run.output)")
        #expect(lines.contains("server=active/running agent=active/running"), "the units did not both come up:\n\(run.output)")
        for marker in [
            "pod-running", "agent-after-restart=active/running", "same-pid-after-restart", "pod-running-after-restart",
            "agent-after-stop=inactive", "same-pid-after-stop", "agent-after-start=active/running", "same-pid-after-start",
            "pod-running-after-start",
        ] {
            #expect(lines.contains(marker), "\(marker) missing:\n\(run.output)")
        }
    }

    /// A fresh host temp dir holding bin/ with the given Skiff binaries and kubectl.
    static func sharedDirectory(binaries: [String]) throws -> URL {
        let fileManager = FileManager.default
        for name in binaries {
            let path = binDirectory.appendingPathComponent(name).path
            try #require(
                fileManager.isExecutableFile(atPath: path),
                """
                \(path) is missing: build it with `swift build -c release --product \(name) --scratch-path .build-runc \
                -Xswiftc -static-executable` or point SKIFF_BIN_DIR at a directory holding it
                """)
        }
        let kubectl = try #require(
            ["/usr/local/bin/kubectl", "/usr/bin/kubectl"].first { fileManager.isExecutableFile(atPath: $0) },
            "kubectl is not installed (the tests drive the server with it)")
        let shared = fileManager.temporaryDirectory.appendingPathComponent("skiff-systemd-vm-\(UUID().uuidString.prefix(8))")
        let bin = shared.appendingPathComponent("bin")
        try fileManager.createDirectory(at: bin, withIntermediateDirectories: true)
        do {
            for name in binaries {
                try fileManager.copyItem(at: binDirectory.appendingPathComponent(name), to: bin.appendingPathComponent(name))
            }
            // kubectl is often a symlink (google-cloud-sdk); copy the file it points to.
            try fileManager.copyItem(
                at: URL(fileURLWithPath: kubectl).resolvingSymlinksInPath(), to: bin.appendingPathComponent("kubectl"))
        } catch {
            try? fileManager.removeItem(at: shared)
            throw error
        }
        return shared
    }

    /// Runs a host program to completion, stdout and stderr together.
    static func runOnHost(_ path: String, _ arguments: [String]) throws -> VMTests.Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return VMTests.Run(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    static func lines(_ output: String) -> [String] {
        output.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
