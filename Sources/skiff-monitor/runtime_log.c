#include <string.h>

#include "monitor.h"

// Appends the UTF-8 encoding of a code point.
static void add_utf8(struct text *t, unsigned cp) {
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | cp >> 6);
        b[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else {
        b[0] = (char)(0xE0 | cp >> 12);
        b[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    }
    text_add_n(t, b, n);
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Decodes the JSON string starting at the opening quote `s` (within `end`).
static void decode_json_string(const char *s, const char *end, struct text *out) {
    for (s++; s < end && *s != '"'; s++) {
        if (*s != '\\' || s + 1 >= end) {
            text_add_n(out, s, 1);
            continue;
        }
        s++;
        switch (*s) {
        case 'n': text_add(out, "\n"); break;
        case 't': text_add(out, "\t"); break;
        case 'r': text_add(out, "\r"); break;
        case 'b': text_add(out, "\b"); break;
        case 'f': text_add(out, "\f"); break;
        case 'u': {
            unsigned cp = 0;
            int i = 1;
            for (; i <= 4 && s + i < end && hex_value(s[i]) >= 0; i++) cp = cp << 4 | (unsigned)hex_value(s[i]);
            // Surrogate pairs are rare in error messages; a lone half becomes U+FFFD.
            add_utf8(out, cp >= 0xD800 && cp <= 0xDFFF ? 0xFFFD : cp);
            s += i - 1;
            break;
        }
        default: text_add_n(out, s, 1);  // \" \\ \/
        }
    }
}

size_t runtime_error_message(const char *log_path, char *out, size_t cap) {
    static char log[65536];
    ssize_t len = read_file_tail(log_path, log, sizeof log);
    if (len <= 0) return 0;
    struct text message = {out, cap, 0};
    char *line_end = log + len;
    while (line_end > log) {
        char *line = line_end;
        while (line > log && line[-1] != '\n') line--;
        char saved = *line_end;
        *line_end = 0;
        char *msg = strstr(line, "\"msg\":");
        bool is_error = strstr(line, "\"level\":\"error\"") != NULL;
        *line_end = saved;
        if (is_error && msg) {
            const char *quote = msg + 6;
            while (quote < line_end && *quote == ' ') quote++;
            if (quote < line_end && *quote == '"') {
                decode_json_string(quote, line_end, &message);
                return message.len;
            }
        }
        line_end = line > log ? line - 1 : log;
    }
    return 0;
}
