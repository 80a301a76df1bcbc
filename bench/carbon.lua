-- POST /api/v1/carbon as a random user of the token pool (a user-only write).   args: TOKENS_FILE
dofile("bench/status_count.lua")
local trips = {
  '{"vehicle_type":"car","fuel_type":"petrol","distance_km":%d.5,"passengers":%d}',
  '{"vehicle_type":"motorbike","fuel_type":"petrol","distance_km":%d.5,"passengers":%d}',
  '{"vehicle_type":"bus","fuel_type":"diesel","distance_km":%d.5,"passengers":%d}',
}
function init(args)
  statuses = {}
  tokens = load_tokens(args[1])
  math.randomseed(os.time() * 100 + id)
end
function request()
  local body = string.format(trips[math.random(#trips)], math.random(1, 120), math.random(1, 4))
  return wrk.format("POST", "/api/v1/carbon",
    { ["Authorization"] = tokens[math.random(#tokens)], ["Content-Type"] = "application/json" }, body)
end
