/* log: JSON lines on stdout. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "trace.h"
#include "utf8.h"

static const char *service_name = "ecomovex";
static enum log_level min_level = LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_init(const char *service, enum log_level min)
{
    service_name = service;
    min_level = min;
}

int log_parse_level(const char *s, enum log_level *out)
{
    for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

size_t log_json_escape(char *out, size_t cap, const char *in)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t o = 0;

    if (cap == 0)
        return 0;
    while (*p) {
        char tmp[8];
        const char *piece = tmp;
        size_t plen, adv = 1;

        if (*p == '"' || *p == '\\') {
            tmp[0] = '\\';
            tmp[1] = (char)*p;
            plen = 2;
        } else if (*p < 0x20) {
            plen = (size_t)snprintf(tmp, sizeof tmp, "\\u%04x", *p);
        } else if (*p < 0x80) {
            tmp[0] = (char)*p;
            plen = 1;
        } else if ((adv = utf8_decode(p, strnlen((const char *)p, 4), NULL)) != 0) {
            piece = (const char *)p;
            plen = adv;
        } else {
            piece = "\\ufffd";
            plen = 6;
            adv = 1;
        }
        if (o + plen >= cap)
            break;
        memcpy(out + o, piece, plen);
        o += plen;
        p += adv;
    }
    out[o] = '\0';
    return o;
}

void log_time_now(char *out, size_t cap)
{
    /* One line per request: format the date part once per second per thread, not per line. */
    static __thread time_t cached_sec = -1;
    static __thread char cached[64]; /* room for any int fields, though real dates take 19 */
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != cached_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                 tm.tm_hour, tm.tm_min, tm.tm_sec);
        cached_sec = ts.tv_sec;
    }
    snprintf(out, cap, "%.19s.%03ldZ", cached, ts.tv_nsec / 1000000);
}

/* Buffered mode (the daemons): each thread gathers lines and writes them in one write(2) of
 * at most LOG_BUFFER_MAX bytes — atomic on a pipe, so threads never interleave — when the
 * buffer is full, when its thread goes idle (log_flush), or at once for warnings and errors.
 * A write per request line was a fifth of the cost of answering /healthz. */
#define LOG_BUFFER_MAX 4096 /* PIPE_BUF on Linux */

static int buffered;
static __thread char tbuf[LOG_BUFFER_MAX];
static __thread size_t tlen;

static void write_all(const char *p, size_t n)
{
    /* a lost log line is not worth retrying, nor worth failing a request */
    if (write(STDOUT_FILENO, p, n) < 0)
        return;
}

void log_set_buffered(int on)
{
    buffered = on;
}

int log_pending(void)
{
    return tlen > 0;
}

void log_flush(void)
{
    if (tlen)
        write_all(tbuf, tlen);
    tlen = 0;
}

static void write_line(char *line, size_t n, enum log_level lvl)
{
    if (n >= LOG_LINE_MAX - 1)
        n = LOG_LINE_MAX - 2;
    line[n++] = '\n';
    if (!buffered) {
        write_all(line, n);
        return;
    }
    if (tlen + n > LOG_BUFFER_MAX)
        log_flush();
    memcpy(tbuf + tlen, line, n);
    tlen += n;
    if (lvl >= LOG_WARN)
        log_flush();
}

/* ,"trace_id":…,"span_id":…[,"parent_span_id":…] of the span the thread works for, or "". The ids
 * are lowercase hex by construction, so they need no escaping. */
#define TRACE_FIELDS_MAX 128
static void trace_fields(char *out, size_t cap)
{
    const struct trace *tr = trace_current();

    if (!tr) {
        out[0] = '\0';
        return;
    }
    snprintf(out, cap, ",\"trace_id\":\"%s\",\"span_id\":\"%s\"%s%s%s", tr->trace_id, tr->span_id,
             tr->parent_id[0] ? ",\"parent_span_id\":\"" : "", tr->parent_id, tr->parent_id[0] ? "\"" : "");
}

void log_msg(enum log_level lvl, const char *request_id, const char *fmt, ...)
{
    char msg[LOG_LINE_MAX / 2], esc[LOG_LINE_MAX / 2], rid[160], tf[TRACE_FIELDS_MAX], t[40], line[LOG_LINE_MAX];
    va_list ap;
    int n;

    if (lvl < min_level)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_json_escape(esc, sizeof esc, msg);
    log_time_now(t, sizeof t);
    rid[0] = '\0';
    if (request_id) {
        char r[96];
        log_json_escape(r, sizeof r, request_id);
        snprintf(rid, sizeof rid, ",\"request_id\":\"%s\"", r);
    }
    trace_fields(tf, sizeof tf);
    n = snprintf(line, sizeof line, "{\"time\":\"%s\",\"level\":\"%s\",\"service\":\"%s\"%s%s,\"msg\":\"%s\"}", t,
                 level_names[lvl], service_name, rid, tf, esc);
    write_line(line, n < 0 ? 0 : (size_t)n, lvl);
}

void log_access(const char *request_id, const char *method, const char *route, int status, double duration_ms,
                const char *client)
{
    char t[40], r[96], rt[256], cl[96], tf[TRACE_FIELDS_MAX], line[LOG_LINE_MAX];
    int n;

    if (LOG_INFO < min_level)
        return;
    trace_fields(tf, sizeof tf);
    log_time_now(t, sizeof t);
    log_json_escape(r, sizeof r, request_id ? request_id : "");
    log_json_escape(rt, sizeof rt, route ? route : "");
    log_json_escape(cl, sizeof cl, client ? client : "");
    n = snprintf(line, sizeof line,
                 "{\"time\":\"%s\",\"level\":\"info\",\"service\":\"%s\",\"request_id\":\"%s\",\"method\":\"%s\","
                 "\"route\":\"%s\",\"status\":%d,\"duration_ms\":%.3f,\"client\":\"%s\"%s}",
                 t, service_name, r, method, rt, status, duration_ms, cl, tf);
    write_line(line, n < 0 ? 0 : (size_t)n, LOG_INFO);
}
