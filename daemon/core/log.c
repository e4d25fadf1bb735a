/* Logging to stderr, one line per event. */
#include "core/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/textsafe.h"

static int verbosity;
static int journald;
static const char *prog = "tessera";

void
log_init(int verbose, const char *progname)
{
	verbosity = verbose;
	if (progname)
		prog = progname;
	/* systemd sets JOURNAL_STREAM when stderr is the journal: it adds its
	 * own timestamps and understands <N> priority prefixes. */
	journald = getenv("JOURNAL_STREAM") != NULL;
}

int
log_verbose(void)
{
	return verbosity;
}

static const char *
level_name(enum log_level lvl)
{
	switch (lvl) {
	case LOG_LVL_ERR: return "error";
	case LOG_LVL_WARN: return "warning";
	case LOG_LVL_INFO: return "info";
	default: return "debug";
	}
}

void
log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	char line[2048], *safe;

	if (lvl == LOG_LVL_DEBUG && verbosity < 1)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	/* One line per event: a newline or escape sent by a peer or written in a
	 * record (a goodbye reason, a name) must not forge log lines or reach
	 * the terminal of whoever reads the log (see textsafe.h). */
	if ((safe = textsafe_escape(line, strlen(line))) == NULL) {
		for (char *c = line; *c; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
				*c = '?';
	}
	if (journald) {
		fprintf(stderr, "<%d>%s\n", (int)lvl, safe ? safe : line);
	} else {
		char ts[32];
		struct timespec now;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &now);
		gmtime_r(&now.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ldZ %s[%ld] %s: %s\n", ts, now.tv_nsec / 1000000L, prog,
		    (long)getpid(), level_name(lvl), safe ? safe : line);
	}
	fflush(stderr);
	free(safe);
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	char msg[1536];
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_msg(LOG_LVL_WARN, "%s: %s", msg, strerror(saved));
	errno = saved;
}

void
log_trace(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < 2)
		return;
	va_start(ap, fmt);
	log_vmsg(LOG_LVL_DEBUG, fmt, ap);
	va_end(ap);
}

#define LOG_FN(name, lvl)                      \
	void name(const char *fmt, ...)        \
	{                                      \
		va_list ap;                    \
		va_start(ap, fmt);             \
		log_vmsg(lvl, fmt, ap);        \
		va_end(ap);                    \
	}
LOG_FN(log_warnx, LOG_LVL_WARN)
LOG_FN(log_info, LOG_LVL_INFO)
LOG_FN(log_debug, LOG_LVL_DEBUG)

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_ERR, fmt, ap);
	va_end(ap);
	exit(1);
}
