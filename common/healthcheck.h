/* `<daemon> healthcheck [--ready]`: the container health probe, so that images need no curl.
 * It asks the daemon's own listen address for /healthz (or /readyz) over plain HTTP/1.0. */
#ifndef ECOMOVEX_HEALTHCHECK_H
#define ECOMOVEX_HEALTHCHECK_H

#define HEALTHCHECK_TIMEOUT_MS 2000 /* connect, send and answer, together */

/* 0 when GET path at host:port answered 200 within timeout_ms, else 1 (with a line on stderr).
 * A wildcard host ("0.0.0.0", "::", "") is asked on 127.0.0.1, which a dual-stack [::] also
 * serves; a name is tried at each address it resolves to. */
int healthcheck_run(const char *host, int port, const char *path, int timeout_ms);

#endif
