/* log: one JSON object per line on stdout.
 *
 * Lines are built in a stack buffer and written with single write(2) calls of whole lines
 * (at most PIPE_BUF bytes), so lines from different threads never interleave. Never pass a
 * password, token or body here. */
#ifndef ECOMOVEX_LOG_H
#define ECOMOVEX_LOG_H

#include <stddef.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

#define LOG_LINE_MAX 2048

/* Sets the service name written on every line and the lowest level written. */
void log_init(const char *service, enum log_level min);

/* Parses "debug" | "info" | "warn" | "error". Returns 0, or -1 for anything else. */
int log_parse_level(const char *s, enum log_level *out);

/* Buffered mode: lines are gathered per thread and written when the buffer fills, when
 * log_flush() is called (a thread about to wait calls it), or at once for warn and error.
 * Off by default (every line written at once). */
void log_set_buffered(int on);

/* Writes the calling thread's gathered lines. */
void log_flush(void);

/* 1 when the calling thread has lines waiting. */
int log_pending(void);

/* Writes {"time","level","service","request_id"?,"msg"}; request_id may be NULL. */
void log_msg(enum log_level lvl, const char *request_id, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The access line: one per answered request. */
void log_access(const char *request_id, const char *method, const char *route, int status, double duration_ms,
                const char *client);

/* JSON-escapes in into out (cap bytes, always NUL-terminated, truncated if needed; invalid
 * UTF-8 bytes become U+FFFD). Returns the length written. */
size_t log_json_escape(char *out, size_t cap, const char *in);

/* Formats now as RFC 3339 UTC with milliseconds into out (at least 32 bytes). */
void log_time_now(char *out, size_t cap);

#endif
