-- Rate limits: the generic cell rate algorithm over several buckets at once, all or nothing.
-- Contract: `limits::Gcra`.
--
-- A bucket allows `count` requests per `period`, all at once if need be: it stores the
-- theoretical arrival time (TAT) of the next request, which moves `interval` (period / count)
-- ahead per request and may run at most `tolerance` (the period) ahead of now.
--
-- K.bucket[i]; A.interval[i], A.tolerance[i] (ms); A.consume: count this request (false: only
-- ask whether it would be allowed)
--
-- Replies ok | limited {retry_after_ms}
local now = now_ms()
local tats, wait = {}, 0
for i, key in ipairs(K.bucket) do
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then
    tat = now
  end
  tats[i] = tat + A.interval[i]
  local over = tats[i] - now - A.tolerance[i]
  if over > wait then
    wait = over
  end
end
if wait > 0 then
  return reply('limited', { retry_after_ms = wait })
end
if A.consume then
  for i, key in ipairs(K.bucket) do
    redis.call("SET", key, tats[i], "PX", math.max(1, tats[i] - now))
  end
end
return reply('ok')
