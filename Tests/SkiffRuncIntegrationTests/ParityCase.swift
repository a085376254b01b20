import Foundation
import Testing

/// One configuration run under both runtimes; stdout and exit code must match, and `expect`
/// pins what they should both be, so two identical failures cannot pass.
struct ParityCase: Sendable, CustomTestStringConvertible {
    let name: String
    let edit: @Sendable (inout [String: Any], ParityContext) -> Void
    let expect: @Sendable (Harness.Result) -> Bool

    var testDescription: String { name }

    init(
        _ name: String, expect: @escaping @Sendable (Harness.Result) -> Bool,
        edit: @escaping @Sendable (inout [String: Any], ParityContext) -> Void
    ) {
        self.name = name
        self.edit = edit
        self.expect = expect
    }
}

/// Host-side fixtures a case may use, made fresh for each case and shared by both runs.
struct ParityContext: Sendable {
    let hostDirectory: String
    let networkNamespace: String
}

func stdout(_ expected: String, status: Int32 = 0) -> @Sendable (Harness.Result) -> Bool {
    { $0.stdout == expected && $0.status == status }
}

func sh(_ script: String) -> [String] { ["sh", "-c", script] }

extension ParityCase {
    static let all: [ParityCase] = [
        ParityCase("echo prints and exits 0", expect: stdout("hello\n")) { c, _ in c.setArgs(["echo", "hello"]) },
        ParityCase("exit code passes through", expect: stdout("", status: 42)) { c, _ in c.setArgs(sh("exit 42")) },
        ParityCase("env from config", expect: stdout("bar baz\n")) { c, _ in
            c.append(["process", "env"], "FOO=bar")
            c.append(["process", "env"], "QUX=baz")
            c.setArgs(sh("echo $FOO $QUX"))
        },
        ParityCase("whole environment incl. HOME", expect: { $0.stdout.contains("HOME=/root") && $0.status == 0 }) { c, _ in
            c.setArgs(sh("env | sort"))
        },
        ParityCase("cwd", expect: stdout("/tmp\n")) { c, _ in
            c.set(["process", "cwd"], "/tmp")
            c.setArgs(["pwd"])
        },
        ParityCase("user uid and gid", expect: stdout("uid=1000(user) gid=1000(user)\n")) { c, _ in
            c.set(["process", "user"], ["uid": 1000, "gid": 1000])
            c.setArgs(["id"])
        },
        ParityCase("additional gids", expect: { $0.stdout.contains("groups=") && $0.stdout.contains("100(users)") }) { c, _ in
            c.set(["process", "user"], ["uid": 1000, "gid": 1000, "additionalGids": [100, 5]])
            c.setArgs(["id"])
        },
        ParityCase("umask", expect: stdout("0077\n")) { c, _ in
            c.set(["process", "user"], ["uid": 0, "gid": 0, "umask": 63])
            c.setArgs(sh("umask"))
        },
        ParityCase("hostname", expect: stdout("skifftest\n")) { c, _ in
            c.set(["hostname"], "skifftest")
            c.setArgs(["hostname"])
        },
        ParityCase("pid namespace makes the process pid 1", expect: stdout("1\n")) { c, _ in c.setArgs(sh("echo $$")) },
        ParityCase("readonly root refuses writes", expect: stdout("1\n")) { c, _ in
            c.setArgs(sh("touch /newfile 2>/dev/null; echo $?"))
        },
        ParityCase("writable root when readonly is false", expect: stdout("0\n")) { c, _ in
            c.set(["root", "readonly"], false)
            c.setArgs(sh("touch /newfile 2>/dev/null; echo $?"))
        },
        ParityCase("read-only bind mount", expect: stdout("from host\n1\n")) { c, ctx in
            c.append(["mounts"], ["destination": "/data", "type": "bind", "source": ctx.hostDirectory, "options": ["rbind", "ro"]])
            c.setArgs(sh("cat /data/file; touch /data/x 2>/dev/null; echo $?"))
        },
        ParityCase("read-write bind mount", expect: stdout("written\n")) { c, ctx in
            c.append(["mounts"], ["destination": "/data", "type": "bind", "source": ctx.hostDirectory, "options": ["bind"]])
            c.setArgs(sh("echo written > /data/out-$(hostname) && cat /data/out-$(hostname)"))
        },
        ParityCase("tmpfs mount with options", expect: { $0.stdout.contains("tmpfs /scratch tmpfs rw,nosuid,nodev") && $0.stdout.contains("size=1024k") }) {
            c, _ in
            c.append(["mounts"], ["destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "size=1m"]])
            c.setArgs(sh("grep ' /scratch ' /proc/mounts"))
        },
        ParityCase("rlimit NOFILE", expect: stdout("512\n512\n")) { c, _ in
            c.set(["process", "rlimits"], [["type": "RLIMIT_NOFILE", "soft": 512, "hard": 512]])
            c.setArgs(sh("ulimit -n; ulimit -Hn"))
        },
        ParityCase("rlimit soft below hard", expect: stdout("100\n200\n")) { c, _ in
            c.set(["process", "rlimits"], [["type": "RLIMIT_NOFILE", "soft": 100, "hard": 200]])
            c.setArgs(sh("ulimit -n; ulimit -Hn"))
        },
        ParityCase("default capabilities", expect: { $0.stdout.contains("CapEff:\t0000000020000420") }) { c, _ in
            c.setArgs(sh("grep Cap /proc/self/status"))
        },
        ParityCase("capability drop stops chown", expect: stdout("1\n")) { c, _ in
            c.set(["root", "readonly"], false)
            c.setArgs(sh("chown 1000 /etc/hostname 2>/dev/null; echo $?"))
        },
        ParityCase("capability add allows chown", expect: stdout("0\n")) { c, _ in
            c.set(["root", "readonly"], false)
            for set in ["bounding", "effective", "permitted"] { c.append(["process", "capabilities", set], "CAP_CHOWN") }
            c.setArgs(sh("chown 1000 /etc/hostname 2>/dev/null; echo $?"))
        },
        ParityCase("no_new_privs", expect: { $0.stdout == "NoNewPrivs:\t1\n" }) { c, _ in
            c.setArgs(sh("grep NoNewPrivs /proc/self/status"))
        },
        ParityCase("seccomp denies a syscall with errnoRet", expect: stdout("1\n")) { c, _ in
            c.set(["root", "readonly"], false)
            c.set(
                ["linux", "seccomp"],
                [
                    "defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
                    "syscalls": [["names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1]],
                ])
            c.setArgs(sh("mkdir /made 2>/dev/null; echo $?"))
        },
        ParityCase("seccomp argument condition", expect: stdout("1 0\n")) { c, _ in
            c.set(
                ["linux", "seccomp"],
                [
                    "defaultAction": "SCMP_ACT_ALLOW",
                    "syscalls": [
                        [
                            "names": ["kill"], "action": "SCMP_ACT_ERRNO",
                            "args": [["index": 1, "value": 0, "op": "SCMP_CMP_EQ"]],
                        ]
                    ],
                ])
            c.setArgs(sh("kill -0 1 2>/dev/null; a=$?; kill -CONT 1; echo $a $?"))
        },
        ParityCase("pids limit stops a fork bomb", expect: stdout("2\n")) { c, _ in
            c.set(["linux", "resources", "pids"], ["limit": 10])
            c.setArgs(sh("(for i in $(seq 30); do sleep 5 & done) 2>/dev/null; echo $?"))
        },
        ParityCase("memory limit OOM-kills", expect: stdout("137\n")) { c, _ in
            c.set(["linux", "resources", "memory"], ["limit": 16 << 20, "swap": 16 << 20])
            c.setArgs(sh("dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null; echo $?"))
        },
        ParityCase("network namespace joined by path", expect: { $0.stdout.hasPrefix("net:[") && $0.status == 0 }) { c, ctx in
            c.set(
                ["linux", "namespaces"],
                [
                    ["type": "pid"], ["type": "ipc"], ["type": "uts"], ["type": "mount"],
                    ["type": "network", "path": "/var/run/netns/" + ctx.networkNamespace],
                ])
            c.setArgs(sh("readlink /proc/self/ns/net"))
        },
        ParityCase("sysctl in the container's netns", expect: stdout("1\n")) { c, _ in
            c.set(["linux", "sysctl"], ["net.ipv4.ip_forward": "1"])
            c.setArgs(sh("cat /proc/sys/net/ipv4/ip_forward"))
        },
        ParityCase("oom_score_adj", expect: stdout("500\n")) { c, _ in
            c.set(["process", "oomScoreAdj"], 500)
            c.setArgs(sh("cat /proc/self/oom_score_adj"))
        },
        ParityCase("masked paths read empty", expect: stdout("0\n")) { c, _ in c.setArgs(sh("cat /proc/kcore | wc -c")) },
        ParityCase("readonly paths refuse writes", expect: stdout("1\n")) { c, _ in
            c.setArgs(sh("echo x > /proc/sys/kernel/domainname 2>/dev/null; echo $?"))
        },
        ParityCase("default devices", expect: { $0.stdout.contains("null") && $0.stdout.contains("urandom") && $0.stdout.contains("ptmx") }) { c, _ in
            c.setArgs(sh("ls /dev"))
        },
        ParityCase("extra device from linux.devices", expect: stdout("character special file a e5 666\n")) { c, _ in
            c.set(["linux", "devices"], [["type": "c", "path": "/dev/fuse", "major": 10, "minor": 229, "fileMode": 438, "uid": 0, "gid": 0]])
            c.setArgs(sh("stat -c '%F %t %T %a' /dev/fuse"))
        },
        ParityCase("user namespace with id mappings", expect: stdout("         0     100000      65536\n0\n")) { c, _ in
            var namespaces = c.lookup(["linux", "namespaces"]) as? [Any] ?? []
            namespaces.append(["type": "user"])
            c.set(["linux", "namespaces"], namespaces)
            c.set(["linux", "uidMappings"], [["containerID": 0, "hostID": 100000, "size": 65536]])
            c.set(["linux", "gidMappings"], [["containerID": 0, "hostID": 100000, "size": 65536]])
            c.setArgs(sh("cat /proc/self/uid_map; id -u"))
        },
        ParityCase("cgroup v1 controllers visible in the container", expect: { $0.stdout.contains("memory") && $0.stdout.contains("pids") }) { c, _ in
            c.setArgs(sh("ls /sys/fs/cgroup"))
        },
    ]
}
