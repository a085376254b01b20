import Foundation
import Testing

/// `systemd/install.sh` and the units, end to end in the systemd VM (`scripts/vm systemd`):
/// the real `skiff` binary runs as a `Type=notify` service, so these also prove the sd_notify
/// handshake (without READY=1, `systemctl start` of such a unit hangs and then fails).
///
/// The binaries come from `$SKIFF_BIN_DIR`, else `<repo>/.build-runc/release` — the fully
/// static release build, because the VM's minimal Debian root has no libsqlite3 and no Swift
/// runtime. Build them with `scripts/build-static`.
///
/// Each test copies what it needs (and the host's kubectl) into a temp dir shared with
/// the guest; install.sh copies the binaries off that 9p share to /usr/local/bin.
@Suite("systemd units and install.sh (systemd VM)", .serialized)
struct SystemdServiceVMTests {
    static let binDirectory: URL =
        ProcessInfo.processInfo.environment["SKIFF_BIN_DIR"].map { URL(fileURLWithPath: $0) }
        ?? VMTests.repoRoot.appendingPathComponent(".build-runc/release")

    @Test("install.sh --server-only: skiff-server reaches active/running via READY=1, serves kubectl, survives a restart, and --uninstall keeps /var/lib/skiff")
    func serverUnitLifecycle() async throws {
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
        let run = try await VMTests.vm(["systemd", "--timeout", "900", "--share", shared.path, "--", "bash", "-c", script])
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
        "install.sh (server + agent): skiff-agent reaches active via READY=1, and its pod keeps running, same process and container, through `systemctl restart`, `stop` and `start` of the agent"
    )
    func agentRestartKeepsPodsRunning() async throws {
        let shared = try Self.sharedDirectory(binaries: ["skiff", "skiff-runc", "skiff-monitor"])
        defer { try? FileManager.default.removeItem(at: shared) }
        // The busybox image as an OCI layout tarball (there is no registry in the VM).
        let build = try Self.runOnHost(
            VMTests.repoRoot.appendingPathComponent("rootfs/build.sh").path, [shared.appendingPathComponent("images").path])
        try #require(build.status == 0, "rootfs/build.sh failed:\n\(build.output)")
        let install = VMTests.repoRoot.appendingPathComponent("systemd/install.sh").path
        // Every check prints `key=value`; the Swift side compares them, so a failure shows the
        // whole transcript. The pod's status line is compared verbatim across the agent's restarts.
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
                echo none
            }
            # pid plus its start time (field 22 of stat): a recycled pid would not match.
            pod_process() { p=$(pod_pid); echo "$p@$(cut -d' ' -f22 "/proc/$p/stat" 2>/dev/null || echo gone)"; }
            status() {
                kubectl get pod sleeper -o jsonpath='{.status.phase} ip={.status.podIP} restarts={.status.containerStatuses[0].restartCount} startedAt={.status.containerStatuses[0].state.running.startedAt} id={.status.containerStatuses[0].containerID}'
            }
            wait_running() {
                s=
                for _ in $(seq 1 150); do
                    s=$(status 2>/dev/null || true)
                    case "$s" in Running*) break ;; esac
                    sleep 1
                done
                echo "$s"
            }
            unit_processes() {
                for p in $(cat /sys/fs/cgroup/system.slice/skiff-agent.service/cgroup.procs); do tr '\\0' ' ' <"/proc/$p/cmdline" | cut -d' ' -f1; done | sort | tr '\\n' ' '
            }
            '\(install)' "$bin"
            echo "units=server:$(state skiff-server) agent:$(state skiff-agent)"
            systemctl show -p Type -p NotifyAccess -p StatusText -p Delegate -p KillMode skiff-agent | sed 's/^/agent-/'
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
            echo "initial-status=$(wait_running)"
            echo "initial-process=$(pod_process)"
            # The bridge plugin no longer masquerades per pod (iptables-nft in the guest): the
            # pod network's nft table does, sparing traffic between nodes' pods.
            echo "nat-rules=$(iptables -t nat -S POSTROUTING | grep -c -- '-j CNI-' || true)"
            main=$(systemctl show -p MainPID --value skiff-agent)

            systemctl restart skiff-agent
            echo "restart-agent=$(state skiff-agent)"
            [ "$(systemctl show -p MainPID --value skiff-agent)" != "$main" ] && echo restart-new-agent-pid
            echo "restart-process=$(pod_process)"
            # Give the new agent time to resync and (wrongly) touch the pod before looking.
            sleep 5
            echo "restart-status=$(wait_running)"

            systemctl stop skiff-agent
            echo "stop-agent=$(state skiff-agent)"
            sleep 3
            echo "stop-process=$(pod_process)"
            echo "stop-unit-processes=$(unit_processes)"

            systemctl start skiff-agent
            echo "start-agent=$(state skiff-agent)"
            echo "start-process=$(pod_process)"
            sleep 5
            echo "start-status=$(wait_running)"
            # A limits-only (Guaranteed) pod: here root has CAP_SYS_RESOURCE, so the kubelet's -997 holds.
            kubectl apply -f - <<'POD'
            apiVersion: v1
            kind: Pod
            metadata: {name: steady, namespace: default}
            spec:
              containers:
              - name: sleep
                image: busybox:latest
                command: ["sleep", "31536002"]
                resources: {limits: {memory: 64Mi, cpu: 500m}}
            POD
            for _ in $(seq 1 120); do
                [ "$(kubectl get pod steady -o jsonpath='{.status.phase}' 2>/dev/null)" = Running ] && break
                sleep 1
            done
            echo "guaranteed-qos=$(kubectl get pod steady -o jsonpath='{.status.qosClass}')"
            for p in /proc/[0-9]*; do
                [ "$(tr '\\0' ' ' <"$p/cmdline" 2>/dev/null)" = "sleep 31536002 " ] && echo "guaranteed-oom-score-adj=$(cat "$p/oom_score_adj")"
            done
            echo "readopted=$(journalctl -u skiff-agent --no-pager -o cat | grep -c 're-adopted pod' || true)"
            echo "journal:"; journalctl -u skiff-agent --no-pager -o cat | tail -n 25
            """
        let run = try await VMTests.vm(["systemd", "--timeout", "1200", "--mem", "2048", "--share", shared.path, "--", "bash", "-c", script])
        let lines = Self.lines(run.output)
        func value(_ key: String) -> String? {
            lines.first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
        }
        #expect(run.status == 0, "the script failed in the VM (\(run.status)):\n\(run.output)")
        #expect(value("units") == "server:active/running agent:active/running", "the units did not both come up:\n\(run.output)")
        // Type=notify and active/running together: systemctl start returned because READY=1 arrived.
        #expect(value("agent-Type") == "notify", "skiff-agent is not Type=notify:\n\(run.output)")
        #expect(value("agent-NotifyAccess") == "main", "NotifyAccess is not main:\n\(run.output)")
        #expect(value("agent-StatusText") == "node registered; running pods", "the agent's STATUS= did not reach systemd:\n\(run.output)")
        #expect(value("agent-Delegate") == "yes", "Delegate=yes missing:\n\(run.output)")
        #expect(value("agent-KillMode") == "process", "KillMode=process missing:\n\(run.output)")

        let initial = try #require(value("initial-status"), "no pod status:\n\(run.output)")
        #expect(initial.hasPrefix("Running ip=10.42."), "the pod did not reach Running with a pod-network IP:\n\(run.output)")
        #expect(initial.contains(" restarts=0 startedAt=20"), "restartCount/startedAt wrong:\n\(run.output)")
        #expect(initial.contains(" id=skiff://"), "no container id:\n\(run.output)")
        let process = try #require(value("initial-process"), "no pod process:\n\(run.output)")
        #expect(!process.hasPrefix("none") && !process.hasSuffix("@gone"), "the pod's process was not found:\n\(run.output)")
        #expect(value("nat-rules") == "0", "the bridge plugin still masquerades the pod (ipMasq):\n\(run.output)")

        #expect(value("restart-agent") == "active/running", "skiff-agent did not come back after restart:\n\(run.output)")
        #expect(lines.contains("restart-new-agent-pid"), "restart did not start a new agent process:\n\(run.output)")
        #expect(value("restart-process") == process, "the pod's process changed across the agent's restart:\n\(run.output)")
        #expect(value("restart-status") == initial, "the pod's status changed across the agent's restart (restarted container?):\n\(run.output)")

        #expect(value("stop-agent") == "inactive/dead", "skiff-agent did not stop:\n\(run.output)")
        #expect(value("stop-process") == process, "stopping the agent took the pod's process down:\n\(run.output)")
        #expect(
            value("stop-unit-processes") == "/usr/local/bin/skiff-monitor",
            "only the pod's skiff-monitor should remain in the stopped unit's cgroup:\n\(run.output)")

        #expect(value("start-agent") == "active/running", "skiff-agent did not start again:\n\(run.output)")
        #expect(value("start-process") == process, "the pod's process changed when the agent started again:\n\(run.output)")
        #expect(value("start-status") == initial, "the pod's status changed when the agent started again:\n\(run.output)")
        #expect(value("guaranteed-qos") == "Guaranteed", "the limits-only pod is not Guaranteed:\n\(run.output)")
        #expect(value("guaranteed-oom-score-adj") == "-997", "a Guaranteed pod gets -997 where root has CAP_SYS_RESOURCE:\n\(run.output)")
        #expect(value("readopted") == "2", "each new agent should log that it re-adopted the pod:\n\(run.output)")
    }

    /// A fresh host temp dir holding bin/ with the given Skiff binaries and kubectl.
    static func sharedDirectory(binaries: [String]) throws -> URL {
        let fileManager = FileManager.default
        for name in binaries {
            let path = binDirectory.appendingPathComponent(name).path
            try #require(
                fileManager.isExecutableFile(atPath: path),
                """
                \(path) is missing: build it with `scripts/build-static \(name)` or point SKIFF_BIN_DIR at a \
                directory holding it
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
        let data = VMTests.readToEnd(pipe.fileHandleForReading)
        try? pipe.fileHandleForReading.close()
        process.waitUntilExit()
        return VMTests.Run(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }

    static func lines(_ output: String) -> [String] {
        output.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
