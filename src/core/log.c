#include "core/log.h"
#include "core/clock.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

static LogLevel min_level = LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void log_set_level(LogLevel level)
{
    min_level = level;
}

void log_msg(LogLevel level, const char *fmt, ...)
{
    static const char *names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    if (level < min_level)
        return;
    char ts[32];
    clock_format_iso(clock_real_now_ms() / 1000, ts, sizeof ts);
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&log_lock);
    fprintf(stderr, "%s %-5s ", ts, names[level]);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    pthread_mutex_unlock(&log_lock);
    va_end(ap);
}
