-- Seats that were sold or blocked are free again (an order refunded, seats unblocked; Postgres
-- says so already): out of the sold set, announced as released, and the waiting line has
-- first claim on them. Idempotent: seats not in the sold set change nothing.
-- Contract: `holds::contracts::Unsell`.
--
-- K.sold, K.sold_loaded, K.version, K.line_served
-- A.channel, A.seats
--
-- Replies ok {version, freed} | needs_sold
if sold_cache_missing() then
  return NEEDS_SOLD
end
local freed = {}
for _, seat in ipairs(A.seats) do
  if redis.call('SREM', K.sold, seat) == 1 then
    freed[#freed + 1] = seat
  end
end
if #freed == 0 then
  return reply('ok', { version = tonumber(redis.call('GET', K.version) or '0'), freed = 0 })
end
line_unserved()
local version = redis.call('INCR', K.version)
publish({ version = version, kind = 'released', seats = freed })
return reply('ok', { version = version, freed = #freed })
