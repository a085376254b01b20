import Glibc
import SkiffContainer
import SkiffJSON
import SkiffOCI
import SkiffSystem

/// One method per verb; each returns the process's exit code.
struct Commands {
    static let version = "0.1.0"
    static let specVersion = RuntimeSpec.version
    static let usage = """
        skiff-runc: an OCI container runtime with runc's command line

        usage: skiff-runc [--root DIR] [--log FILE] [--log-format text|json] [--systemd-cgroup] [--debug] COMMAND

        commands:
          spec      write a default config.json          create    create a container
          start     run a created container's process    run       create, start and wait
          state     print a container's state (JSON)     list      list containers
          kill      signal a container                   delete    remove a container
          exec      run a process in a container         ps        list a container's processes
          pause     freeze a container                   resume    thaw a container
          update    change resource limits               events    stats and OOM events
          features  what this runtime supports

        """

    let runtime: Runtime
    let log: Log

    func run(_ verb: String, _ arguments: ArraySlice<String>) throws -> Int32 {
        switch verb {
        case "spec": return try spec(arguments)
        case "create": return try create(arguments)
        case "start": return try start(arguments)
        case "run": return try runContainer(arguments)
        case "state": return try state(arguments)
        case "list": return try list(arguments)
        case "kill": return try kill(arguments)
        case "delete": return try delete(arguments)
        case "exec": return try exec(arguments)
        case "ps": return try ps(arguments)
        case "pause": return try pause(arguments)
        case "resume": return try resume(arguments)
        case "update": return try update(arguments)
        case "events": return try events(arguments)
        case "features": return try features(arguments)
        default: throw RuntimeError("unknown command \(verb.quoted) (run skiff-runc --help)")
        }
    }

    static func json(_ value: some JSONEncodable, pretty: Bool = true) -> String {
        pretty ? value.json.prettyPrinted : value.json.serialized
    }
}
