-- POSTs GraphQL bodies to colead (or PostGraphile) and counts answers that carry
-- errors or user errors. Environment:
--   BENCH_BODY   file with one JSON body (every request sends it), or
--   BENCH_LINES  file with one "token<TAB>body" per line, walked by each thread in turn
--   BENCH_TOKEN  bearer token for BENCH_BODY (optional)
--   BENCH_THREADS  wrk's -t, so that threads walk BENCH_LINES without overlap

local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local function read_all(path)
  local f = assert(io.open(path, "r"))
  local s = f:read("*a")
  f:close()
  return s
end

function init(args)
  errors = 0
  lines = {}
  local path = os.getenv("BENCH_LINES")
  if path then
    for line in io.lines(path) do
      local token, body = line:match("^([^\t]*)\t(.*)$")
      table.insert(lines, { token = token, body = body })
    end
    -- Each thread walks its own stride so that no two requests share a line.
    step = tonumber(os.getenv("BENCH_THREADS") or "2")
    next_line = id + 1
  else
    body = read_all(os.getenv("BENCH_BODY"))
  end
  headers = { ["Content-Type"] = "application/json", ["Accept"] = "application/json" }
  local token = os.getenv("BENCH_TOKEN")
  if token and token ~= "" then
    headers["Authorization"] = "Bearer " .. token
  end
end

function request()
  if #lines > 0 then
    local l = lines[((next_line - 1) % #lines) + 1]
    next_line = next_line + step
    local h = { ["Content-Type"] = "application/json", ["Accept"] = "application/json",
                ["Authorization"] = "Bearer " .. l.token }
    return wrk.format("POST", nil, h, l.body)
  end
  return wrk.format("POST", nil, headers, body)
end

function response(status, headers, body)
  if status ~= 200 or body:find('"errors"', 1, true) or body:find('"userErrors":[{', 1, true) then
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do
    total = total + (t:get("errors") or 0)
  end
  io.write(string.format("GRAPHQL_ERRORS %d\n", total))
end
