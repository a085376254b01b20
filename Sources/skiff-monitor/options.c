#include <stdlib.h>
#include <string.h>

#include "options.h"

static const char *const names[] = {"runtime", "runtime-root", "id", "bundle", "state-dir", "log-path",
                                    "log-max-bytes", "log-max-files"};

// Options without a value.
static const char *const switches[] = {"stdin", "stdin-once", "tty"};

static bool set_error(char *error, size_t cap, const char *a, const char *b, const char *c) {
    struct text t = {error, cap, 0};
    text_add(&t, a);
    if (b) text_add(&t, b);
    if (c) text_add(&t, c);
    return false;
}

static bool parse_count(const char *value, long long minimum, long long *out) {
    char *end;
    long long parsed = strtoll(value, &end, 10);
    if (*value == 0 || *end != 0 || parsed < minimum) return false;
    *out = parsed;
    return true;
}

bool parse_options(int argc, char **argv, struct options *o, char *error, size_t cap) {
    const char *values[8] = {0};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0) return set_error(error, cap, "unexpected argument \"", arg, "\"");
        const char *name = arg + 2, *value = strchr(name, '=');
        size_t name_len = value ? (size_t)(value - name) : strlen(name);
        bool *flags[] = {&o->stdin_open, &o->stdin_once, &o->tty};
        int flag = -1;
        for (int k = 0; k < 3; k++) {
            if (!value && strcmp(switches[k], name) == 0) flag = k;
        }
        if (flag >= 0) {
            *flags[flag] = true;
            continue;
        }
        int which = -1;
        for (int k = 0; k < 8; k++) {
            if (strlen(names[k]) == name_len && strncmp(names[k], name, name_len) == 0) which = k;
        }
        if (which < 0) return set_error(error, cap, "unknown option \"", arg, "\"");
        if (value) {
            value++;
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            return set_error(error, cap, "option --", names[which], " needs a value");
        }
        values[which] = value;
    }
    for (int k = 0; k < 6; k++) {
        if (!values[k] || !*values[k]) return set_error(error, cap, "missing required option --", names[k], NULL);
        // The monitor runs from "/" so it pins no mount; relative paths would then mean something else.
        if (k != 2 && values[k][0] != '/') return set_error(error, cap, "--", names[k], " must be an absolute path");
    }
    o->runtime = values[0];
    o->runtime_root = values[1];
    o->id = values[2];
    o->bundle = values[3];
    o->state_dir = values[4];
    o->log_path = values[5];
    o->log_max_bytes = 10485760;
    o->log_max_files = 5;
    if (values[6] && !parse_count(values[6], 1, &o->log_max_bytes)) {
        return set_error(error, cap, "--log-max-bytes must be a positive integer, not \"", values[6], "\"");
    }
    long long files = o->log_max_files;
    if (values[7] && (!parse_count(values[7], 1, &files) || files > 100000)) {
        return set_error(error, cap, "--log-max-files must be an integer from 1 to 100000, not \"", values[7], "\"");
    }
    o->log_max_files = (int)files;
    return true;
}
