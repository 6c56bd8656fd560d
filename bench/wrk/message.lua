-- A Teams personal-chat message turn. Each thread rotates through its own users (each with
-- their own 1:1 conversation), so no two turns in flight share a conversation, as in Teams.
-- env: BENCH_TEXT (the message text), BENCH_SERVICE_URL (the fake connector), BENCH_LUA_DIR
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")

local USERS_PER_THREAD = 64
local text = os.getenv("BENCH_TEXT") or "who owns payments-api"
local service_url = os.getenv("BENCH_SERVICE_URL")
local headers = {["Content-Type"] = "application/json"}
local requests_by_user = {}
sent = 0

function init(args)
  for u = 0, USERS_PER_THREAD - 1 do
    local key = string.format("%d-%d", tid or 0, u)
    local aad = string.format("00000000-0000-0000-0001-%012d", (tid or 0) * 10000 + u)
    local body = '{"type":"message","id":"in-bench","timestamp":"2026-11-27T10:00:00.000Z",' ..
      '"channelId":"msteams","serviceUrl":"' .. service_url .. '",' ..
      '"from":{"id":"29:bench-' .. key .. '","name":"Bench User ' .. key ..
      '","aadObjectId":"' .. aad .. '"},' ..
      '"recipient":{"id":"28:signoff-bot","name":"Signoff"},' ..
      '"conversation":{"id":"a:personal-bench-' .. key .. '","conversationType":"personal",' ..
      '"tenantId":"00000000-0000-0000-0000-0000000000001","isGroup":false},' ..
      '"channelData":{"tenant":{"id":"00000000-0000-0000-0000-0000000000001"}},' ..
      '"locale":"en-US","text":"' .. text .. '"}'
    requests_by_user[u] = wrk.format("POST", wrk.path, headers, body)
  end
end

function request()
  local r = requests_by_user[sent % USERS_PER_THREAD]
  sent = sent + 1
  return r
end
