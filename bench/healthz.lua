-- GET /healthz (also drives the bare evhttp ceiling, which answers any path).
wrk.method = "GET"
wrk.path = "/healthz"
