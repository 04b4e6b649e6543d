-- Hold seats for one session, all or nothing.
--
-- KEYS[1] sold set        KEYS[2] sold-loaded flag   KEYS[3] version counter
-- KEYS[4] expiry index    KEYS[5] holder hash        KEYS[6] holder's seat set
-- KEYS[7] waiting line     KEYS[8] line-served flag (present: served since seats last freed)
-- KEYS[9..] one hold key per requested seat (same order as ARGV[5..])
-- ARGV[1] session  ARGV[2] hold TTL (ms)  ARGV[3] max seats per session  ARGV[4] event channel
-- ARGV[5..] seat ids
--
-- Returns {'ok', expires_at_ms, version, extensions_used, now_ms, my seat...}
--       | {'taken', seat...} | {'too_many', currently_held} | {'needs_sold'}
--       | {'in_line'} | {'serve_line'}
local session, ttl, max, channel = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]

-- After a Redis restart the sold set is empty until rebuilt from Postgres: hold nothing
-- until then, or a sold seat could be held and bought again.
if redis.call('EXISTS', KEYS[2]) == 0 then
  return {'needs_sold'}
end

local n = #KEYS - 8

-- While people wait in line, free seats are theirs first. Someone in line gets seats only
-- by an offer. Anyone else may take a free seat only once the line has been served since
-- seats were last freed, and no hold has lapsed unannounced since (its seats count as
-- freed); otherwise `serve_line`: the caller serves the line and asks again. Holds do not
-- free seats, so people picking at the same time do not send each other back.
if redis.call('ZCARD', KEYS[7]) > 0 then
  if redis.call('ZSCORE', KEYS[7], session) then
    return {'in_line'}
  end
  if redis.call('EXISTS', KEYS[8]) == 0 then
    return {'serve_line'}
  end
  local time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  if #redis.call('ZRANGE', KEYS[4], '-inf', now, 'BYSCORE', 'LIMIT', 0, 1) > 0 then
    return {'serve_line'}
  end
end

local conflicts, fresh = {}, {}
for i = 1, n do
  local seat = ARGV[4 + i]
  if redis.call('SISMEMBER', KEYS[1], seat) == 1 then
    conflicts[#conflicts + 1] = seat
  else
    local holder = redis.call('GET', KEYS[8 + i])
    if not holder then
      fresh[#fresh + 1] = i
    elseif holder ~= session then
      conflicts[#conflicts + 1] = seat
    end
  end
end
if #conflicts > 0 then
  table.insert(conflicts, 1, 'taken')
  return conflicts
end

local held = redis.call('SCARD', KEYS[6])
if held + #fresh > max then
  return {'too_many', tostring(held)}
end

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

-- One expiry per session and showtime: seats added later join the running clock, so
-- re-clicking never buys more time. The holder hash outlives a full release until that
-- expiry, which is what keeps the extension count from being reset by release + re-hold.
local expires = tonumber(redis.call('HGET', KEYS[5], 'expires_at') or '0')
if expires <= now then
  expires = now + ttl
  redis.call('HSET', KEYS[5], 'expires_at', expires, 'extensions', 0)
end
local used = redis.call('HGET', KEYS[5], 'extensions') or '0'
local version = redis.call('GET', KEYS[3]) or '0'

if #fresh > 0 then
  local seats = {}
  for _, i in ipairs(fresh) do
    local seat = ARGV[4 + i]
    redis.call('SET', KEYS[8 + i], session, 'PXAT', expires)
    redis.call('ZADD', KEYS[4], expires, seat)
    redis.call('SADD', KEYS[6], seat)
    seats[#seats + 1] = tonumber(seat)
  end
  version = redis.call('INCR', KEYS[3])
  redis.call('PUBLISH', channel, cjson.encode({
    version = version, kind = 'held', seats = seats, holder = session, expires_at = expires,
    now = now,
  }))
end
redis.call('PEXPIREAT', KEYS[5], expires)
redis.call('PEXPIREAT', KEYS[6], expires)
local reply = {'ok', tostring(expires), tostring(version), tostring(used), tostring(now)}
for _, seat in ipairs(redis.call('SMEMBERS', KEYS[6])) do
  reply[#reply + 1] = seat
end
return reply
