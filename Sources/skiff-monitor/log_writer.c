#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>  // rename
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "monitor.h"

int log_writer_open(struct log_writer *w) {
    w->fd = open(w->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (w->fd < 0) return -errno;
    struct stat st;
    w->size = fstat(w->fd, &st) == 0 ? st.st_size : 0;
    return 0;
}

// A rotated sibling is "<base>.<yyyyMMdd-HHmmss>" (the kubelet's name), or "<that>.<n>" when
// two rotations fall in the same second. Sets the timestamp and n (0 if absent); false for any
// other file.
static bool rotated_suffix(const char *name, const char *base, size_t base_len, const char **stamp, long *counter) {
    if (strncmp(name, base, base_len) != 0 || name[base_len] != '.') return false;
    const char *s = name + base_len + 1;
    for (int i = 0; i < 15; i++) {
        if (i == 8 ? s[i] != '-' : (s[i] < '0' || s[i] > '9')) return false;
    }
    *stamp = s;
    *counter = 0;
    if (s[15] == 0) return true;
    if (s[15] != '.' || s[16] == 0) return false;
    for (const char *d = s + 16; *d; d++) {
        if (*d < '0' || *d > '9') return false;
        *counter = *counter * 10 + (*d - '0');
    }
    return true;
}

// Deletes the oldest rotated siblings until at most `keep` remain. Rescans per deletion: there
// are only a handful, and it needs no memory.
static void prune(const char *dir, const char *base, int keep) {
    size_t base_len = strlen(base);
    for (;;) {
        DIR *d = opendir(dir);
        if (!d) return;
        int count = 0;
        char oldest[NAME_MAX + 1] = {0};
        const char *oldest_stamp = NULL;
        long oldest_counter = 0;
        struct dirent *entry;
        while ((entry = readdir(d))) {
            const char *stamp;
            long counter;
            if (!rotated_suffix(entry->d_name, base, base_len, &stamp, &counter)) continue;
            count++;
            int order = oldest_stamp ? strncmp(stamp, oldest_stamp, 15) : -1;
            if (order < 0 || (order == 0 && counter < oldest_counter)) {
                strcpy(oldest, entry->d_name);
                oldest_stamp = oldest + base_len + 1;
                oldest_counter = counter;
            }
        }
        closedir(d);
        if (count <= keep) return;
        char path[PATH_MAX];
        struct text t = TEXT_ON(path);
        text_add(&t, dir);
        text_add(&t, "/");
        text_add(&t, oldest);
        if (unlink(path) < 0) return;
    }
}

// The highest counter among rotated siblings with this timestamp: -1 if none, 0 for the plain
// name. A new name must sort after every kept one, even after pruning freed a lower name.
static long highest_counter(const char *dir, const char *base, const char *suffix) {
    size_t base_len = strlen(base);
    long highest = -1;
    DIR *d = opendir(dir);
    if (!d) return highest;
    struct dirent *entry;
    while ((entry = readdir(d))) {
        const char *stamp;
        long counter;
        if (rotated_suffix(entry->d_name, base, base_len, &stamp, &counter) && strncmp(stamp, suffix, 15) == 0 &&
            counter > highest) {
            highest = counter;
        }
    }
    closedir(d);
    return highest;
}

static void rotate(struct log_writer *w) {
    char dir[PATH_MAX];
    struct text d = TEXT_ON(dir);
    text_add(&d, w->path);
    char *slash = strrchr(dir, '/');
    if (!slash) return;  // options.c insists on absolute paths
    *slash = 0;
    const char *directory = slash == dir ? "/" : dir, *base = slash + 1;

    char suffix[16], target[PATH_MAX];
    format_rotation_suffix(suffix, time(NULL));
    struct text t = TEXT_ON(target);
    text_add(&t, w->path);
    text_add(&t, ".");
    text_add(&t, suffix);
    long highest = highest_counter(directory, base, suffix);
    if (highest >= 0) {
        text_add(&t, ".");
        text_add_int(&t, highest + 1);
    }
    // Keep writing to the old file if the rename fails: losing lines is worse than a big file.
    if (rename(w->path, text_cstr(&t)) < 0) return;
    close(w->fd);
    if (log_writer_open(w) < 0) w->fd = -1;
    prune(directory, base, w->max_files - 1);
}

void log_writer_write(struct log_writer *w, const char *stream, bool partial, const char *content, size_t len) {
    char prefix[RFC3339NANO_LEN + 16];
    now_rfc3339nano(prefix);
    struct text t = TEXT_ON(prefix);
    t.len = RFC3339NANO_LEN;
    text_add(&t, " ");
    text_add(&t, stream);
    text_add(&t, partial ? " P " : " F ");
    long long total = (long long)(t.len + len + 1);
    if (w->fd >= 0 && w->size > 0 && w->size + total > w->max_bytes) rotate(w);
    if (w->fd < 0 && log_writer_open(w) < 0) return;

    struct iovec iov[3] = {{t.data, t.len}, {(void *)content, len}, {"\n", 1}};
    struct iovec *v = iov;
    int count = 3;
    while (count > 0) {
        ssize_t n = writev(w->fd, v, count);
        if (n < 0) {
            if (errno == EINTR) continue;
            return;  // ENOSPC and friends: drop the line rather than stall the container.
        }
        w->size += n;
        while (count > 0 && (size_t)n >= v->iov_len) {
            n -= (ssize_t)v->iov_len;
            v++;
            count--;
        }
        if (count > 0) {
            v->iov_base = (char *)v->iov_base + n;
            v->iov_len -= (size_t)n;
        }
    }
}
