-- Shared by the write scripts: counts answers by status per thread and prints
-- "STATUS 201=n 409=m ..." when wrk is done (bench.py reads that line).
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local total, parts = {}, {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses") or {}) do total[k] = (total[k] or 0) + v end
  end
  for k, v in pairs(total) do parts[#parts + 1] = k .. "=" .. v end
  table.sort(parts)
  io.write("STATUS " .. table.concat(parts, " ") .. "\n")
end
-- Tokens file: one "user_id token" per line (minted by bench.py).
function load_tokens(path)
  local list = {}
  for line in io.lines(path) do
    local tok = line:match("^%d+ (%S+)$")
    if tok then list[#list + 1] = "Bearer " .. tok end
  end
  return list
end
