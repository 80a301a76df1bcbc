-- GET /api/v1/destinations/{random id}.   args: MAX_ID
local n = 0
function setup(thread) n = n + 1; thread:set("id", n) end
function init(args)
  max_id = tonumber(args[1])
  math.randomseed(os.time() * 100 + id)
end
function request()
  return wrk.format("GET", "/api/v1/destinations/" .. math.random(1, max_id))
end
