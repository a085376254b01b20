import Glibc

/// stdin, stdout and stderr: descriptors a process inherits instead of opening, so one may be
/// closed before it starts (`2>&-`, a supervisor that closes them). EBADF on them is the
/// environment's doing, not a bug of ours: it throws like any other failure, where on a
/// descriptor we opened the funnel traps.
public enum StandardStream: Int32, Sendable {
    case input = 0
    case output = 1
    case error = 2

    var name: String {
        switch self {
        case .input: "stdin"
        case .output: "stdout"
        case .error: "stderr"
        }
    }

    /// Reads until EOF. The corresponding C function is `read`.
    public func readAll() throws(SystemError) -> [UInt8] {
        try requireOpen(for: "read")
        return try FileSystem.readAll(fd: rawValue, name: name)
    }

    /// Writes all of `bytes`. The corresponding C function is `write`.
    public func write(_ bytes: [UInt8]) throws(SystemError) {
        try requireOpen(for: "write")
        try FileSystem.writeAll(fd: rawValue, bytes, name: name)
    }

    /// Throws `call`'s EBADF when the stream was closed before we started, as the call itself
    /// would have failed before the funnel trapped on EBADF.
    private func requireOpen(for call: String) throws(SystemError) {
        let flags = try sys("fcntl(F_GETFD)", name, allowing: [EBADF]) { fcntl(rawValue, F_GETFD) }
        if case .failed(let err) = flags { throw SystemError(call, name.quoted, errno: err) }
    }
}
