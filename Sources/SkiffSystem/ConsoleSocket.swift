import CSkiffShim
import Glibc

/// The receiving end of an OCI runtime's `--console-socket`: a listening AF_UNIX stream socket
/// at a path, to which the runtime connects and sends the pty master of a `terminal: true`
/// process with SCM_RIGHTS.
public final class ConsoleSocket {
    public let path: String
    private let fd: Int32

    public init(path: String) throws(SystemError) {
        guard let address = UnixSocketAddress(path) else { throw SystemError("bind", path, errno: ENAMETOOLONG) }
        let fd = try sys("socket", "AF_UNIX, SOCK_STREAM") {
            socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        do throws(SystemError) {
            try sys("bind", path) { address.withSockaddr { bind(fd, $0, $1) } }
            try sys("listen", path) { listen(fd, 1) }
        } catch {
            closeFD(fd)
            throw error
        }
        self.path = path
        self.fd = fd
    }

    deinit {
        closeFD(fd)
        unlink(path)
    }

    /// Waits up to `timeoutMilliseconds` for the runtime to connect and send the pty master.
    /// `giveUpWhenReadable` (a pidfd of the runtime) ends the wait as soon as the runtime exits
    /// without connecting; that throws `ECHILD`, and the runtime's stderr says why.
    public func receiveMaster(timeoutMilliseconds: Int32, giveUpWhenReadable other: Int32) throws(SystemError) -> Int32 {
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: other, events: Int16(POLLIN), revents: 0)]
        let count = try sys("poll", path) { poll(&fds, 2, timeoutMilliseconds) }
        guard count > 0 else { throw SystemError("accept", path, errno: ETIMEDOUT) }
        guard fds[0].revents & Int16(POLLIN) != 0 else { throw SystemError("accept", path, errno: ECHILD) }
        // Spawn passes children only the descriptors it is given, so this short-lived one
        // needs no close-on-exec (Glibc's module does not export accept4).
        let connection = try sys("accept", path) { accept(fd, nil, nil) }
        defer { closeFD(connection) }
        return try shim("recvmsg(SCM_RIGHTS)", path) { skiff_recv_fd(connection, 0) }
    }
}

/// Sets a terminal's window size (`TIOCSWINSZ`), which also signals SIGWINCH to its foreground group.
public func setWindowSize(fd: Int32, rows: UInt16, columns: UInt16) throws(SystemError) {
    try shim("ioctl(TIOCSWINSZ)", "\(rows)x\(columns)") { skiff_set_winsize(fd, rows, columns) }
}
