-- Join a showtime's waiting line, at the back. Refused (changing nothing) when the session
-- is already in line or holds seats, when enough seats are free for the party, or when the
-- line is full.
--
-- KEYS[1] sold set  KEYS[2] sold-loaded flag  KEYS[3] waiting line  KEYS[4] line party sizes
-- KEYS[5] line join counter  KEYS[6] session's held seat set  KEYS[7..] every seat's hold key
-- ARGV[1] session  ARGV[2] party size  ARGV[3] line length cap  ARGV[4] event channel
-- ARGV[5..] every seat id (same order as KEYS[7..])
--
-- Returns {'ok', position} | {'already', position} | {'holding'}
--       | {'available', free_seats} | {'full'} | {'needs_sold'}
local session, party, cap, channel = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
if redis.call('EXISTS', KEYS[2]) == 0 then
  return {'needs_sold'}
end
local rank = redis.call('ZRANK', KEYS[3], session)
if rank then
  return {'already', tostring(rank + 1)}
end
if redis.call('SCARD', KEYS[6]) > 0 then
  return {'holding'}
end
-- A seat is free when it is neither sold nor held (a lapsed hold counts as free).
local free = 0
for i = 7, #KEYS do
  if redis.call('SISMEMBER', KEYS[1], ARGV[i - 2]) == 0 and redis.call('EXISTS', KEYS[i]) == 0 then
    free = free + 1
  end
end
if free >= party then
  return {'available', tostring(free)}
end
local length = redis.call('ZCARD', KEYS[3])
if length >= cap then
  return {'full'}
end
local number = redis.call('INCR', KEYS[5])
redis.call('ZADD', KEYS[3], number, session)
redis.call('HSET', KEYS[4], session, party)
-- Line events change no seat, so they carry no version of their own.
redis.call('PUBLISH', channel, cjson.encode({
  version = 0, kind = 'line', change = 'joined', sessions = { session },
}))
return {'ok', tostring(length + 1)}
