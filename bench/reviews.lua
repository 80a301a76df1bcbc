-- POST /api/v1/reviews: a random user of the token pool reviews a random destination
-- (validated through destination-service). Pairs are random among 10^4 x 10^5, so 409s are rare.
--   args: TOKENS_FILE MAX_DEST_ID
dofile("bench/status_count.lua")
function init(args)
  statuses = {}
  tokens = load_tokens(args[1])
  max_dest = tonumber(args[2])
  math.randomseed(os.time() * 100 + id)
end
function request()
  local body = string.format('{"destination_id":%d,"rating":%d,"content":"Cảnh đẹp, đồ ăn chay ngon. Sẽ quay lại!"}',
    math.random(1, max_dest), math.random(1, 5))
  return wrk.format("POST", "/api/v1/reviews",
    { ["Authorization"] = tokens[math.random(#tokens)], ["Content-Type"] = "application/json" }, body)
end
