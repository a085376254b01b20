// skiff-monitor: the per-container monitor (CRI-O's conmon, containerd's shim). It runs the
// runtime's `create`, reports the result to the agent on fd 3, then outlives the agent: it reaps
// the container's init (as a child subreaper), copies the container's stdout and stderr into a
// CRI log file and records the exit status in STATE/exit.json.
//
//   fd 3:  "created <pid>\n" or "error <message>\n", then closed.
//   STATE: runtime.log (the runtime's JSON log), pid, monitor.pid, exit.json
//          ({"exitCode":N[,"signal":S],"startedAt":…,"finishedAt":…} or
//          {"createFailed":true,"message":…}), each written atomically.
//   exit:  0 after the container's exit was recorded, 1 when create failed, 2 for bad arguments.
//
// With --stdin or --tty it also serves attach sessions on STATE/attach (see attach.c): the
// container's stdin is a pipe it keeps open (or, with --tty, the terminal whose master the
// runtime sends over STATE/console), so input can come whenever a client attaches.
//
// Why C and not Swift: the issue asks for ≤ 1 MB RSS per monitor. Measured here (VmRSS while
// idle in poll): a Glibc-only Swift program linked with -static-executable, release, -Osize and
// --gc-sections: 3.5–3.7 MB, almost all of it file pages of the Swift runtime that start-up
// touches; the same program in C, statically linked: 0.8 MB (1.4 MB linked dynamically). So the
// monitor is a single-threaded C program with one poll loop and fixed buffers. Ship the static
// build (`swift build -c release --product skiff-monitor -Xswiftc -static-executable`: 0.76 MB
// VmRSS while monitoring a container); a debug build links libswiftCore.so and takes ~5 MB.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <skiff_shim.h>

#include "monitor.h"
#include "options.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

extern char **environ;

// After the init exits, an escaped process (one that left the pid namespace's reach) may keep
// the pipes open forever; stop reading this long after the exit.
#define DRAIN_GRACE_MS 2000

enum phase { CREATING, RUNNING, DRAINING };

static struct {
    struct options opt;
    enum phase phase;
    int result_fd;  // fd 3, the agent's pipe, until the create result is written
    int signal_fd;
    pid_t runtime_pid;
    pid_t init_pid;
    int init_pidfd;  // only when the init is not our child (see watch_init)
    int init_status;
    bool init_status_known;
    long long drain_deadline;
    char started_at[RFC3339NANO_LEN + 1];
    char finished_at[RFC3339NANO_LEN + 1];
    struct log_writer log;
    struct log_stream out, err;
    struct attach attach;
    int console_fd;  // --tty: where the runtime sends the pty master during create
    // Children reaped before we knew the init's pid (it can die the moment create returns).
    struct {
        pid_t pid;
        int status;
    } reaped[16];
    unsigned reaped_next;
} m;

static const char *state_path(char *buffer, size_t cap, const char *name) {
    struct text t = {buffer, cap, 0};
    text_add(&t, m.opt.state_dir);
    text_add(&t, "/");
    text_add(&t, name);
    return text_cstr(&t);
}

static void describe_status(struct text *t, int status) {
    if (WIFSIGNALED(status)) {
        text_add(t, "killed by signal ");
        text_add_int(t, WTERMSIG(status));
    } else {
        text_add(t, "exit status ");
        text_add_int(t, WEXITSTATUS(status));
    }
}

static void drain_and_flush(void);

// The create failed: tell the agent and leave a record of why, then exit 1.
static _Noreturn void fail_create(const char *message) {
    m.drain_deadline = monotonic_ms() + DRAIN_GRACE_MS;
    m.phase = DRAINING;
    drain_and_flush();
    if (m.result_fd >= 0) {
        char line[4200];
        struct text t = TEXT_ON(line);
        text_add(&t, "error ");
        size_t start = t.len;
        text_add(&t, message);
        // One line on the pipe, whatever the runtime's message looked like.
        for (size_t i = start; i < t.len; i++) {
            if (t.data[i] == '\n' || t.data[i] == '\r') t.data[i] = ' ';
        }
        text_add(&t, "\n");
        (void)write_all(m.result_fd, t.data, t.len);
    }
    char json[8400], path[4200];
    struct text j = TEXT_ON(json);
    text_add(&j, "{\"createFailed\":true,\"message\":");
    text_add_json(&j, message, strlen(message));
    text_add(&j, "}\n");
    (void)write_file_atomically(state_path(path, sizeof path, "exit.json"), j.data, j.len, 0644);
    _exit(1);
}

