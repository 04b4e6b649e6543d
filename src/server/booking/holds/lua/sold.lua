-- Mark seats sold (after the order is committed in Postgres) and drop their holds.
-- Contract: `holds::contracts::MarkSold`.
--
-- K.sold, K.version, K.expiry, K.holder, K.holder_seats, K.seat[i] (hold key of A.seats[i])
-- A.channel, A.seats
--
-- Replies ok {version}
for i, seat in ipairs(A.seats) do
  redis.call('SADD', K.sold, seat)
  redis.call('DEL', K.seat[i])
  redis.call('ZREM', K.expiry, seat)
  redis.call('SREM', K.holder_seats, seat)
end
-- A bought offer is over: whatever this session holds next is its own pick, with a clock
-- and extensions of its own.
if redis.call('SCARD', K.holder_seats) == 0 and redis.call('HGET', K.holder, 'offer') then
  redis.call('DEL', K.holder)
end
local version = redis.call('INCR', K.version)
publish({ version = version, kind = 'sold', seats = A.seats })
return reply('ok', { version = version })
