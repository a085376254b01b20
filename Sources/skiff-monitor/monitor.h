// Shared declarations of skiff-monitor's C files; see main.c for why the monitor is C.
#pragma once
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

// containerd's and the kubelet's default max_container_log_line_size: longer lines become
// "P" (partial) records of this many bytes followed by a final "F" record.
#define CRI_MAX_LINE 16384

// A bounded string builder over a caller's buffer: no malloc, silently truncates.
struct text {
    char *data;
    size_t cap;
    size_t len;
};
#define TEXT_ON(buffer) ((struct text){(buffer), sizeof(buffer), 0})
void text_add(struct text *t, const char *s);
void text_add_n(struct text *t, const char *s, size_t n);
void text_add_int(struct text *t, long long value);
// Adds `s` as a quoted, escaped JSON string.
void text_add_json(struct text *t, const char *s, size_t n);
const char *text_cstr(struct text *t);

// Time, formatted without stdio or the time zone code (gmtime would read /etc/localtime).
#define RFC3339NANO_LEN 30
// "2006-01-02T15:04:05.123456789Z", NUL-terminated.
void format_rfc3339nano(char out[RFC3339NANO_LEN + 1], const struct timespec *ts);
// The kubelet's rotated-log suffix "20060102-150405", NUL-terminated.
void format_rotation_suffix(char out[16], time_t seconds);
void now_rfc3339nano(char out[RFC3339NANO_LEN + 1]);
long long monotonic_ms(void);

// Files.
int write_all(int fd, const char *data, size_t len);
// Writes `path` via a temporary sibling, fsync and rename, so readers never see half a file.
int write_file_atomically(const char *path, const char *data, size_t len, mode_t mode);
// Reads up to `cap - 1` bytes from the end of `path`, NUL-terminated; returns length or -errno.
ssize_t read_file_tail(const char *path, char *out, size_t cap);
void say(int fd, const char *a, const char *b, const char *c);

// The CRI log file: appends records and rotates it the way the kubelet does.
struct log_writer {
    const char *path;
    int fd;
    long long size;
    long long max_bytes;
    int max_files;
};
int log_writer_open(struct log_writer *w);
void log_writer_write(struct log_writer *w, const char *stream, bool partial, const char *content, size_t len);

// Attach sessions (attach.c): the container's stdin and copies of its output.
#define ATTACH_MAX_CLIENTS 8
// The largest packet either way: a kind byte and up to 16 KiB (the agent splits its input).
#define ATTACH_PACKET (1 + 16384 + 1)
struct attach_client {
    int fd;
    bool typing;  // sent stdin: its end counts for stdinOnce
};
struct attach {
    int listen_fd;  // STATE/attach; -1 when the container has neither stdin nor a tty
    int input_fd;   // the stdin pipe's write end, or a duplicate of the pty master; -1 once closed
    bool tty, accepts_input, stdin_once, close_after_pending;
    struct attach_client clients[ATTACH_MAX_CLIENTS];
    size_t pending_len, pending_off;
    char pending[ATTACH_PACKET];
};
// Listens on DIRECTORY/NAME (nonblocking, close-on-exec); returns the socket or -errno.
int listen_in_directory(const char *directory, const char *name, int type);
int attach_open(struct attach *a, const char *state_dir, bool tty, bool stdin_open, bool stdin_once);
// Where client input goes (made nonblocking): the stdin pipe or the pty master's duplicate.
void attach_set_input(struct attach *a, int fd);
// Adds the attach descriptors to a poll set (at most 2 + ATTACH_MAX_CLIENTS).
void attach_poll_add(struct attach *a, struct pollfd *fds, nfds_t *n);
void attach_event(struct attach *a, int fd, short revents);
// Sends output (stream 1 stdout, 2 stderr) to every client.
void attach_broadcast(struct attach *a, int stream, const char *data, size_t len);

// One of the container's output pipes (or its pty master), cut into CRI records and, when
// `tap` is set, copied to attach clients as it is read.
struct log_stream {
    int fd;
    const char *name;
    struct attach *tap;
    int tap_stream;
    size_t len;
    char buf[CRI_MAX_LINE + 1];
};
// Reads what is available; at EOF flushes the rest, closes the pipe and returns false.
bool log_stream_pump(struct log_stream *s, struct log_writer *w);
// Writes a pending unterminated line as a partial record (containerd and conmon do the same).
void log_stream_flush(struct log_stream *s, struct log_writer *w);

// The `msg` of the last `"level":"error"` line of the runtime's JSON log, or 0 if none.
size_t runtime_error_message(const char *log_path, char *out, size_t cap);
