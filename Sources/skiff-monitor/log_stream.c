#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "monitor.h"

bool log_stream_pump(struct log_stream *s, struct log_writer *w) {
    ssize_t n = read(s->fd, s->buf + s->len, sizeof s->buf - s->len);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
    if (n <= 0) {
        log_stream_flush(s, w);
        close(s->fd);
        s->fd = -1;
        return false;
    }
    if (s->tap) attach_broadcast(s->tap, s->tap_stream, s->buf + s->len, (size_t)n);
    s->len += (size_t)n;
    size_t start = 0;
    char *newline;
    while ((newline = memchr(s->buf + start, '\n', s->len - start))) {
        size_t end = (size_t)(newline - s->buf);
        log_writer_write(w, s->name, false, s->buf + start, end - start);
        start = end + 1;
    }
    // A full buffer without a newline holds CRI_MAX_LINE + 1 bytes: like containerd, a line of
    // exactly CRI_MAX_LINE bytes stays whole, anything longer is cut.
    if (start == 0 && s->len == sizeof s->buf) {
        log_writer_write(w, s->name, true, s->buf, CRI_MAX_LINE);
        start = CRI_MAX_LINE;
    }
    s->len -= start;
    memmove(s->buf, s->buf + start, s->len);
    return true;
}

void log_stream_flush(struct log_stream *s, struct log_writer *w) {
    if (s->len > 0) log_writer_write(w, s->name, true, s->buf, s->len);
    s->len = 0;
}
