import Glibc
import SkiffContainer
import SkiffSystem

// skiff-runc: an OCI runtime with runc's command line.
// `init` is the re-executed container init and must stay first and cheap.
let argv = CommandLine.arguments
if argv.count > 1, argv[1] == "init", let fd = getenv("_SKIFF_INIT_SYNC").flatMap({ Int32(String(cString: $0)) }) {
    InitProcess.main(syncFD: fd)
}

// A write to a container init that died must fail with EPIPE, not kill us before we clean up.
signal(SIGPIPE, SIG_IGN)
var log = Log()
do {
    let global = try Arguments(
        argv.dropFirst(),
        valued: [["root"], ["log"], ["log-format"], ["criu"], ["rootless"]],
        switches: [["systemd-cgroup"], ["debug"], ["help", "h"], ["version", "v"]])
    log.debug = global.flag("debug")
    switch global.value("log-format") ?? "text" {
    case "json": log.json = true
    case "text", "": log.json = false
    case let other: throw RuntimeError("invalid log-format: \(other)")
    }
    if let file = global.value("log"), !file.isEmpty { try log.open(file) }
    if global.flag("version") {
        FileSystem.standardOutput("skiff-runc version \(Commands.version)\nspec: \(Commands.specVersion)\n")
        exit(0)
    }
    guard let verb = global.positionals.first, !global.flag("help") else {
        FileSystem.standardOutput(Commands.usage)
        exit(global.flag("help") ? 0 : 1)
    }
    let runtime = Runtime(root: global.value("root") ?? "/run/skiff-runc", systemdCgroup: global.flag("systemd-cgroup"))
    let rest = global.positionals.dropFirst()
    log.debugLine("\(verb) \(rest.joined(separator: " "))")
    exit(try Commands(runtime: runtime, log: log).run(verb, rest))
} catch {
    log.error("\(error)")
    exit(1)
}
