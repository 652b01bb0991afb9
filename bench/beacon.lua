-- wrk script: appeal events from many readers (one address each, as seen behind
-- the proxy), so the per-client rate limit does not turn the run into 429s.
local variant = os.getenv("BENCH_VARIANT")
local appeal = os.getenv("BENCH_APPEAL")
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/plain;charset=UTF-8"
wrk.body = '{"event":"impression","appeal":' .. appeal .. ',"variant":' .. variant .. '}'
local n = 0
request = function()
  n = n + 1
  -- wrk runs LuaJIT (Lua 5.1): no // operator.
  local address = string.format("198.18.%d.%d", math.floor(n / 250) % 250, n % 250 + 1)
  return wrk.format(nil, nil, {
    ["Content-Type"] = "text/plain;charset=UTF-8",
    ["X-Forwarded-For"] = address,
  })
end
