-- Mark seats sold (their order is paid in Postgres) and drop every hold on them: the buyer's,
-- and any other session's that lingered on a seat (after Redis lost a sale, or a hold that
-- lapsed while its purchase was still being paid and was then offered to the line).
-- Idempotent: seats already sold and unheld change nothing, and nothing is announced, so the
-- reconciler may repeat it freely.
-- Contract: `holds::contracts::MarkSold`.
--
-- K.sold, K.sold_loaded, K.version, K.expiry, K.line, K.line_party, K.line_ip, K.line_served,
-- K.seat[i] (hold key of A.seats[i]), K.other[k] (hold key of A.others[k]),
-- K.holder[j], K.holder_seats[j] (of A.holders[j]: every session holding one of the seats,
-- as the caller read them)
-- A.channel, A.seats, A.buyers (A.buyers[i]: the session that bought A.seats[i]), A.holders,
-- A.others (every other seat held by a holder that is not a seat's buyer)
--
-- An offer from the waiting line whose seats are sold to someone else was never the holder's
-- to lose: they go back to their place in line, and the rest of the offer is freed for the
-- line. (The seats were free in Redis because the buyer's hold lapsed while Postgres, the
-- system of record, already had them in a pending order.)
--
-- Replies ok {version, changed, requeued} | stale (a seat is held by a session not in
-- A.holders, or a taken-back offer holds a seat not in A.others: read again) | needs_sold
if sold_cache_missing() then
  return NEEDS_SOLD
end
local index = {}
for j, session in ipairs(A.holders) do
  index[session] = j
end
local selling, declared = {}, {}
for i, seat in ipairs(A.seats) do
  selling[tostring(seat)] = true
end
for k, seat in ipairs(A.others) do
  declared[tostring(seat)] = k
end

-- Look before writing anything: a script that stops half way leaves its writes behind.
local holders, lost = {}, {}
for i = 1, #A.seats do
  local holder = redis.call('GET', K.seat[i])
  if holder and not index[holder] then
    return reply('stale')
  end
  holders[i] = holder
  if holder and holder ~= A.buyers[i] then
    local j = index[holder]
    if not lost[j] and redis.call('HGET', K.holder[j], 'line_place') then
      lost[j] = true
      for _, seat in ipairs(redis.call('SMEMBERS', K.holder_seats[j])) do
        if not selling[seat] and not declared[seat] then
          return reply('stale')
        end
      end
    end
  end
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

local freed, requeued = {}, {}
for j in pairs(touched) do
  local session = A.holders[j]
  if lost[j] then
    -- Back to the place the offer came from, for the whole party; the rest of the offer is
    -- free, and the line has first claim on it.
    for _, seat in ipairs(redis.call('SMEMBERS', K.holder_seats[j])) do
      local k = declared[seat]
      if redis.call('GET', K.other[k]) == session then
        redis.call('DEL', K.other[k])
        redis.call('ZREM', K.expiry, seat)
        freed[#freed + 1] = tonumber(seat)
      end
    end
    local place = redis.call('HMGET', K.holder[j], 'line_place', 'line_party', 'line_client')
    redis.call('ZADD', K.line, place[1], session)
    redis.call('HSET', K.line_party, session, place[2] or '1')
    if place[3] and place[3] ~= '' then
      redis.call('HSET', K.line_ip, session, place[3])
    end
    redis.call('DEL', K.holder[j], K.holder_seats[j])
    requeued[#requeued + 1] = session
  elseif redis.call('SCARD', K.holder_seats[j]) == 0 and redis.call('HGET', K.holder[j], 'offer') then
    -- A bought offer is over: whatever that session holds next is its own pick, with a
    -- clock and extensions of its own.
    redis.call('DEL', K.holder[j])
  end
end

local version = tonumber(redis.call('GET', K.version) or '0')
if #changed > 0 then
  version = redis.call('INCR', K.version)
  publish({ version = version, kind = 'sold', seats = changed })
end
if #freed > 0 then
  line_unserved()
  version = redis.call('INCR', K.version)
  publish({ version = version, kind = 'released', seats = freed })
end
if #requeued > 0 then
  line_unserved()
  publish({ version = 0, kind = 'line', change = 'joined', sessions = requeued })
end
return reply('ok', { version = version, changed = #changed, requeued = #requeued })
