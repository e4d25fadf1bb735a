/* Logging to stderr, journald-friendly; bgpd's log.c API. */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_ERR = 3, LOG_LVL_WARN = 4, LOG_LVL_INFO = 6, LOG_LVL_DEBUG = 7 };

/* verbose: 0 = info, 1 = debug (-v), 2 = trace every peer message (-vv). Prefixes lines with <N> when stderr goes to journald. */
void log_init(int verbose, const char *progname);
int log_verbose(void);
/* Adds strerror(errno). */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Debug lines shown only at -vv: per-message detail. */
void log_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level lvl, const char *fmt, va_list ap);
/* Start-up failures and broken invariants only. */
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
