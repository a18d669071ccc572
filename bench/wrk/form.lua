-- POST /api/v1/widgets/<key>/callbacks with a distinct fictional number each time.
-- wrk.path is the endpoint; BENCH_PREFIXES (comma-separated) come from the environment.
-- BENCH_FORWARDED (any value) gives each request its own client address in
-- X-Forwarded-For (198.18.0.0/15, the benchmarking range), as visitors come from many.
local counter = 0
local threads = {}
local prefixes = {}
for p in string.gmatch(os.getenv("BENCH_PREFIXES"), "[^,]+") do
  table.insert(prefixes, p)
end

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  nthreads = tonumber(os.getenv("BENCH_THREADS"))
end

function request()
  -- Thread t takes numbers t, t+n, t+2n... of the 13,000, so no two requests share one.
  local index = (id + counter * nthreads) % (#prefixes * 1000)
  counter = counter + 1
  local prefix = prefixes[math.floor(index / 1000) + 1]
  local phone = prefix .. string.format("%04d", index % 1000)
  local body = '{"phone": "' .. phone .. '", "consent": true, "page_url": "https://www.example.com/pricing"}'
  local headers = {["Content-Type"] = "application/json", ["Origin"] = "https://www.example.com"}
  if os.getenv("BENCH_FORWARDED") then
    headers["X-Forwarded-For"] = string.format("198.18.%d.%d", math.floor(index / 256), index % 256)
  end
  return wrk.format("POST", wrk.path, headers, body)
end
