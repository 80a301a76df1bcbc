#include "healthcheck.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

/* Waits until fd is ready for events or the deadline passes. 1 ready, 0 not. */
static int wait_fd(int fd, short events, long deadline)
{
    struct pollfd p = {.fd = fd, .events = events};
    long left;
    int rc;

    while ((left = deadline - now_ms()) > 0) {
        rc = poll(&p, 1, (int)left);
        if (rc > 0)
            return 1;
        if (rc < 0 && errno != EINTR)
            return 0;
    }
    return 0;
}

/* The status code of one GET at a, or -1. */
static int ask(const struct addrinfo *a, const char *path, long deadline)
{
    char req[256], head[64];
    size_t got = 0, sent = 0, len;
    int fd, status = -1, err = 0;
    socklen_t elen = sizeof err;

    len = (size_t)snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: localhost\r\nUser-Agent: healthcheck\r\n\r\n",
                           path);
    if (len >= sizeof req)
        return -1;
    if ((fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol)) < 0)
        return -1;
    if (connect(fd, a->ai_addr, a->ai_addrlen) < 0 &&
        (errno != EINPROGRESS || !wait_fd(fd, POLLOUT, deadline) ||
         getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err != 0))
        goto done;
    while (sent < len) {
        ssize_t n = send(fd, req + sent, len - sent, MSG_NOSIGNAL);
        if (n > 0)
            sent += (size_t)n;
        else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (!wait_fd(fd, POLLOUT, deadline))
                goto done;
        } else
            goto done;
    }
    /* "HTTP/1.1 200 " is all we need: read until the first line's status is in. */
    while (got < sizeof head - 1 && !memchr(head, '\n', got)) {
        ssize_t n = recv(fd, head + got, sizeof head - 1 - got, 0);
        if (n > 0)
            got += (size_t)n;
        else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (!wait_fd(fd, POLLIN, deadline))
                goto done;
        } else
            break;
    }
    head[got] = '\0';
    if (strncmp(head, "HTTP/1.", 7) == 0 && got >= 12 && head[8] == ' ')
        if (sscanf(head + 9, "%3d", &status) != 1)
            status = -1;
done:
    close(fd);
    return status;
}

int healthcheck_run(const char *host, int port, const char *path, int timeout_ms)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL, *a;
    long deadline = now_ms() + timeout_ms;
    char service[8];
    int status = -1, rc;

    if (!host[0] || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0)
        host = "127.0.0.1";
    snprintf(service, sizeof service, "%d", port);
    if ((rc = getaddrinfo(host, service, &hints, &ai)) != 0) {
        fprintf(stderr, "healthcheck: cannot resolve %s: %s\n", host, gai_strerror(rc));
        return 1;
    }
    for (a = ai; a && status != 200 && now_ms() < deadline; a = a->ai_next)
        status = ask(a, path, deadline);
    freeaddrinfo(ai);
    if (status == 200)
        return 0;
    if (status < 0)
        fprintf(stderr, "healthcheck: no answer from %s:%d%s within %d ms\n", host, port, path, timeout_ms);
    else
        fprintf(stderr, "healthcheck: %s:%d%s answered %d\n", host, port, path, status);
    return 1;
}
