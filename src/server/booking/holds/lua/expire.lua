-- Publish the release of holds whose TTL has passed (the sweeper calls this). Redis has
-- already freed the seats by expiring their keys; this only tidies the index and tells
-- every viewer. Seats whose key still exists (extended meanwhile) are left alone.
--
-- KEYS[1] version  KEYS[2] expiry index  KEYS[3] waiting line  KEYS[4] line-served flag
-- KEYS[5..] seat hold keys
-- ARGV[1] event channel  ARGV[2..] seat ids
--
-- Returns {version_or_empty, next_expiry_ms_or_empty, line_length}
local channel = ARGV[1]
local seats = {}
for i = 5, #KEYS do
  local seat = ARGV[i - 3]
  if redis.call('EXISTS', KEYS[i]) == 0 then
    redis.call('ZREM', KEYS[2], seat)
    seats[#seats + 1] = tonumber(seat)
  end
end
local version = ''
if #seats > 0 then
  version = tostring(redis.call('INCR', KEYS[1]))
  -- Seats were freed: the waiting line has first claim on them until it is served again.
  redis.call('DEL', KEYS[4])
  redis.call('PUBLISH', channel, cjson.encode({ version = version + 0, kind = 'expired', seats = seats }))
end
local next = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
return {version, next[2] or '', tostring(redis.call('ZCARD', KEYS[3]))}
