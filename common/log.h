/* SPDX-License-Identifier: MIT */
/*
 * log.h — the one logging facility of lockstep.
 *
 * Owns: the current log level, where lines go (stderr), and their prefix.
 * Under systemd (stderr connected to the journal, announced by JOURNAL_STREAM)
 * every line starts with a syslog priority "<N>" that journald turns into the
 * PRIORITY field; elsewhere lines carry a time stamp and a level word instead.
 * Must not: allocate, block on anything but the write to stderr, or know about
 * zones or the event loop. Callers format one event per line.
 */
#ifndef LOCKSTEP_COMMON_LOG_H
#define LOCKSTEP_COMMON_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* syslog(3) priorities, so the journal prefix is the level itself. */
enum ls_log_level {
	LS_LOG_ERR = 3,
	LS_LOG_WARNING = 4,
	LS_LOG_NOTICE = 5,
	LS_LOG_INFO = 6,
	LS_LOG_DEBUG = 7,
};

/** Set the most verbose level that is still printed (default LS_LOG_INFO). */
void ls_log_set_level(enum ls_log_level level);
enum ls_log_level ls_log_get_level(void);

/** Parse "error", "warning", "notice", "info" or "debug"; -EINVAL otherwise. */
int ls_log_level_from_str(const char *str, enum ls_log_level *level);

/**
 * Decide the line format: journal priority prefixes when @journal is true,
 * human time stamps otherwise. ls_log_init_auto() picks from JOURNAL_STREAM.
 */
void ls_log_set_journal(bool journal);
void ls_log_init_auto(void);

/** Write one line (a trailing newline is added if missing). */
void ls_log(enum ls_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ls_vlog(enum ls_log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/**
 * Format a one-line error into a caller's buffer (@err may be NULL or @errlen
 * 0: the message is then dropped). For parsers that return -errno and let
 * the caller decide whether and how to log what went wrong.
 */
void ls_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define pr_err(...) ls_log(LS_LOG_ERR, __VA_ARGS__)
#define pr_warn(...) ls_log(LS_LOG_WARNING, __VA_ARGS__)
#define pr_notice(...) ls_log(LS_LOG_NOTICE, __VA_ARGS__)
#define pr_info(...) ls_log(LS_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) ls_log(LS_LOG_DEBUG, __VA_ARGS__)

#endif