static void fail_create_errno(const char *what, int err) {
    char message[512];
    struct text t = TEXT_ON(message);
    text_add(&t, what);
    text_add(&t, ": ");
    text_add(&t, strerror(err));
    fail_create(text_cstr(&t));
}

// The init is gone: note when, and drain the pipes for at most DRAIN_GRACE_MS more.
static void init_gone(void) {
    m.init_pid = 0;
    now_rfc3339nano(m.finished_at);
    m.drain_deadline = monotonic_ms() + DRAIN_GRACE_MS;
    m.phase = DRAINING;
}

static void init_exited(int status) {
    m.init_status = status;
    m.init_status_known = true;
    init_gone();
}

static pid_t read_pid_file(void) {
    char path[4200], content[32];
    ssize_t len = read_file_tail(state_path(path, sizeof path, "pid"), content, sizeof content);
    if (len <= 0) return 0;
    char *end;
    long pid = strtol(content, &end, 10);
    return (pid > 0 && (*end == 0 || *end == '\n')) ? (pid_t)pid : 0;
}

// Runtimes reparent the init to us (we are a subreaper) when `create` exits, so waitpid sees its
// exit. Should a runtime keep it elsewhere, a pidfd still tells us when it ends, though not how.
static void watch_init(void) {
    for (unsigned i = 0; i < sizeof m.reaped / sizeof m.reaped[0]; i++) {
        if (m.reaped[i].pid == m.init_pid) {
            init_exited(m.reaped[i].status);
            return;
        }
    }
    siginfo_t info = {0};
    if (waitid(P_PID, (id_t)m.init_pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0) return;
    m.init_pidfd = (int)syscall(SYS_pidfd_open, m.init_pid, 0);
    if (m.init_pidfd < 0) init_gone();
}

// The runtime's create connected to STATE/console and sent the terminal's master before it
// returned, so both are queued by now: nothing here waits.
static void receive_terminal(void) {
    int conn = accept4(m.console_fd, NULL, NULL, SOCK_CLOEXEC);
    int master = conn >= 0 ? skiff_recv_fd(conn, 1) : -errno;
    if (conn >= 0) close(conn);
    close(m.console_fd);
    m.console_fd = -1;
    char path[4200];
    unlink(state_path(path, sizeof path, "console"));
    if (master < 0) fail_create_errno("receiving the container's terminal from the runtime", -master);
    m.out.fd = master;
    // Input and resizes go through a duplicate: the output side closes at its EOF.
    attach_set_input(&m.attach, fcntl(master, F_DUPFD_CLOEXEC, 3));
}

static void create_finished(int status) {
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char message[4096], path[4200];
        if (runtime_error_message(state_path(path, sizeof path, "runtime.log"), message, sizeof message) == 0) {
            struct text t = TEXT_ON(message);
            text_add(&t, m.opt.runtime);
            text_add(&t, " create: ");
            describe_status(&t, status);
        }
        fail_create(message);
    }
    m.init_pid = read_pid_file();
    if (m.init_pid <= 0) fail_create("the runtime's create succeeded but wrote no valid pid file");
    if (m.console_fd >= 0) receive_terminal();
    now_rfc3339nano(m.started_at);

    char path[4200], line[64];
    struct text t = TEXT_ON(line);
    text_add_int(&t, getpid());
    text_add(&t, "\n");
    (void)write_file_atomically(state_path(path, sizeof path, "monitor.pid"), t.data, t.len, 0644);
    if (m.result_fd >= 0) {
        t.len = 0;
        text_add(&t, "created ");
        text_add_int(&t, m.init_pid);
        text_add(&t, "\n");
        (void)write_all(m.result_fd, t.data, t.len);
        close(m.result_fd);
        m.result_fd = -1;
    }
    m.phase = RUNNING;
    watch_init();
}

static void reap(void) {
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        if (pid == m.runtime_pid) {
            m.runtime_pid = 0;
            create_finished(status);
        } else if (m.init_pid > 0 && pid == m.init_pid) {
            init_exited(status);
        } else {
            m.reaped[m.reaped_next % 16].pid = pid;
            m.reaped[m.reaped_next % 16].status = status;
            m.reaped_next++;
        }
    }
}

static void drain_signals(void) {
    struct signalfd_siginfo info[8];
    while (read(m.signal_fd, info, sizeof info) > 0) {}
}

