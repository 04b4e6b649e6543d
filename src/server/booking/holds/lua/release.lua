-- Release seats held by one session. Refuses (changing nothing) if any seat is held by
-- someone else; seats that are not held at all are ignored, so a retry is harmless.
--
-- KEYS[1] version  KEYS[2] expiry index  KEYS[3] holder hash  KEYS[4] holder seat set
-- KEYS[5] waiting line  KEYS[6] line-served flag  KEYS[7..] seat hold keys
-- ARGV[1] session  ARGV[2] event channel  ARGV[3..] seat ids
--
-- Returns {'ok', version, expires_at_ms_or_empty, extensions_used, now_ms, line_length,
--          remaining seat...}
--       | {'not_yours', seat...}
local session, channel = ARGV[1], ARGV[2]
local n = #KEYS - 6
local mine, foreign = {}, {}
for i = 1, n do
  local holder = redis.call('GET', KEYS[6 + i])
  if holder == session then
    mine[#mine + 1] = i
  elseif holder then
    foreign[#foreign + 1] = ARGV[2 + i]
  end
end
if #foreign > 0 then
  table.insert(foreign, 1, 'not_yours')
  return foreign
end
local function reply(version)
  local time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  local out = {
    'ok', tostring(version), redis.call('HGET', KEYS[3], 'expires_at') or '',
    redis.call('HGET', KEYS[3], 'extensions') or '0', tostring(now),
    tostring(redis.call('ZCARD', KEYS[5])),
  }
  for _, seat in ipairs(redis.call('SMEMBERS', KEYS[4])) do
    out[#out + 1] = seat
  end
  return out
end
if #mine == 0 then
  return reply(redis.call('GET', KEYS[1]) or '0')
end
local seats = {}
for _, i in ipairs(mine) do
  local seat = ARGV[2 + i]
  redis.call('DEL', KEYS[6 + i])
  redis.call('ZREM', KEYS[2], seat)
  redis.call('SREM', KEYS[4], seat)
  seats[#seats + 1] = tonumber(seat)
end
-- A released offer is an offer declined: whatever this session holds next is its own pick,
-- with a clock and extensions of its own.
if redis.call('SCARD', KEYS[4]) == 0 and redis.call('HGET', KEYS[3], 'offer') then
  redis.call('DEL', KEYS[3])
end
-- Seats were freed: the waiting line has first claim on them until it is served again.
redis.call('DEL', KEYS[6])
local version = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', channel, cjson.encode({ version = version, kind = 'released', seats = seats }))
return reply(version)
