-- Mark seats sold (their order is paid in Postgres) and drop every hold on them: the buyer's,
-- and any other session's that lingered on a seat (after Redis lost a sale, or a hold forced
-- past the Postgres fence). Idempotent: seats already sold and unheld change nothing, and
-- nothing is announced, so the reconciler may repeat it freely.
-- Contract: `holds::contracts::MarkSold`.
--
-- K.sold, K.sold_loaded, K.version, K.expiry, K.seat[i] (hold key of A.seats[i]),
-- K.holder[j], K.holder_seats[j] (of A.holders[j]: every session holding one of the seats,
-- as the caller read them)
-- A.channel, A.seats, A.holders
--
-- Replies ok {version, changed} | stale (a seat is held by a session not in A.holders: read
-- the holders again) | needs_sold
if sold_cache_missing() then
  return NEEDS_SOLD
end
local index = {}
for j, session in ipairs(A.holders) do
  index[session] = j
end
local holders = {}
for i = 1, #A.seats do
  local holder = redis.call('GET', K.seat[i])
  if holder and not index[holder] then
    return reply('stale')
  end
  holders[i] = holder
end
local changed, touched = {}, {}
for i, seat in ipairs(A.seats) do
  local added = redis.call('SADD', K.sold, seat) == 1
  local holder = holders[i]
  if holder then
    local j = index[holder]
    redis.call('DEL', K.seat[i])
    redis.call('SREM', K.holder_seats[j], seat)
    touched[j] = true
  end
  redis.call('ZREM', K.expiry, seat)
  if added or holder then
    changed[#changed + 1] = seat
  end
end
-- A bought (or lost) offer is over: whatever that session holds next is its own pick, with
-- a clock and extensions of its own.
for j in pairs(touched) do
  if redis.call('SCARD', K.holder_seats[j]) == 0 and redis.call('HGET', K.holder[j], 'offer') then
    redis.call('DEL', K.holder[j])
  end
end
if #changed == 0 then
  return reply('ok', { version = tonumber(redis.call('GET', K.version) or '0'), changed = 0 })
end
local version = redis.call('INCR', K.version)
publish({ version = version, kind = 'sold', seats = changed })
return reply('ok', { version = version, changed = #changed })
