-- Hold seats for one session, all or nothing. Contract: `holds::contracts::Hold`.
--
-- K.sold, K.sold_loaded, K.version, K.expiry, K.holder, K.holder_seats, K.line,
-- K.line_served (present: served since seats were last freed), K.seat[i] (hold key of A.seats[i]),
-- K.ip_seats (seat -> expiry of the seats held from the caller's address)
-- A.session, A.ttl (ms), A.max (seats per session), A.ip_max (seats per address), A.channel,
-- A.seats, A.life (ms: the longest a hold may last with every extension and checkout)
--
-- Replies ok {expires_at, version, extensions, now, seats (all of the hold)} | taken {seats}
--       | too_many {held} | client_full | needs_sold | in_line | serve_line
if sold_cache_missing() then
  return NEEDS_SOLD
end
local session = A.session

-- While people wait in line, free seats are theirs first. Someone in line gets seats only
-- by an offer. Anyone else may take a free seat only once the line has been served since
-- seats were last freed, and no hold has lapsed unannounced since (its seats count as
-- freed); otherwise `serve_line`: the caller serves the line and asks again. Holds do not
-- free seats, so people picking at the same time do not send each other back.
if redis.call('ZCARD', K.line) > 0 then
  if redis.call('ZSCORE', K.line, session) then
    return reply('in_line')
  end
  if redis.call('EXISTS', K.line_served) == 0 then
    return reply('serve_line')
  end
  if #redis.call('ZRANGE', K.expiry, '-inf', now_ms(), 'BYSCORE', 'LIMIT', 0, 1) > 0 then
    return reply('serve_line')
  end
end

local conflicts, fresh = {}, {}
for i, seat in ipairs(A.seats) do
  if redis.call('SISMEMBER', K.sold, seat) == 1 then
    conflicts[#conflicts + 1] = seat
  else
    local holder = redis.call('GET', K.seat[i])
    if not holder then
      fresh[#fresh + 1] = i
    elseif holder ~= session then
      conflicts[#conflicts + 1] = seat
    end
  end
end
if #conflicts > 0 then
  return reply('taken', { seats = conflicts })
end

local held = redis.call('SCARD', K.holder_seats)
if held + #fresh > A.max then
  return reply('too_many', { held = held })
end

local now = now_ms()

-- Sessions are free, addresses are not: seats held from one address are capped too. A seat
-- counts until its hold's first expiry (released seats leave at once).
redis.call('ZREMRANGEBYSCORE', K.ip_seats, '-inf', now)
if #fresh > 0 and redis.call('ZCARD', K.ip_seats) + #fresh > A.ip_max then
  return reply('client_full')
end

-- One expiry per session and showtime: seats added later join the running clock, so
-- re-clicking never buys more time. The holder hash outlives a full release until that
-- expiry, which is what keeps the extension count from being reset by release + re-hold.
local expires = tonumber(redis.call('HGET', K.holder, 'expires_at') or '0')
if expires <= now then
  expires = now + A.ttl
  redis.call('HSET', K.holder, 'expires_at', expires, 'extensions', 0, 'ceiling', now + A.life)
end
local used = tonumber(redis.call('HGET', K.holder, 'extensions') or '0')
local version = tonumber(redis.call('GET', K.version) or '0')

if #fresh > 0 then
  local seats = {}
  for _, i in ipairs(fresh) do
    local seat = A.seats[i]
    redis.call('SET', K.seat[i], session, 'PXAT', expires)
    redis.call('ZADD', K.expiry, expires, seat)
    redis.call('SADD', K.holder_seats, seat)
    redis.call('ZADD', K.ip_seats, expires, seat)
    seats[#seats + 1] = seat
  end
  if redis.call('PTTL', K.ip_seats) < expires - now then
    redis.call('PEXPIREAT', K.ip_seats, expires)
  end
  version = redis.call('INCR', K.version)
  publish({
    version = version, kind = 'held', seats = seats, holder = session, expires_at = expires,
    now = now,
  })
end
redis.call('PEXPIREAT', K.holder, expires)
redis.call('PEXPIREAT', K.holder_seats, expires)
local mine = {}
for _, seat in ipairs(redis.call('SMEMBERS', K.holder_seats)) do
  mine[#mine + 1] = tonumber(seat)
end
return reply('ok', { expires_at = expires, version = version, extensions = used, now = now, seats = mine })
