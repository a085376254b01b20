import Glibc
import SkiffContainer
import SkiffOCI
import SkiffSystem

extension Commands {
    static let createFlags: [[String]] = [["bundle", "b"], ["pid-file"], ["console-socket"], ["preserve-fds"]]
    static let createSwitches: [[String]] = [["no-pivot"], ["no-new-keyring"], ["detach", "d"], ["keep"]]

    func createOptions(_ args: Arguments) throws -> Runtime.CreateOptions {
        var options = Runtime.CreateOptions(bundle: args.value("bundle") ?? ".")
        options.pidFile = args.value("pid-file")
        options.consoleSocket = args.value("console-socket")
        options.noPivot = args.flag("no-pivot")
        let preserve = try args.int("preserve-fds") ?? 0
        guard preserve >= 0 && preserve < 1024 else { throw RuntimeError("--preserve-fds must be between 0 and 1023") }
        options.preserveFDs = Int32(preserve)
        return options
    }

    func create(_ arguments: ArraySlice<String>) throws -> Int32 {
        let args = try Arguments(arguments, valued: Self.createFlags, switches: Self.createSwitches)
        try runtime.create(try args.id("create"), options: try createOptions(args))
        return 0
    }

    func start(_ arguments: ArraySlice<String>) throws -> Int32 {
        let args = try Arguments(arguments, valued: [], switches: [])
        try runtime.start(try args.id("start"))
        return 0
    }

    /// create + start, then (unless --detach) wait for the container, forwarding signals, and
    /// delete it; the exit code is the container's.
    func runContainer(_ arguments: ArraySlice<String>) throws -> Int32 {
        let args = try Arguments(arguments, valued: Self.createFlags, switches: Self.createSwitches)
        let id = try args.id("run")
        let detach = args.flag("detach")
        var options = try createOptions(args)
        var console: Foreground.Console?
        if !detach {
            Foreground.becomeSubreaper()
            if options.consoleSocket == nil {
                console = try Foreground.Console()
                options.foregroundConsole = console?.theirs
            }
        }
        // The record create returns serves start and delete too: no state.json read-backs.
        let record = try runtime.create(id, options: options)
        let master = console?.receiveMaster()
        do {
            try runtime.start(record)
        } catch {
            // start deletes the container itself when a poststart hook fails.
            if FileSystem.exists(runtime.store.directory(id)) { try? runtime.delete(record, force: true) }
            throw error
        }
        if detach { return 0 }
        let status = Foreground.wait(for: record.pid, console: master)
        if !args.flag("keep") { try runtime.delete(record, force: true) }
        return status
    }

    func state(_ arguments: ArraySlice<String>) throws -> Int32 {
        let args = try Arguments(arguments, valued: [], switches: [])
        FileSystem.standardOutput(Self.json(try runtime.state(try args.id("state"))) + "\n")
        return 0
    }

    func list(_ arguments: ArraySlice<String>) throws -> Int32 {
        let args = try Arguments(arguments, valued: [["format", "f"]], switches: [["quiet", "q"]])
        let containers = runtime.list()
        if args.flag("quiet") {
            FileSystem.standardOutput(containers.map { $0.id + "\n" }.joined())
        } else if args.value("format") == "json" {
            FileSystem.standardOutput(Self.json(containers, pretty: false) + "\n")
        } else {
            var rows = [["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]]
            for c in containers { rows.append([c.id, "\(c.pid)", c.status.rawValue, c.bundle, c.created, "root"]) }
            FileSystem.standardOutput(Table.render(rows))
        }
        return 0
    }

    func kill(_ arguments: ArraySlice<String>) throws -> Int32 {
        let args = try Arguments(arguments, valued: [], switches: [["all", "a"]])
        let id = try args.id("kill")
        let signal = try Signals.parse(args.positionals.dropFirst().first ?? "TERM")
        try runtime.kill(id, signal: signal, all: args.flag("all"))
        return 0
    }

    func delete(_ arguments: ArraySlice<String>) throws -> Int32 {
        let args = try Arguments(arguments, valued: [], switches: [["force", "f"]])
        try runtime.delete(try args.id("delete"), force: args.flag("force"))
        return 0
    }
}

/// Column-aligned output like Go's tabwriter, which `runc list` and `ps` use.
enum Table {
    static func render(_ rows: [[String]]) -> String {
        guard let columns = rows.map(\.count).max() else { return "" }
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count + 3)
            }.joined()
        }.joined(separator: "\n") + "\n"
    }
}
