-- GET /api/v1/destinations?q=... : accent-insensitive substring search (trigram GIN index).
-- A mix of broad words (thousands of matches), places, and narrow "name + number" queries.
local n = 0
function setup(thread) n = n + 1; thread:set("id", n) end
local words = {
  "Hội An", "hoi an", "Đà Lạt", "da lat", "Chùa Huế", "pho", "Quán phở", "ca phe", "Homestay Sa Pa",
  "bảo tàng", "Bãi biển Nha Trang", "ben xe buyt", "Chợ Cần Thơ", "khach san xanh", "lang nghe",
  "Hoàn Kiếm", "Bangkok", "Zürich", "Trạm xe đạp Vinh", "Ninh Bình 12", "Hồ Hà Nội 4", "Phú Quốc 77",
}
local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(ch) return string.format("%%%02X", ch:byte()) end))
end
function init(args)
  math.randomseed(os.time() * 100 + id)
  paths = {}
  for i, w in ipairs(words) do paths[i] = "/api/v1/destinations?q=" .. urlencode(w) end
end
function request() return wrk.format("GET", paths[math.random(#paths)]) end
