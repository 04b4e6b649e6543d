-- Mark seats sold (after the order is committed in Postgres) and drop their holds.
--
-- KEYS[1] sold set  KEYS[2] version  KEYS[3] expiry index  KEYS[4] holder seat set
-- KEYS[5] holder hash  KEYS[6..] seat hold keys
-- ARGV[1] event channel  ARGV[2..] seat ids
--
-- Returns version
local channel = ARGV[1]
local n = #KEYS - 5
local seats = {}
for i = 1, n do
  local seat = ARGV[1 + i]
  redis.call('SADD', KEYS[1], seat)
  redis.call('DEL', KEYS[5 + i])
  redis.call('ZREM', KEYS[3], seat)
  redis.call('SREM', KEYS[4], seat)
  seats[#seats + 1] = tonumber(seat)
end
-- A bought offer is over: whatever this session holds next is its own pick, with a clock
-- and extensions of its own.
if redis.call('SCARD', KEYS[4]) == 0 and redis.call('HGET', KEYS[5], 'offer') then
  redis.call('DEL', KEYS[5])
end
local version = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', channel, cjson.encode({ version = version, kind = 'sold', seats = seats }))
return tostring(version)
