-- GET /api/v1/destinations/nearby?lat=&lon=&radius_km=5 around a random city (jittered ~5 km).
local n = 0
function setup(thread) n = n + 1; thread:set("id", n) end
local cities = {
  {21.0285, 105.8542}, {10.7769, 106.7009}, {16.0544, 108.2022}, {16.4637, 107.5909}, {15.8801, 108.3380},
  {12.2388, 109.1967}, {11.9404, 108.4583}, {22.3364, 103.8438}, {20.9599, 107.0425}, {10.0452, 105.7469},
  {13.7563, 100.5018}, {48.8566, 2.3522}, {14.5, 104.0},  -- the last one: countryside, few results
}
function init(args) math.randomseed(os.time() * 100 + id) end
function request()
  local c = cities[math.random(#cities)]
  local lat = c[1] + (math.random() - 0.5) * 0.1
  local lon = c[2] + (math.random() - 0.5) * 0.1
  return wrk.format("GET", string.format("/api/v1/destinations/nearby?lat=%.5f&lon=%.5f&radius_km=5", lat, lon))
end
