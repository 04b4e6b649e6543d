-- Release seats held by one session. Refuses (changing nothing) if any seat is held by
-- someone else; seats that are not held at all are ignored, so a retry is harmless.
-- Contract: `holds::contracts::Release`.
--
-- K.version, K.expiry, K.holder, K.holder_seats, K.line, K.line_served, K.seat[i],
-- K.ip_seats (the seats held from the caller's address)
-- A.session, A.channel, A.seats
--
-- Replies ok {version, expires_at (absent without a hold), extensions, now, line_length,
--             seats (what is still held)} | not_yours {seats}
local session = A.session
local mine, foreign = {}, {}
for i, seat in ipairs(A.seats) do
  local holder = redis.call('GET', K.seat[i])
  if holder == session then
    mine[#mine + 1] = i
  elseif holder then
    foreign[#foreign + 1] = seat
  end
end
if #foreign > 0 then
  return reply('not_yours', { seats = foreign })
end

local function released(version)
  local remaining = {}
  for _, seat in ipairs(redis.call('SMEMBERS', K.holder_seats)) do
    remaining[#remaining + 1] = tonumber(seat)
  end
  return reply('ok', {
    version = tonumber(version),
    expires_at = tonumber(redis.call('HGET', K.holder, 'expires_at')),
    extensions = tonumber(redis.call('HGET', K.holder, 'extensions') or '0'),
    now = now_ms(),
    line_length = redis.call('ZCARD', K.line),
    seats = remaining,
  })
end
if #mine == 0 then
  return released(redis.call('GET', K.version) or '0')
end

local seats = {}
for _, i in ipairs(mine) do
  local seat = A.seats[i]
  redis.call('DEL', K.seat[i])
  redis.call('ZREM', K.expiry, seat)
  redis.call('SREM', K.holder_seats, seat)
  redis.call('ZREM', K.ip_seats, seat)
  seats[#seats + 1] = seat
end
-- A released offer is an offer declined: whatever this session holds next is its own pick,
-- with a clock and extensions of its own.
if redis.call('SCARD', K.holder_seats) == 0 and redis.call('HGET', K.holder, 'offer') then
  redis.call('DEL', K.holder)
end
line_unserved()
local version = redis.call('INCR', K.version)
publish({ version = version, kind = 'released', seats = seats })
return released(version)
