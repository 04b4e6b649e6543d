-- Start checkout: verify that the session holds exactly these seats, none sold, and make
-- the hold last at least `A.grace` more milliseconds so it cannot lapse during payment, but
-- never past the hold's ceiling (set when it was made: no number of attempts buys more).
-- Contract: `holds::contracts::Checkout`.
--
-- K.sold, K.expiry, K.holder, K.holder_seats, K.seat[i] (hold key of A.seats[i])
-- A.session, A.grace (ms), A.seats
--
-- Replies ok {expires_at, stretched_from (absent when not stretched)} | sold {seats}
--       | not_yours {seats} | expired {seats}
--       | mismatch {held}
local session = A.session
local n = #A.seats
local sold, foreign, lapsed = {}, {}, {}
for i, seat in ipairs(A.seats) do
  if redis.call('SISMEMBER', K.sold, seat) == 1 then
    sold[#sold + 1] = seat
  else
    local holder = redis.call('GET', K.seat[i])
    if not holder then
      lapsed[#lapsed + 1] = seat
    elseif holder ~= session then
      foreign[#foreign + 1] = seat
    end
  end
end
if #sold > 0 then return reply('sold', { seats = sold }) end
if #foreign > 0 then return reply('not_yours', { seats = foreign }) end
if #lapsed > 0 then return reply('expired', { seats = lapsed }) end
local held = redis.call('SCARD', K.holder_seats)
if held ~= n then
  return reply('mismatch', { held = held })
end

local now = now_ms()
local expires = tonumber(redis.call('HGET', K.holder, 'expires_at') or '0')
local ceiling = tonumber(redis.call('HGET', K.holder, 'ceiling') or '0')
local wanted = math.min(now + A.grace, ceiling)
local before = nil
if expires < wanted then
  before = expires
  expires = wanted
  for i, seat in ipairs(A.seats) do
    redis.call('PEXPIREAT', K.seat[i], expires)
    redis.call('ZADD', K.expiry, expires, seat)
  end
  redis.call('HSET', K.holder, 'expires_at', expires)
  redis.call('PEXPIREAT', K.holder, expires)
  redis.call('PEXPIREAT', K.holder_seats, expires)
end
return reply('ok', { expires_at = expires, stretched_from = before })