// The one loop: child exits via the signalfd, output via the pipes. Returns when the init has
// exited and both pipes reached EOF, or the grace period after the exit ran out.
static void run(void) {
    for (;;) {
        struct pollfd fds[4 + 2 + ATTACH_MAX_CLIENTS];
        nfds_t n = 0;
        fds[n++] = (struct pollfd){m.signal_fd, POLLIN, 0};
        if (m.out.fd >= 0) fds[n++] = (struct pollfd){m.out.fd, POLLIN, 0};
        if (m.err.fd >= 0) fds[n++] = (struct pollfd){m.err.fd, POLLIN, 0};
        if (m.init_pidfd >= 0) fds[n++] = (struct pollfd){m.init_pidfd, POLLIN, 0};
        attach_poll_add(&m.attach, fds, &n);
        int timeout = -1;
        if (m.phase == DRAINING) {
            if (m.out.fd < 0 && m.err.fd < 0) return;
            long long left = m.drain_deadline - monotonic_ms();
            if (left <= 0) return;
            timeout = (int)left;
        }
        if (poll(fds, n, timeout) < 0) {
            if (errno == EINTR) continue;
            return;
        }
        for (nfds_t i = 0; i < n; i++) {
            if (!fds[i].revents) continue;
            int fd = fds[i].fd;
            if (fd == m.signal_fd) {
                drain_signals();
                reap();
            } else if (fd == m.out.fd) {
                log_stream_pump(&m.out, &m.log);
            } else if (fd == m.err.fd) {
                log_stream_pump(&m.err, &m.log);
            } else if (fd == m.init_pidfd) {
                close(m.init_pidfd);
                m.init_pidfd = -1;
                init_gone();
            } else {
                attach_event(&m.attach, fd, fds[i].revents);
            }
        }
    }
}

static void drain_and_flush(void) {
    run();
    log_stream_flush(&m.out, &m.log);
    log_stream_flush(&m.err, &m.log);
}

static void write_exit_record(void) {
    char json[512], path[4200];
    struct text j = TEXT_ON(json);
    if (m.init_status_known) {
        int status = m.init_status;
        int code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
        text_add(&j, "{\"exitCode\":");
        text_add_int(&j, code);
        if (WIFSIGNALED(status)) {
            text_add(&j, ",\"signal\":");
            text_add_int(&j, WTERMSIG(status));
        }
    } else {
        // Only when the init was not our child: we saw it end but not its status.
        text_add(&j, "{\"exitCode\":255,\"message\":\"exit status unknown: the init was not the monitor's child\"");
    }
    text_add(&j, ",\"startedAt\":\"");
    text_add(&j, m.started_at);
    text_add(&j, "\",\"finishedAt\":\"");
    text_add(&j, m.finished_at);
    text_add(&j, "\"}\n");
    (void)write_file_atomically(state_path(path, sizeof path, "exit.json"), j.data, j.len, 0644);
}

// Whoever started us may have left glibc's two internal real-time signals (32 and 33) ignored:
// glibc's posix_spawn does that to its children (Foundation's Process, so `swift test`), glibc's
// sigaction refuses to touch them, and an ignored signal stays ignored across exec, all the way
// into the container. So reset them with the raw system call; an all-zero kernel sigaction is
// SIG_DFL with no flags on every architecture.
static void reset_internal_signals(void) {
    unsigned long zero[4] = {0};
    for (int sig = 32; sig <= 33; sig++) syscall(SYS_rt_sigaction, sig, zero, NULL, (size_t)8);
}

// Runs `RUNTIME --root R --log STATE/runtime.log --log-format json create --bundle B
// --pid-file STATE/pid ID` with the pipes' write ends as its (and so the container's) stdout and
// stderr, and with --stdin the stdin pipe's read end as its stdin. With --tty it adds
// `--console-socket console`, relative: it runs in STATE, since the absolute path may not fit
// sun_path; the container's stdio is then the terminal and the runtime's own is /dev/null. skiff_spawn gives it default signal dispositions and an empty mask: we ignore SIGPIPE
// and block SIGCHLD, and the container must start with neither. (glibc's posix_spawn would
// leave its two internal real-time signals ignored in the child, which the container inherits.)
static int spawn_runtime(int in_read, int out_write, int err_write) {
    char log_path[4200], pid_path[4200];
    state_path(log_path, sizeof log_path, "runtime.log");
    state_path(pid_path, sizeof pid_path, "pid");
    char *argv[] = {(char *)m.opt.runtime, "--root", (char *)m.opt.runtime_root, "--log", log_path, "--log-format",
                    "json", "create", "--bundle", (char *)m.opt.bundle, "--pid-file", pid_path, (char *)m.opt.id, NULL, NULL,
                    NULL};
    if (m.opt.tty) {
        argv[12] = "--console-socket";
        argv[13] = "console";
        argv[14] = (char *)m.opt.id;
    }
    int fd_map[6];
    int pairs = 0;
    if (in_read >= 0) {
        fd_map[2 * pairs] = in_read;
        fd_map[2 * pairs++ + 1] = 0;
    }
    if (out_write >= 0) {
        fd_map[2 * pairs] = out_write;
        fd_map[2 * pairs++ + 1] = 1;
        fd_map[2 * pairs] = err_write;
        fd_map[2 * pairs++ + 1] = 2;
    }
    pid_t pid = skiff_spawn(m.opt.runtime, argv, environ, fd_map, pairs, 0, m.opt.tty ? m.opt.state_dir : NULL);
    if (pid < 0) return -pid;
    m.runtime_pid = pid;
    return 0;
}

