#define _GNU_SOURCE
#include "skiff_shim.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pty.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <linux/close_range.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

const int SKIFF_CLONE_NEWNS = CLONE_NEWNS, SKIFF_CLONE_NEWUTS = CLONE_NEWUTS,
          SKIFF_CLONE_NEWIPC = CLONE_NEWIPC, SKIFF_CLONE_NEWUSER = CLONE_NEWUSER,
          SKIFF_CLONE_NEWPID = CLONE_NEWPID, SKIFF_CLONE_NEWNET = CLONE_NEWNET,
          SKIFF_CLONE_NEWCGROUP = CLONE_NEWCGROUP, SKIFF_CLONE_NEWTIME = 0x00000080;

#define RET(expr) return (expr) < 0 ? -errno : 0

struct spawn_args {
    const char *path;
    char *const *argv;
    char *const *envp;
    const int *fd_map;
    int fd_map_pairs;
    int new_session;
    const char *cwd;
    int err_pipe;
};

// Runs in the clone child: only async-signal-safe calls from here to execve.
static int spawn_child(void *raw) {
    struct spawn_args *a = raw;
    // Handlers still point into the parent's memory: reset them while every signal is blocked,
    // then give the new program a clean mask.
    for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (a->new_session) setsid();
    // Pass on only what was asked for: every other descriptor a multithreaded parent holds
    // (another thread's pipes, say) would otherwise leak into the program and keep its peers
    // waiting for EOF. The fd_map loop below clears close-on-exec on the ones to keep.
    syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
    // Move sources out of the way of targets first so a later dup2 cannot clobber an earlier source.
    int moved[128];
    int n = a->fd_map_pairs < 64 ? a->fd_map_pairs : 64;
    for (int i = 0; i < n; i++) {
        int from = a->fd_map[2 * i];
        moved[i] = from == a->fd_map[2 * i + 1] ? from : fcntl(from, F_DUPFD_CLOEXEC, 256);
        if (moved[i] < 0) goto fail;
    }
    for (int i = 0; i < n; i++) {
        int to = a->fd_map[2 * i + 1];
        if (moved[i] == to) {
            int flags = fcntl(to, F_GETFD);
            if (flags < 0 || fcntl(to, F_SETFD, flags & ~FD_CLOEXEC) < 0) goto fail;
        } else if (dup2(moved[i], to) < 0) {
            goto fail;
        }
    }
    if (a->cwd && chdir(a->cwd) < 0) goto fail;
    execve(a->path, a->argv, a->envp);
fail:;
    int err = errno;
    (void)!write(a->err_pipe, &err, sizeof err);
    _exit(127);
}

pid_t skiff_spawn(const char *path, char *const argv[], char *const envp[], const int *fd_map,
                  int fd_map_pairs, int new_session, const char *cwd) {
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0) return -errno;
    const size_t stack_size = 256 * 1024;
    // A stack per call: a shared static stack would race between threads spawning at once.
    void *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) {
        int err = errno;
        close(pipefd[0]);
        close(pipefd[1]);
        return -err;
    }
    struct spawn_args a = {path, argv, envp, fd_map, fd_map_pairs, new_session, cwd, pipefd[1]};
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    // CLONE_VM|CLONE_VFORK: the child borrows our memory and we sleep until it execs or exits,
    // which keeps spawning cheap and makes the stack safe to unmap afterwards.
    pid_t pid = clone(spawn_child, (char *)stack + stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
    int clone_err = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    munmap(stack, stack_size);
    close(pipefd[1]);
    if (pid < 0) {
        close(pipefd[0]);
        return -clone_err;
    }
    int child_err = 0;
    ssize_t got;
    do { got = read(pipefd[0], &child_err, sizeof child_err); } while (got < 0 && errno == EINTR);
    close(pipefd[0]);
    if (got == sizeof child_err) {
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        return -child_err;
    }
    return pid;
}

pid_t skiff_fork(void) {
    pid_t pid = fork();
    return pid < 0 ? -errno : pid;
}

int skiff_setns(int fd, int nstype) { RET(setns(fd, nstype)); }

struct netns_connect_args {
    int netns_fd;
    const struct sockaddr *address;
    socklen_t address_length;
    int timeout_ms;
    int result;  // the connected socket, or -errno
};

