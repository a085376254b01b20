// skiff-monitor's command line.
#pragma once
#include "monitor.h"

struct options {
    const char *runtime, *runtime_root, *id, *bundle, *state_dir, *log_path;
    long long log_max_bytes;
    int log_max_files;
    // The container's spec: `stdin` keeps a pipe to its stdin open for attach sessions,
    // `stdin_once` closes it when the first session's input ends, `tty` gives it a terminal.
    bool stdin_open, stdin_once, tty;
};

// Parses `--name value` or `--name=value`; on failure fills `error` and returns false.
bool parse_options(int argc, char **argv, struct options *o, char *error, size_t cap);

#define USAGE                                                                                       \
    "usage: skiff-monitor --runtime PATH --runtime-root DIR --id ID --bundle DIR --state-dir DIR " \
    "--log-path FILE [--log-max-bytes N] [--log-max-files N] [--stdin] [--stdin-once] [--tty]\n"
