-- After a declined payment: give the hold back the expiry it had before checkout stretched
-- it, so trying cards never buys time. Changes nothing if the hold moved on meanwhile (bought,
-- released, or stretched again by another attempt).
-- Contract: `holds::contracts::Unstretch`.
--
-- K.holder, K.holder_seats, K.expiry, K.seat[i] (hold key of A.seats[i])
-- A.session, A.seats, A.stretched (the expiry checkout set, ms), A.expires_at (the one before)
--
-- Replies ok {restored}
if tonumber(redis.call('HGET', K.holder, 'expires_at') or '0') ~= A.stretched then
  return reply('ok', { restored = false })
end
for i, seat in ipairs(A.seats) do
  if redis.call('GET', K.seat[i]) == A.session then
    -- An expiry already past deletes the key: the seat is free, and the sweeper, which finds
    -- it due in the expiry index, announces it.
    redis.call('PEXPIREAT', K.seat[i], A.expires_at)
    redis.call('ZADD', K.expiry, A.expires_at, seat)
  end
end
redis.call('HSET', K.holder, 'expires_at', A.expires_at)
redis.call('PEXPIREAT', K.holder, A.expires_at)
redis.call('PEXPIREAT', K.holder_seats, A.expires_at)
return reply('ok', { restored = true })
