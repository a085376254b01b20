import CSkiffShim
import Glibc

/// How a process ended.
public enum ExitStatus: Equatable, Sendable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    public init(waitStatus status: Int32) {
        if status & 0x7f == 0 {
            self = .exited((status >> 8) & 0xff)
        } else {
            self = .signaled(status & 0x7f)
        }
    }

    /// The exit code a shell would report: 128 + signal for a killed process.
    public var code: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    }

    public var description: String {
        switch self {
        case .exited(let code): "exit status \(code)"
        case .signaled(let signal): "killed by signal \(signal)"
        }
    }
}

/// Starts programs with the C shim's clone+exec, never fork, so it is safe from any thread.
public enum Spawn {
    /// Starts `path` with `arguments` (argv[0] included). `keep` lists descriptors to pass on:
    /// (from, to) pairs; stdin, stdout and stderr are always inherited.
    public static func start(
        _ path: String, _ arguments: [String], environment: [String],
        keep: [(from: Int32, to: Int32)] = [], newSession: Bool = false, directory: String? = nil
    ) throws(SystemError) -> pid_t {
        var fdMap: [Int32] = []
        for pair in keep { fdMap += [pair.from, pair.to] }
        // The spawn itself is the shim's body: on EINTR (the child's exec reported it; that
        // child is already reaped) the funnel spawns again rather than re-reading a stale result.
        return try shim("execve", path.quoted) {
            withCStringArray(arguments) { argv in
                withCStringArray(environment) { envp in
                    fdMap.withUnsafeBufferPointer { map in
                        if let directory {
                            return skiff_spawn(path, argv, envp, map.baseAddress, Int32(keep.count), newSession ? 1 : 0, directory)
                        }
                        return skiff_spawn(path, argv, envp, map.baseAddress, Int32(keep.count), newSession ? 1 : 0, nil)
                    }
                }
            }
        }
    }

    /// Waits for a child to end.
    /// A pidfd for a child: readable once it exits, without reaping it.
    public static func pidfd(_ pid: pid_t) throws(SystemError) -> Int32 {
        try shim("pidfd_open", "\(pid)") { skiff_pidfd_open(pid) }
    }

    public static func wait(_ pid: pid_t) throws(SystemError) -> ExitStatus {
        var status: Int32 = 0
        try sys("waitpid", "\(pid)") { waitpid(pid, &status, 0) }
        return ExitStatus(waitStatus: status)
    }

    /// Runs a program to completion and returns its status.
    public static func run(_ path: String, _ arguments: [String], environment: [String]) throws(SystemError) -> ExitStatus {
        try wait(try start(path, arguments, environment: environment))
    }
}

/// Calls `body` with a NULL-terminated C array of the strings, freed afterwards.
public func withCStringArray<R, Failure: Error>(
    _ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) throws(Failure) -> R
) throws(Failure) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for pointer in pointers { free(pointer) } }
    return try pointers.withUnsafeBufferPointer { buffer throws(Failure) in try body(buffer.baseAddress!) }
}

/// The current process's environment as KEY=VALUE strings.
public func currentEnvironment() -> [String] {
    var result: [String] = []
    var pointer = environ
    while let entry = pointer.pointee {
        result.append(String(cString: entry))
        pointer += 1
    }
    return result
}
