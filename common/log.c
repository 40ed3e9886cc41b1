/* SPDX-License-Identifier: MIT */
/*
 * log.c — see log.h. A line is formatted into one buffer and written with a
 * single write(2) so lines from the agent and its hooks never interleave
 * inside a line.
 */
#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static enum ls_log_level log_level = LS_LOG_INFO;
static bool log_journal;

void ls_log_set_level(enum ls_log_level level)
{
	log_level = level;
}

enum ls_log_level ls_log_get_level(void)
{
	return log_level;
}

int ls_log_level_from_str(const char *str, enum ls_log_level *level)
{
	static const struct {
		const char *name;
		enum ls_log_level level;
	} names[] = {
		{ "error", LS_LOG_ERR }, { "warning", LS_LOG_WARNING }, { "notice", LS_LOG_NOTICE },
		{ "info", LS_LOG_INFO }, { "debug", LS_LOG_DEBUG },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(str, names[i].name) == 0) {
			*level = names[i].level;
			return 0;
		}
	}
	return -EINVAL;
}

void ls_log_set_journal(bool journal)
{
	log_journal = journal;
}

void ls_log_init_auto(void)
{
	const char *js = getenv("JOURNAL_STREAM");

	log_journal = js != NULL && *js != '\0';
}

static const char *level_word(enum ls_log_level level)
{
	switch (level) {
	case LS_LOG_ERR:
		return "error";
	case LS_LOG_WARNING:
		return "warning";
	case LS_LOG_NOTICE:
		return "notice";
	case LS_LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

void ls_vlog(enum ls_log_level level, const char *fmt, va_list ap)
{
	char line[2048];
	size_t len = 0;
	int n;

	if (level > log_level)
		return;

	if (log_journal) {
		n = snprintf(line, sizeof(line), "<%d>", (int)level);
	} else {
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = snprintf(line, sizeof(line),
			     "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s: ", tm.tm_year + 1900,
			     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			     ts.tv_nsec / 1000000, level_word(level));
	}
	if (n > 0)
		len = (size_t)n;

	n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
	if (n > 0)
		len += (size_t)n;
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2; /* truncated: keep room for the newline */
	if (len == 0 || line[len - 1] != '\n')
		line[len++] = '\n';

	/* One write per line; a short write to stderr is not worth retrying. */
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}

void ls_log(enum ls_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ls_vlog(level, fmt, ap);
	va_end(ap);
}

void ls_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