int main(int argc, char **argv) {
    m.result_fd = fcntl(3, F_GETFD) >= 0 ? 3 : -1;
    m.init_pidfd = -1;
    m.console_fd = -1;
    m.attach.listen_fd = -1;
    m.attach.input_fd = -1;
    m.out = (struct log_stream){.fd = -1, .name = "stdout", .tap_stream = 1};
    m.err = (struct log_stream){.fd = -1, .name = "stderr", .tap_stream = 2};
    // Nothing we hold may leak into the runtime and the container: fd 3 included, or the agent
    // would wait for an EOF that only comes when the container exits.
    syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);

    char error[512];
    if (!parse_options(argc, argv, &m.opt, error, sizeof error)) {
        say(2, "skiff-monitor: ", error, "\n" USAGE);
        if (m.result_fd >= 0) say(m.result_fd, "error ", error, "\n");
        return 2;
    }
    if (getsid(0) != getpid()) (void)setsid();
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    signal(SIGPIPE, SIG_IGN);
    reset_internal_signals();
    sigset_t child;
    sigemptyset(&child);
    sigaddset(&child, SIGCHLD);
    sigprocmask(SIG_BLOCK, &child, NULL);
    m.signal_fd = signalfd(-1, &child, SFD_NONBLOCK | SFD_CLOEXEC);

    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        close(null);
    }
    if (chdir("/") < 0) {}

    // Stale files from an earlier attempt in the same state directory would be misread.
    char path[4200];
    unlink(state_path(path, sizeof path, "runtime.log"));
    unlink(state_path(path, sizeof path, "pid"));
    unlink(state_path(path, sizeof path, "exit.json"));
    if (m.signal_fd < 0) fail_create_errno("signalfd", errno);

    m.log = (struct log_writer){.path = m.opt.log_path, .max_bytes = m.opt.log_max_bytes, .max_files = m.opt.log_max_files};
    int err = log_writer_open(&m.log);
    if (err) fail_create_errno(m.opt.log_path, -err);

    // Only containers with stdin or a tty pay for attach: a socket, and a pipe or a terminal.
    int in_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
    if (m.opt.stdin_open || m.opt.tty) {
        err = attach_open(&m.attach, m.opt.state_dir, m.opt.tty, m.opt.stdin_open, m.opt.stdin_once);
        if (err) fail_create_errno("attach socket", -err);
        m.out.tap = m.err.tap = &m.attach;
    }
    if (m.opt.tty) {
        m.console_fd = listen_in_directory(m.opt.state_dir, "console", SOCK_STREAM);
        if (m.console_fd < 0) fail_create_errno("console socket", -m.console_fd);
    } else {
        if (m.opt.stdin_open && pipe2(in_pipe, O_CLOEXEC) < 0) fail_create_errno("pipe2", errno);
        if (pipe2(out_pipe, O_CLOEXEC) < 0 || pipe2(err_pipe, O_CLOEXEC) < 0) fail_create_errno("pipe2", errno);
        m.out.fd = out_pipe[0];
        m.err.fd = err_pipe[0];
    }
    err = spawn_runtime(in_pipe[0], out_pipe[1], err_pipe[1]);
    if (in_pipe[0] >= 0) close(in_pipe[0]);
    if (out_pipe[1] >= 0) close(out_pipe[1]);
    if (err_pipe[1] >= 0) close(err_pipe[1]);
    if (in_pipe[1] >= 0) attach_set_input(&m.attach, in_pipe[1]);
    if (err) fail_create_errno(m.opt.runtime, err);

    drain_and_flush();
    write_exit_record();
    return 0;
}
