-- Megan (the owner of payments-api) clicks Approve on a pending request's card: every click
-- decides a different request, EXC-<n> for n in this thread's share of [BENCH_FIRST, BENCH_LAST].
-- A thread that runs past its share counts the clicks in "overrun" (they would not be real
-- decisions): bench.run reports them as errors.
-- env: BENCH_FIRST, BENCH_LAST, BENCH_THREADS, BENCH_SERVICE_URL, BENCH_LUA_DIR
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local service_url = os.getenv("BENCH_SERVICE_URL")
local headers = {["Content-Type"] = "application/json"}
local head, middle, tail
local next_id, last_id
sent = 0
overrun = 0

function init(args)
  local first = tonumber(os.getenv("BENCH_FIRST"))
  local last = tonumber(os.getenv("BENCH_LAST"))
  local nthreads = tonumber(os.getenv("BENCH_THREADS"))
  local share = math.floor((last - first + 1) / nthreads)
  next_id = first + (tid or 0) * share
  last_id = next_id + share - 1
  -- every click is its own activity (Teams gives each one an id; a repeated id acts once)
  head = '{"type":"invoke","name":"adaptiveCard/action","id":"in-bench-'
  middle = '","timestamp":"2026-11-27T10:00:00.000Z","channelId":"msteams",' ..
    '"serviceUrl":"' .. service_url .. '",' ..
    '"from":{"id":"29:megan","name":"Megan Bowen",' ..
    '"aadObjectId":"00000000-0000-0000-0000-0000000000021"},' ..
    '"recipient":{"id":"28:signoff-bot","name":"Signoff"},' ..
    '"conversation":{"id":"a:personal-megan","conversationType":"personal",' ..
    '"tenantId":"00000000-0000-0000-0000-0000000000001","isGroup":false},' ..
    '"channelData":{"tenant":{"id":"00000000-0000-0000-0000-0000000000001"}},' ..
    '"locale":"en-US","replyToId":"card-bench",' ..
    '"value":{"action":{"type":"Action.Execute","verb":"decision.approve",' ..
    '"data":{"requestId":"EXC-'
  tail = '","comment":"bench"}},"trigger":"manual"}}'
end

function request()
  local n = next_id
  if n > last_id then
    overrun = overrun + 1
  else
    next_id = n + 1
  end
  sent = sent + 1
  return wrk.format("POST", wrk.path, headers, head .. n .. middle .. n .. tail)
end
