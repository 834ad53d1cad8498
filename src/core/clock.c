#include "core/clock.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

static _Atomic int64_t offset;

int64_t clock_real_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_now(void)
{
    return clock_real_now_ms() / 1000 + atomic_load(&offset);
}

void clock_set_offset(int64_t seconds)
{
    atomic_store(&offset, seconds);
}

int64_t clock_get_offset(void)
{
    return atomic_load(&offset);
}

void clock_format_iso(int64_t t, char *out, size_t outlen)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int all_digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

int clock_parse_iso(const char *s, int64_t *out)
{
    int y, mo, d, h = 0, mi = 0, se = 0;
    size_t n = strlen(s);
    if (n < 10 || !all_digits(s, 4) || s[4] != '-' || !all_digits(s + 5, 2) || s[7] != '-' ||
        !all_digits(s + 8, 2))
        return -1;
    sscanf(s, "%4d-%2d-%2d", &y, &mo, &d);
    const char *p = s + 10;
    long tz = 0;
    if (*p == 'T' || *p == ' ') {
        if (strlen(p) < 9 || !all_digits(p + 1, 2) || p[3] != ':' || !all_digits(p + 4, 2) ||
            p[6] != ':' || !all_digits(p + 7, 2))
            return -1;
        sscanf(p + 1, "%2d:%2d:%2d", &h, &mi, &se);
        p += 9;
        if (*p == '.') {
            p++;
            while (*p >= '0' && *p <= '9')
                p++;
        }
        if (*p == 'Z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            if (strlen(p) != 6 || !all_digits(p + 1, 2) || p[3] != ':' || !all_digits(p + 4, 2))
                return -1;
            int th, tm;
            sscanf(p + 1, "%2d:%2d", &th, &tm);
            tz = (th * 3600L + tm * 60L) * (*p == '+' ? 1 : -1);
            p += 6;
        } else if (*p) {
            return -1;
        }
    }
    if (*p)
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return -1;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap))
        return -1;
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    *out = (int64_t)timegm(&tm) - tz;
    return 0;
}
