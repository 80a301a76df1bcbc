-- GET /api/v1/users/me with one valid token (JWT verify + identity query + profile query).   args: TOKEN
function init(args)
  req = wrk.format("GET", "/api/v1/users/me", { ["Authorization"] = "Bearer " .. args[1] })
end
function request() return req end
