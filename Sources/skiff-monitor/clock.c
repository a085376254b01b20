#include "monitor.h"

// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm), so no tz code runs.
static void civil_from_days(long long days, int *year, unsigned *month, unsigned *day) {
    days += 719468;
    long long era = (days >= 0 ? days : days - 146096) / 146097;
    unsigned doe = (unsigned)(days - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *day = doy - (153 * mp + 2) / 5 + 1;
    *month = mp < 10 ? mp + 3 : mp - 9;
    *year = (int)(yoe + era * 400 + (*month <= 2));
}

static char *put(char *out, unsigned long value, int width) {
    for (int i = width - 1; i >= 0; i--) {
        out[i] = (char)('0' + value % 10);
        value /= 10;
    }
    return out + width;
}

struct civil {
    int year;
    unsigned month, day, hour, minute, second;
};

static struct civil civil_time(time_t seconds) {
    struct civil c;
    long long days = seconds / 86400, rest = seconds % 86400;
    if (rest < 0) {
        rest += 86400;
        days -= 1;
    }
    civil_from_days(days, &c.year, &c.month, &c.day);
    c.hour = (unsigned)(rest / 3600);
    c.minute = (unsigned)(rest / 60 % 60);
    c.second = (unsigned)(rest % 60);
    return c;
}

void format_rfc3339nano(char out[RFC3339NANO_LEN + 1], const struct timespec *ts) {
    struct civil c = civil_time(ts->tv_sec);
    char *p = put(out, (unsigned long)c.year, 4);
    *p++ = '-';
    p = put(p, c.month, 2);
    *p++ = '-';
    p = put(p, c.day, 2);
    *p++ = 'T';
    p = put(p, c.hour, 2);
    *p++ = ':';
    p = put(p, c.minute, 2);
    *p++ = ':';
    p = put(p, c.second, 2);
    *p++ = '.';
    p = put(p, (unsigned long)ts->tv_nsec, 9);
    *p++ = 'Z';
    *p = 0;
}

void format_rotation_suffix(char out[16], time_t seconds) {
    struct civil c = civil_time(seconds);
    char *p = put(out, (unsigned long)c.year, 4);
    p = put(p, c.month, 2);
    p = put(p, c.day, 2);
    *p++ = '-';
    p = put(p, c.hour, 2);
    p = put(p, c.minute, 2);
    p = put(p, c.second, 2);
    *p = 0;
}

void now_rfc3339nano(char out[RFC3339NANO_LEN + 1]) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    format_rfc3339nano(out, &now);
}

long long monotonic_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}
