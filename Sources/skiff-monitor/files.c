#include <errno.h>
#include <fcntl.h>
#include <stdio.h>  // rename
#include <string.h>
#include <unistd.h>

#include "monitor.h"

int write_all(int fd, const char *data, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

int write_file_atomically(const char *path, const char *data, size_t len, mode_t mode) {
    char temporary[4200];
    struct text t = TEXT_ON(temporary);
    text_add(&t, path);
    text_add(&t, ".tmp");
    int fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return -errno;
    int err = write_all(fd, data, len);
    if (err == 0 && fsync(fd) < 0) err = -errno;
    close(fd);
    if (err == 0 && rename(temporary, path) < 0) err = -errno;
    if (err) unlink(temporary);
    return err;
}

ssize_t read_file_tail(const char *path, char *out, size_t cap) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    off_t end = lseek(fd, 0, SEEK_END);
    off_t start = end > (off_t)(cap - 1) ? end - (off_t)(cap - 1) : 0;
    size_t len = 0;
    if (lseek(fd, start, SEEK_SET) >= 0) {
        while (len < cap - 1) {
            ssize_t n = read(fd, out + len, cap - 1 - len);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            len += (size_t)n;
        }
    }
    close(fd);
    out[len] = 0;
    return (ssize_t)len;
}

void say(int fd, const char *a, const char *b, const char *c) {
    char line[4200];
    struct text t = TEXT_ON(line);
    text_add(&t, a);
    if (b) text_add(&t, b);
    if (c) text_add(&t, c);
    (void)write_all(fd, t.data, t.len);
}
