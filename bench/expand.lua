-- GET /api/v1/plans/{id}/destinations?expand=destination on the 20-stop plan (one batch internal call).
--   args: PLAN_ID OWNER_TOKEN
function init(args)
  req = wrk.format("GET", "/api/v1/plans/" .. args[1] .. "/destinations?expand=destination",
                   { ["Authorization"] = "Bearer " .. args[2] })
end
function request() return req end
