-- Staff block seats (house seats, a broken seat): they join the sold set, so nobody can hold
-- them, and every viewer sees them taken. All or nothing: refused, changing nothing, if any
-- seat is sold, blocked or held (an offer from the line is a hold).
-- Contract: `holds::contracts::Block`.
--
-- K.sold, K.sold_loaded, K.version, K.seat[i] (hold key of A.seats[i])
-- A.channel, A.seats
--
-- Replies ok {version} | taken {seats} | needs_sold
if sold_cache_missing() then
  return NEEDS_SOLD
end
local taken = {}
for i, seat in ipairs(A.seats) do
  if redis.call('SISMEMBER', K.sold, seat) == 1 or redis.call('EXISTS', K.seat[i]) == 1 then
    taken[#taken + 1] = seat
  end
end
if #taken > 0 then
  return reply('taken', { seats = taken })
end
for _, seat in ipairs(A.seats) do
  redis.call('SADD', K.sold, seat)
end
local version = redis.call('INCR', K.version)
publish({ version = version, kind = 'sold', seats = A.seats })
return reply('ok', { version = version })
