-- Publish the release of holds whose TTL has passed (the sweeper calls this). Redis has
-- already freed the seats by expiring their keys; this only tidies the index and tells
-- every viewer. Seats whose key still exists (extended meanwhile) are left alone.
-- Contract: `holds::contracts::Expire`.
--
-- K.version, K.expiry, K.line, K.line_served, K.seat[i] (hold key of A.seats[i])
-- A.channel, A.seats (seats due by the expiry index)
--
-- Replies ok {freed (seats announced), next_expiry (ms; absent when none is left), line_length}
local freed = {}
for i, seat in ipairs(A.seats) do
  if redis.call('EXISTS', K.seat[i]) == 0 then
    redis.call('ZREM', K.expiry, seat)
    freed[#freed + 1] = seat
  end
end
if #freed > 0 then
  line_unserved()
  local version = redis.call('INCR', K.version)
  publish({ version = version, kind = 'expired', seats = freed })
end
local next = redis.call('ZRANGE', K.expiry, 0, 0, 'WITHSCORES')
return reply('ok', {
  freed = #freed, next_expiry = tonumber(next[2]), line_length = redis.call('ZCARD', K.line),
})
