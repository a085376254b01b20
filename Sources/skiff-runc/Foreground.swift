import CSkiffShim
import Glibc

/// Waiting in the foreground for a container process that is not our child: as a child
/// subreaper we inherit it when the init's first stage exits, and we pass on the signals we get.
enum Foreground {
    static func becomeSubreaper() {
        _ = skiff_prctl(SKIFF_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    }

    /// Returns the exit code a shell would give (128+N for signal N).
    static func wait(for pid: pid_t) -> Int32 {
        var forwarded = sigset_t()
        sigemptyset(&forwarded)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD] { sigaddset(&forwarded, signal) }
        pthread_sigmask(SIG_BLOCK, &forwarded, nil)
        while true {
            // Reap everything that has ended: orphans of the container land here too.
            while true {
                var status: Int32 = 0
                let reaped = waitpid(-1, &status, WNOHANG)
                if reaped <= 0 { break }
                if reaped == pid {
                    return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
                }
            }
            if Glibc.kill(pid, 0) != 0 && errno == ESRCH { return 255 }
            var timeout = timespec(tv_sec: 0, tv_nsec: 50_000_000)
            var info = siginfo_t()
            let signal = sigtimedwait(&forwarded, &info, &timeout)
            if signal > 0 && signal != SIGCHLD { _ = Glibc.kill(pid, signal) }
        }
    }
}
