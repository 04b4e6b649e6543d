-- Extend a session's hold by a fixed amount, at most a fixed number of times.
--
-- KEYS[1] version  KEYS[2] expiry index  KEYS[3] holder hash  KEYS[4] holder seat set
-- KEYS[5..] hold keys of every seat the caller read from the holder seat set
-- ARGV[1] session  ARGV[2] event channel  ARGV[3] extension (ms)  ARGV[4] max extensions
-- ARGV[5..] seat ids
--
-- Returns {'ok', expires_at_ms, version, extensions_used, now_ms} | {'expired'} | {'limit'} | {'retry'}
local session, channel = ARGV[1], ARGV[2]
local step, max = tonumber(ARGV[3]), tonumber(ARGV[4])
local n = #KEYS - 4
local expires = redis.call('HGET', KEYS[3], 'expires_at')
if not expires or n == 0 then
  return {'expired'}
end
-- The caller's view of the seat set is stale (a seat was added or released meanwhile).
if redis.call('SCARD', KEYS[4]) ~= n then
  return {'retry'}
end
for i = 1, n do
  if redis.call('GET', KEYS[4 + i]) ~= session then
    return {'retry'}
  end
end
local used = tonumber(redis.call('HGET', KEYS[3], 'extensions') or '0')
if used >= max then
  return {'limit'}
end
local new = tonumber(expires) + step
local seats = {}
for i = 1, n do
  redis.call('PEXPIREAT', KEYS[4 + i], new)
  redis.call('ZADD', KEYS[2], new, ARGV[4 + i])
  seats[#seats + 1] = tonumber(ARGV[4 + i])
end
redis.call('HSET', KEYS[3], 'expires_at', new, 'extensions', used + 1)
redis.call('PEXPIREAT', KEYS[3], new)
redis.call('PEXPIREAT', KEYS[4], new)
local version = redis.call('INCR', KEYS[1])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('PUBLISH', channel, cjson.encode({
  version = version, kind = 'extended', seats = seats, holder = session, expires_at = new,
  now = now,
}))
return {'ok', tostring(new), tostring(version), tostring(used + 1), tostring(now)}
