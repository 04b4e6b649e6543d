-- Extend a session's hold by a fixed amount, at most a fixed number of times.
-- Contract: `holds::contracts::Extend`.
--
-- K.version, K.expiry, K.holder, K.holder_seats,
-- K.seat[i]: hold keys of every seat the caller read from the holder seat set (A.seats)
-- A.session, A.channel, A.step (ms), A.max (extensions), A.seats
--
-- Replies ok {expires_at, version, extensions, now} | expired | limit
--       | retry (the caller's view of the seat set is stale)
local session = A.session
local n = #A.seats
local expires = redis.call('HGET', K.holder, 'expires_at')
if not expires or n == 0 then
  return reply('expired')
end
if redis.call('SCARD', K.holder_seats) ~= n then
  return reply('retry')
end
for i = 1, n do
  if redis.call('GET', K.seat[i]) ~= session then
    return reply('retry')
  end
end
local used = tonumber(redis.call('HGET', K.holder, 'extensions') or '0')
if used >= A.max then
  return reply('limit')
end
local new = tonumber(expires) + A.step
for i, seat in ipairs(A.seats) do
  redis.call('PEXPIREAT', K.seat[i], new)
  redis.call('ZADD', K.expiry, new, seat)
end
redis.call('HSET', K.holder, 'expires_at', new, 'extensions', used + 1)
redis.call('PEXPIREAT', K.holder, new)
redis.call('PEXPIREAT', K.holder_seats, new)
local version = redis.call('INCR', K.version)
local now = now_ms()
publish({
  version = version, kind = 'extended', seats = A.seats, holder = session, expires_at = new,
  now = now,
})
return reply('ok', { expires_at = new, version = version, extensions = used + 1, now = now })