// Runs in the clone child: setns(CLONE_NEWNET) changes only this (single-threaded) process, never
// the parent's threads; the socket lands in the shared descriptor table.
static int netns_connect_child(void *raw) {
    struct netns_connect_args *a = raw;
    if (a->netns_fd >= 0 && setns(a->netns_fd, CLONE_NEWNET) < 0) {
        a->result = -errno;
        _exit(1);
    }
    int fd = socket(a->address->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        a->result = -errno;
        _exit(1);
    }
    // connect(2) honours the send timeout; a loopback connect answers at once anyway.
    struct timeval timeout = {a->timeout_ms / 1000, (a->timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    int rc;
    do { rc = connect(fd, a->address, a->address_length); } while (rc < 0 && errno == EINTR);
    if (rc < 0) {
        a->result = -errno;
        close(fd);
        _exit(1);
    }
    struct timeval none = {0, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof none);
    a->result = fd;
    _exit(0);
}

int skiff_connect_in_netns(int netns_fd, const struct sockaddr *address, unsigned int address_length,
                           int timeout_ms) {
    const size_t stack_size = 64 * 1024;
    void *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) return -errno;
    struct netns_connect_args a = {netns_fd, address, address_length, timeout_ms, -EIO};
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    // CLONE_VFORK: we sleep until the child exits, so `a` and the stack outlive it;
    // CLONE_FILES: its socket is ours. The child runs with every signal blocked, as inherited.
    pid_t pid = clone(netns_connect_child, (char *)stack + stack_size, CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, &a);
    int clone_err = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    munmap(stack, stack_size);
    if (pid < 0) return -clone_err;
    int status;
    // ECHILD only if someone else reaped it: the result is in `a` either way.
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    return a.result;
}
int skiff_unshare(int flags) { RET(unshare(flags)); }
int skiff_pivot_root(const char *new_root, const char *put_old) { RET(syscall(SYS_pivot_root, new_root, put_old)); }
int skiff_prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5) {
    int r = prctl(option, a2, a3, a4, a5);
    return r < 0 ? -errno : r;
}
int skiff_setresuid(uid_t r, uid_t e, uid_t s) { RET(syscall(SYS_setresuid, r, e, s)); }
int skiff_setresgid(gid_t r, gid_t e, gid_t s) { RET(syscall(SYS_setresgid, r, e, s)); }
int skiff_prlimit(pid_t pid, int resource, unsigned long long soft, unsigned long long hard) {
    struct rlimit64 limit = {soft, hard};
    RET(prlimit64(pid, resource, &limit, NULL));
}
int skiff_mknod(const char *path, mode_t mode, unsigned int major, unsigned int minor) {
    RET(mknod(path, mode, makedev(major, minor)));
}
int skiff_close_range_from(unsigned int first) { RET(syscall(SYS_close_range, first, ~0U, 0)); }
int skiff_set_controlling_tty(int fd) { RET(ioctl(fd, TIOCSCTTY, 0)); }

int skiff_openpt(char *slave_name, size_t len) {
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) return -errno;
    if (grantpt(master) < 0 || unlockpt(master) < 0 || ptsname_r(master, slave_name, len) != 0) {
        int err = errno;
        close(master);
        return -err;
    }
    return master;
}

int skiff_send_fd(int socket, int fd, const char *payload) {
    char control[CMSG_SPACE(sizeof(int))];
    memset(control, 0, sizeof control);
    struct iovec iov = {(void *)payload, strlen(payload)};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
    ssize_t sent;
    do { sent = sendmsg(socket, &msg, 0); } while (sent < 0 && errno == EINTR);
    return sent < 0 ? -errno : 0;
}

int skiff_recv_fd(int socket, int nonblocking) {
    char control[CMSG_SPACE(sizeof(int))];
    char buf[256];
    struct iovec iov = {buf, sizeof buf};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    ssize_t got;
    do { got = recvmsg(socket, &msg, MSG_CMSG_CLOEXEC | (nonblocking ? MSG_DONTWAIT : 0)); } while (got < 0 && errno == EINTR);
    if (got < 0) return -errno;
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS) return -EBADMSG;
    int fd;
    memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
    return fd;
}

int skiff_link_up(const char *name) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    struct ifreq request;
    memset(&request, 0, sizeof(request));
    strncpy(request.ifr_name, name, IFNAMSIZ - 1);
    int result = ioctl(fd, SIOCGIFFLAGS, &request);
    if (result == 0 && !(request.ifr_flags & IFF_UP)) {
        request.ifr_flags |= IFF_UP;
        result = ioctl(fd, SIOCSIFFLAGS, &request);
    }
    int saved = errno;
    close(fd);
    return result < 0 ? -saved : 0;
}

int skiff_set_winsize(int fd, unsigned short rows, unsigned short cols) {
    struct winsize ws = {.ws_row = rows, .ws_col = cols};
    RET(ioctl(fd, TIOCSWINSZ, &ws));
}

const char *skiff_errno_name(int err) { return strerrorname_np(err); }
int skiff_pidfd_open(pid_t pid) {
    long fd = syscall(SYS_pidfd_open, pid, 0);
    return fd < 0 ? -errno : (int)fd;
}
int skiff_pidfd_send_signal(int pidfd, int sig) { RET(syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0)); }

const int SKIFF_PR_SET_KEEPCAPS = PR_SET_KEEPCAPS, SKIFF_PR_SET_NO_NEW_PRIVS = PR_SET_NO_NEW_PRIVS,
          SKIFF_PR_SET_CHILD_SUBREAPER = PR_SET_CHILD_SUBREAPER,
          SKIFF_PR_SET_DUMPABLE = PR_SET_DUMPABLE;
int skiff_pipe_cloexec(int fds[2]) { RET(pipe2(fds, O_CLOEXEC)); }
const int SKIFF_O_PATH = O_PATH;
int skiff_get_winsize(int fd, unsigned short *rows, unsigned short *cols) {
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) < 0) return -errno;
    *rows = ws.ws_row;
    *cols = ws.ws_col;
    return 0;
}
