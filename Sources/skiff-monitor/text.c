#include <string.h>

#include "monitor.h"

void text_add_n(struct text *t, const char *s, size_t n) {
    if (t->cap == 0) return;
    size_t room = t->cap - 1 - t->len;
    if (n > room) n = room;
    memcpy(t->data + t->len, s, n);
    t->len += n;
    t->data[t->len] = 0;
}

void text_add(struct text *t, const char *s) { text_add_n(t, s, strlen(s)); }

void text_add_int(struct text *t, long long value) {
    char digits[24];
    int i = sizeof digits;
    unsigned long long magnitude = value < 0 ? 0ULL - (unsigned long long)value : (unsigned long long)value;
    do {
        digits[--i] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    if (value < 0) digits[--i] = '-';
    text_add_n(t, digits + i, sizeof digits - (size_t)i);
}

void text_add_json(struct text *t, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    text_add(t, "\"");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': text_add(t, "\\\""); break;
        case '\\': text_add(t, "\\\\"); break;
        case '\n': text_add(t, "\\n"); break;
        case '\r': text_add(t, "\\r"); break;
        case '\t': text_add(t, "\\t"); break;
        default:
            if (c < 0x20) {
                char escaped[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                text_add_n(t, escaped, sizeof escaped);
            } else {
                text_add_n(t, (const char *)&s[i], 1);
            }
        }
    }
    text_add(t, "\"");
}

const char *text_cstr(struct text *t) {
    if (t->cap) t->data[t->len] = 0;
    return t->data;
}
