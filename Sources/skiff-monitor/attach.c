// Attach sessions (`kubectl attach`), for containers created with stdin or a tty only: the
// monitor keeps the container's stdin (a pipe, or the pty master) and serves STATE/attach, a
// SOCK_SEQPACKET socket. Every packet starts with a kind byte (the exec channel numbers):
//
//   client → monitor:  0 stdin bytes (an empty one marks the client as the one typing),
//                      4 resize: width and height, two little-endian uint16s (tty only),
//                      255 end of the client's input.
//   monitor → client:  1 stdout bytes, 2 stderr bytes; EOF once the container has exited.
//
// Output is a copy of what goes into the CRI log, from the moment the client connected. A
// client that cannot take a packet at once (its socket buffer is full) is disconnected rather
// than stall the container's output and logs. Input is written without blocking: while the
// container does not read, one packet waits here and no client is read.
// stdinOnce (without a tty, as containerd does): the end of a typing client's input, or its
// disconnection, closes the container's stdin for good.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <skiff_shim.h>

#include "monitor.h"

enum { KIND_STDIN = 0, KIND_RESIZE = 4, KIND_CLOSE_STDIN = 255 };

int listen_in_directory(const char *directory, const char *name, int type) {
    // sun_path has 108 bytes and state directories can be longer: bind a relative name from
    // inside the directory. The monitor is single-threaded, so changing directory is safe.
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    strncpy(address.sun_path, name, sizeof address.sun_path - 1);
    int fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -errno;
    int err = 0;
    if (chdir(directory) < 0) {
        err = -errno;
    } else {
        unlink(name);
        if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0 || listen(fd, 8) < 0) err = -errno;
        if (chdir("/") < 0) {}
    }
    if (err) {
        close(fd);
        return err;
    }
    return fd;
}

int attach_open(struct attach *a, const char *state_dir, bool tty, bool stdin_open, bool stdin_once) {
    *a = (struct attach){.listen_fd = -1, .input_fd = -1, .tty = tty, .accepts_input = stdin_open, .stdin_once = stdin_once};
    for (int i = 0; i < ATTACH_MAX_CLIENTS; i++) a->clients[i].fd = -1;
    int fd = listen_in_directory(state_dir, "attach", SOCK_SEQPACKET);
    if (fd < 0) return fd;
    a->listen_fd = fd;
    return 0;
}

void attach_set_input(struct attach *a, int fd) {
    a->input_fd = fd;
    if (fd >= 0) (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// The container's stdin ends: the pipe closes (EOF in the container). A terminal keeps its
// master, which also carries the output and resizes; it only stops taking input.
static void close_input(struct attach *a) {
    a->accepts_input = false;
    a->pending_len = a->pending_off = 0;
    if (!a->tty && a->input_fd >= 0) {
        close(a->input_fd);
        a->input_fd = -1;
    }
}

static void input_ended(struct attach *a, struct attach_client *c) {
    if (!c->typing || !a->stdin_once || a->tty) return;
    // What this client sent before must reach the container first.
    if (a->pending_len > a->pending_off) {
        a->close_after_pending = true;
    } else {
        close_input(a);
    }
}

static void drop(struct attach *a, struct attach_client *c) {
    input_ended(a, c);
    close(c->fd);
    c->fd = -1;
    c->typing = false;
}

static void flush_pending(struct attach *a) {
    while (a->pending_off < a->pending_len) {
        ssize_t n = write(a->input_fd, a->pending + a->pending_off, a->pending_len - a->pending_off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        if (n < 0) {
            // EPIPE: the container closed its stdin; nothing will read it again.
            close_input(a);
            return;
        }
        a->pending_off += (size_t)n;
    }
    a->pending_len = a->pending_off = 0;
    if (a->close_after_pending) {
        a->close_after_pending = false;
        close_input(a);
    }
}

static void accept_clients(struct attach *a) {
    for (;;) {
        int fd = accept4(a->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            return;
        }
        struct attach_client *slot = NULL;
        for (int i = 0; i < ATTACH_MAX_CLIENTS && !slot; i++) {
            if (a->clients[i].fd < 0) slot = &a->clients[i];
        }
        if (!slot) {
            close(fd);
            continue;
        }
        *slot = (struct attach_client){.fd = fd};
    }
}

static void read_client(struct attach *a, struct attach_client *c) {
    // One packet at a time, straight into the pending buffer, which must be free.
    if (a->pending_len > 0) return;
    ssize_t n = recv(c->fd, a->pending, sizeof a->pending, MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
    if (n <= 0) {
        drop(a, c);
        return;
    }
    unsigned char kind = (unsigned char)a->pending[0];
    if (kind == KIND_STDIN) {
        c->typing = true;
        if (n > 1 && a->accepts_input && a->input_fd >= 0) {
            a->pending_off = 1;
            a->pending_len = (size_t)n;
            flush_pending(a);
        }
    } else if (kind == KIND_RESIZE && n >= 5 && a->tty && a->input_fd >= 0) {
        const unsigned char *p = (const unsigned char *)a->pending + 1;
        unsigned short width = (unsigned short)(p[0] | p[1] << 8), height = (unsigned short)(p[2] | p[3] << 8);
        (void)skiff_set_winsize(a->input_fd, height, width);
    } else if (kind == KIND_CLOSE_STDIN) {
        input_ended(a, c);
        c->typing = false;
    }
}

void attach_poll_add(struct attach *a, struct pollfd *fds, nfds_t *n) {
    if (a->listen_fd < 0) return;
    fds[(*n)++] = (struct pollfd){a->listen_fd, POLLIN, 0};
    if (a->pending_len > 0) {
        fds[(*n)++] = (struct pollfd){a->input_fd, POLLOUT, 0};
        return;
    }
    for (int i = 0; i < ATTACH_MAX_CLIENTS; i++) {
        if (a->clients[i].fd >= 0) fds[(*n)++] = (struct pollfd){a->clients[i].fd, POLLIN, 0};
    }
}

void attach_event(struct attach *a, int fd, short revents) {
    if (a->listen_fd < 0 || !revents) return;
    if (fd == a->listen_fd) {
        accept_clients(a);
        return;
    }
    if (fd == a->input_fd && a->pending_len > 0) {
        flush_pending(a);
        return;
    }
    for (int i = 0; i < ATTACH_MAX_CLIENTS; i++) {
        if (a->clients[i].fd == fd) read_client(a, &a->clients[i]);
    }
}

void attach_broadcast(struct attach *a, int stream, const char *data, size_t len) {
    if (!a || a->listen_fd < 0 || len == 0) return;
    unsigned char kind = (unsigned char)stream;
    for (int i = 0; i < ATTACH_MAX_CLIENTS; i++) {
        struct attach_client *c = &a->clients[i];
        if (c->fd < 0) continue;
        struct iovec iov[2] = {{&kind, 1}, {(void *)data, len}};
        struct msghdr message = {.msg_iov = iov, .msg_iovlen = 2};
        ssize_t sent;
        do { sent = sendmsg(c->fd, &message, MSG_DONTWAIT | MSG_NOSIGNAL); } while (sent < 0 && errno == EINTR);
        if (sent < 0) drop(a, c);
    }
}
