import CSkiffShim
import Glibc
import SkiffSystem

/// Waiting in the foreground for a container process that is not our child: as a child
/// subreaper we inherit it when the init's first stage exits, and we pass on the signals we get.
/// With a terminal, we also carry bytes between our stdio and the container's pty, as runc does.
enum Foreground {
    static func becomeSubreaper() {
        _ = skiff_prctl(SKIFF_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    }

    /// A socket pair whose far end the init sends the pty master over, when the process asks
    /// for a terminal and the caller gave no --console-socket.
    struct Console {
        let ours: Int32
        let theirs: Int32

        init() throws {
            var pair: [Int32] = [0, 0]
            try sys("socketpair", "console") {
                socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair)
            }
            ours = pair[0]
            theirs = pair[1]
        }

        /// The pty master, if the container asked for a terminal (it was sent before `ready`).
        func receiveMaster() -> Int32? {
            closeFD(theirs)
            defer { closeFD(ours) }
            let fd = skiff_recv_fd(ours, 1)
            return fd >= 0 ? fd : nil
        }
    }

    /// Returns the exit code a shell would give (128+N for signal N).
    static func wait(for pid: pid_t, console master: Int32? = nil) -> Int32 {
        var forwarded = sigset_t()
        sigemptyset(&forwarded)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD] { sigaddset(&forwarded, signal) }
        pthread_sigmask(SIG_BLOCK, &forwarded, nil)
        var terminal = TerminalProxy(master: master)
        defer { terminal.restore() }
        while true {
            // Reap everything that has ended: orphans of the container land here too.
            while true {
                var status: Int32 = 0
                let reaped = waitpid(-1, &status, WNOHANG)
                if reaped <= 0 { break }
                if reaped == pid {
                    terminal.drain()
                    return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
                }
            }
            // ESRCH: gone without our seeing it exit (reaped by someone else). EPERM: still
            // there, just not ours to signal.
            let probe = try? sys("kill", "\(pid), 0", allowing: [ESRCH, EPERM]) { Glibc.kill(pid, 0) }
            if case .failed(ESRCH)? = probe { return 255 }
            var timeout = timespec(tv_sec: 0, tv_nsec: terminal.active ? 0 : 50_000_000)
            var info = siginfo_t()
            let signal = sigtimedwait(&forwarded, &info, &timeout)
            if signal == SIGWINCH { terminal.copyWindowSize() }
            if signal > 0 && signal != SIGCHLD { _ = Glibc.kill(pid, signal) }
            if terminal.active { terminal.pump(timeoutMilliseconds: 20) }
        }
    }
}

/// Copies stdin → pty master and master → stdout; puts a tty stdin in raw mode meanwhile.
struct TerminalProxy {
    let master: Int32?
    private var saved: termios?
    private var stdinOpen = true

    var active: Bool { master != nil }

    init(master: Int32?) {
        self.master = master
        guard master != nil, isatty(0) == 1 else { return }
        var original = termios()
        if tcgetattr(0, &original) == 0 {
            saved = original
            var raw = original
            cfmakeraw(&raw)
            tcsetattr(0, TCSANOW, &raw)
        }
        copyWindowSize()
    }

    func copyWindowSize() {
        guard let master else { return }
        var rows: UInt16 = 0
        var cols: UInt16 = 0
        if skiff_get_winsize(0, &rows, &cols) == 0 { _ = skiff_set_winsize(master, rows, cols) }
    }

    mutating func pump(timeoutMilliseconds: Int32) {
        guard let master else { return }
        var fds = [
            pollfd(fd: master, events: Int16(POLLIN), revents: 0),
            pollfd(fd: stdinOpen ? 0 : -1, events: Int16(POLLIN), revents: 0),
        ]
        guard poll(&fds, 2, timeoutMilliseconds) > 0 else { return }
        var buffer = [UInt8](repeating: 0, count: 8192)
        if fds[0].revents != 0 {
            let n = read(master, &buffer, buffer.count)
            if n > 0 { try? StandardStream.output.write(Array(buffer[0..<n])) }
        }
        if fds[1].revents != 0 {
            let n = read(0, &buffer, buffer.count)
            if n > 0 {
                try? FileSystem.writeAll(fd: master, Array(buffer[0..<n]), name: "pty")
            } else {
                stdinOpen = false
            }
        }
    }

    /// Whatever the container wrote just before it exited.
    func drain() {
        guard let master else { return }
        var buffer = [UInt8](repeating: 0, count: 8192)
        _ = fcntl(master, F_SETFL, O_NONBLOCK)
        while true {
            let n = read(master, &buffer, buffer.count)
            if n <= 0 { return }
            try? StandardStream.output.write(Array(buffer[0..<n]))
        }
    }

    func restore() {
        if var saved { tcsetattr(0, TCSANOW, &saved) }
        if let master { closeFD(master) }
    }
}
