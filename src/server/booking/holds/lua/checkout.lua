-- Start checkout: verify that the session holds exactly these seats, none sold, and make
-- the hold last at least `grace` more milliseconds so it cannot lapse during payment.
--
-- KEYS[1] sold set  KEYS[2] expiry index  KEYS[3] holder hash  KEYS[4] holder seat set
-- KEYS[5..] seat hold keys
-- ARGV[1] session  ARGV[2] grace (ms)  ARGV[3..] seat ids
--
-- Returns {'ok', expires_at_ms} | {'sold', seat...} | {'not_yours', seat...}
--       | {'expired', seat...} | {'mismatch', held_count}
local session, grace = ARGV[1], tonumber(ARGV[2])
local n = #KEYS - 4
local sold, foreign, lapsed = {}, {}, {}
for i = 1, n do
  local seat = ARGV[2 + i]
  if redis.call('SISMEMBER', KEYS[1], seat) == 1 then
    sold[#sold + 1] = seat
  else
    local holder = redis.call('GET', KEYS[4 + i])
    if not holder then
      lapsed[#lapsed + 1] = seat
    elseif holder ~= session then
      foreign[#foreign + 1] = seat
    end
  end
end
if #sold > 0 then table.insert(sold, 1, 'sold') return sold end
if #foreign > 0 then table.insert(foreign, 1, 'not_yours') return foreign end
if #lapsed > 0 then table.insert(lapsed, 1, 'expired') return lapsed end
local held = redis.call('SCARD', KEYS[4])
if held ~= n then
  return {'mismatch', tostring(held)}
end

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local expires = tonumber(redis.call('HGET', KEYS[3], 'expires_at') or '0')
if expires < now + grace then
  expires = now + grace
  for i = 1, n do
    redis.call('PEXPIREAT', KEYS[4 + i], expires)
    redis.call('ZADD', KEYS[2], expires, ARGV[2 + i])
  end
  redis.call('HSET', KEYS[3], 'expires_at', expires)
  redis.call('PEXPIREAT', KEYS[3], expires)
  redis.call('PEXPIREAT', KEYS[4], expires)
end
return {'ok', tostring(expires)}
