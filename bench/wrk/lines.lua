-- POST pre-signed requests read from BENCH_LINES: one "path<TAB>signature<TAB>body" a line.
-- Thread t sends lines t, t+n, t+2n...; each line goes once unless the run outlasts the file.
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  lines = {}
  local nthreads = tonumber(os.getenv("BENCH_THREADS"))
  local n = 0
  for line in io.lines(os.getenv("BENCH_LINES")) do
    if n % nthreads == id then
      local path, signature, body = line:match("([^\t]*)\t([^\t]*)\t(.*)")
      table.insert(lines, {path, signature, body})
    end
    n = n + 1
  end
  position = 0
end

function request()
  position = position % #lines + 1
  local item = lines[position]
  return wrk.format("POST", item[1], {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Twilio-Signature"] = item[2],
  }, item[3])
end
