-- Leave a showtime's waiting line (a session not in line changes nothing).
--
-- KEYS[1] waiting line  KEYS[2] line party sizes
-- ARGV[1] session  ARGV[2] event channel
--
-- Returns 1 if the session was in line, else 0
local session = ARGV[1]
if redis.call('ZREM', KEYS[1], session) == 0 then
  return 0
end
redis.call('HDEL', KEYS[2], session)
redis.call('PUBLISH', ARGV[2], cjson.encode({
  version = 0, kind = 'line', change = 'left', sessions = { session },
}))
return 1
