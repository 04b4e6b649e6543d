-- Join a showtime's waiting line, at the back. Refused (changing nothing) when the session
-- is already in line or holds seats, when enough seats are free for the party, or when the
-- line is full. Contract: `line::contracts::Join`.
--
-- K.sold, K.sold_loaded, K.line, K.line_party, K.line_seq, K.holder_seats (the session's),
-- K.seat[i] (hold key of A.seats[i], every seat of the showtime), K.line_ip (session -> address
-- of everyone in line), K.ip_seats (seats held from the caller's address)
-- A.session, A.party, A.cap (line length), A.client (the caller's address), A.ip_max (seats
-- held plus places awaited per address), A.channel, A.seats
--
-- Replies ok {position} | already {position} | holding | available {free} | full
--       | client_full | needs_sold
if sold_cache_missing() then
  return NEEDS_SOLD
end
local session, party = A.session, A.party
local rank = redis.call('ZRANK', K.line, session)
if rank then
  return reply('already', { position = rank + 1 })
end
if redis.call('SCARD', K.holder_seats) > 0 then
  return reply('holding')
end
-- A seat is free when it is neither sold nor held (a lapsed hold counts as free).
local free = 0
for i, seat in ipairs(A.seats) do
  if redis.call('SISMEMBER', K.sold, seat) == 0 and redis.call('EXISTS', K.seat[i]) == 0 then
    free = free + 1
  end
end
if free >= party then
  return reply('available', { free = free })
end
local length = redis.call('ZCARD', K.line)
if length >= A.cap then
  return reply('full')
end
-- Sessions are free, addresses are not: what one address holds and awaits is capped.
redis.call('ZREMRANGEBYSCORE', K.ip_seats, '-inf', now_ms())
local used = redis.call('ZCARD', K.ip_seats)
local everyone = redis.call('HGETALL', K.line_ip)
for i = 1, #everyone, 2 do
  if everyone[i + 1] == A.client then
    used = used + tonumber(redis.call('HGET', K.line_party, everyone[i]) or '1')
  end
end
if used + party > A.ip_max then
  return reply('client_full')
end
local number = redis.call('INCR', K.line_seq)
redis.call('ZADD', K.line, number, session)
redis.call('HSET', K.line_party, session, party)
redis.call('HSET', K.line_ip, session, A.client)
-- Line events change no seat, so they carry no version of their own.
publish({ version = 0, kind = 'line', change = 'joined', sessions = { session } })
return reply('ok', { position = length + 1 })
