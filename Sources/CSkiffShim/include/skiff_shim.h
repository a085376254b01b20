// The few calls Swift cannot make itself: variadic or _GNU_SOURCE-only libc functions, raw
// syscalls, and clone+exec done entirely with async-signal-safe calls. Every function returns
// -errno on failure (never sets errno for the caller to read), so Swift can name the failing call.
#pragma once
#include <stddef.h>
#include <sys/types.h>

// Namespace flags, exported as constants because Swift cannot import the CLONE_* macros.
extern const int SKIFF_CLONE_NEWNS, SKIFF_CLONE_NEWUTS, SKIFF_CLONE_NEWIPC, SKIFF_CLONE_NEWUSER,
    SKIFF_CLONE_NEWPID, SKIFF_CLONE_NEWNET, SKIFF_CLONE_NEWCGROUP, SKIFF_CLONE_NEWTIME;

/// Spawns `path` in a new process with clone(2) on a private stack and execve(2), calling only
/// async-signal-safe functions in the child, so it is safe from a multithreaded parent.
/// `fd_map` lists pairs (from, to): the child dup2's each `from` onto `to` before exec (a pair
/// with from == to just clears close-on-exec). With `new_session` the child calls setsid().
/// Returns the child's pid, or -errno if the exec itself failed (reported over a cloexec pipe).
pid_t skiff_spawn(const char *path, char *const argv[], char *const envp[], const int *fd_map,
                  int fd_map_pairs, int new_session, const char *cwd);

/// fork(2) for a process known to be single-threaded (the runtime's init). Returns pid, 0 in the
/// child, or -errno.
pid_t skiff_fork(void);

int skiff_setns(int fd, int nstype);

struct sockaddr;
/// Connects a new TCP socket to `address` from inside the network namespace `netns_fd` (an
/// open /proc/PID/ns/net or pinned namespace file; -1 for our own). A clone(2) child that shares
/// our memory and descriptor table (but is its own single-threaded process) enters the namespace,
/// creates the socket there and connects it, waiting at most `timeout_ms`; the socket keeps
/// the namespace it was made in. Returns the connected socket (close-on-exec), or -errno.
int skiff_connect_in_netns(int netns_fd, const struct sockaddr *address, unsigned int address_length,
                           int timeout_ms);
int skiff_unshare(int flags);
int skiff_pivot_root(const char *new_root, const char *put_old);
int skiff_prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5);
int skiff_setresuid(uid_t r, uid_t e, uid_t s);
int skiff_setresgid(gid_t r, gid_t e, gid_t s);
int skiff_prlimit(pid_t pid, int resource, unsigned long long soft, unsigned long long hard);
int skiff_mknod(const char *path, mode_t mode, unsigned int major, unsigned int minor);
int skiff_close_range_from(unsigned int first);
int skiff_set_controlling_tty(int fd);
int skiff_openpt(char *slave_name, size_t len);
int skiff_send_fd(int socket, int fd, const char *payload);
/// Receives one fd sent with skiff_send_fd; `nonblocking` returns -EAGAIN if none is queued.
int skiff_recv_fd(int socket, int nonblocking);
int skiff_set_winsize(int fd, unsigned short rows, unsigned short cols);
/// Sets IFF_UP on the interface `name` of the caller's network namespace (an ioctl on a
/// throwaway socket, as `ip link set lo up` does); returns 0 or -errno.
int skiff_link_up(const char *name);
/// The symbolic name of an errno value ("EPERM"), or NULL for an unknown one.
const char *skiff_errno_name(int err);
int skiff_pidfd_open(pid_t pid);
int skiff_pidfd_send_signal(int pidfd, int sig);

// prctl options (linux/prctl.h clashes with sys/prctl.h in Swift's Glibc module).
extern const int SKIFF_PR_SET_KEEPCAPS, SKIFF_PR_SET_NO_NEW_PRIVS, SKIFF_PR_SET_CHILD_SUBREAPER,
    SKIFF_PR_SET_DUMPABLE;
/// pipe2(fds, O_CLOEXEC); returns 0 or -errno.
int skiff_pipe_cloexec(int fds[2]);
extern const int SKIFF_O_PATH;
/// The terminal size of `fd` (a tty); returns 0 or -errno.
int skiff_get_winsize(int fd, unsigned short *rows, unsigned short *cols);
