-- Serve a showtime's waiting line: offer free seats to the people in line, in join order.
-- Each person whose party fits in what is still free gets an offer: a hold in their name
-- with the offer's own TTL, announced like any hold (plus `offer = true`). People whose
-- party does not fit keep their place and wait. Holds that lapsed before the sweeper
-- announced them are announced here first, since their seats are part of what is offered.
-- Contract: `line::contracts::Serve`.
--
-- K.sold, K.sold_loaded, K.version, K.expiry, K.line, K.line_party, K.line_ip,
-- K.line_served (set here; the scripts that free seats delete it),
-- K.seat[i]: hold key of A.seats[i], every seat in layout order,
-- K.holder[j], K.holder_seats[j]: holder keys of A.waiting[j], everyone the caller saw in line.
-- A.channel, A.ttl (offer TTL, ms), A.extensions (an offer gets none: all used),
-- A.grace (ms checkout may add to an offer, once),
-- A.seats, A.rows, A.cols (grid row and column of each seat), A.waiting
--
-- Who gets an offer is decided here, atomically, so the caller cannot know whose holder keys
-- will be written; it declares those of everyone it saw in line instead (every key a script
-- touches must be declared, for Redis Cluster and its proxies). Someone who joined after the
-- caller looked is at the back, behind everyone declared: serving stops there and the reply
-- says `stale`, so the caller looks again and serves the rest.
--
-- Replies ok {offers, expires_at (absent without offers), stale} | needs_sold
if sold_cache_missing() then
  return NEEDS_SOLD
end
local id, row, col = A.seats, A.rows, A.cols
local declared = {}
for j, session in ipairs(A.waiting) do
  declared[session] = j
end

local function done(offers, expires, stale)
  -- Served means everyone in line was considered: not so when someone was left unseen.
  if not stale then
    redis.call('SET', K.line_served, '1')
  end
  return reply('ok', { offers = offers, expires_at = expires, stale = stale or false })
end

local waiting = redis.call('ZRANGE', K.line, 0, -1)
if #waiting == 0 then
  return done(0)
end

local free, lapsed = {}, {}
for i = 1, #id do
  if redis.call('SISMEMBER', K.sold, id[i]) == 0 and redis.call('EXISTS', K.seat[i]) == 0 then
    free[#free + 1] = i
    if redis.call('ZSCORE', K.expiry, id[i]) then
      redis.call('ZREM', K.expiry, id[i])
      lapsed[#lapsed + 1] = id[i]
    end
  end
end
if #lapsed > 0 then
  local version = redis.call('INCR', K.version)
  publish({ version = version, kind = 'expired', seats = lapsed })
end
if #free == 0 then
  return done(0)
end

-- Which of the free seats (positions in `free`, which is in layout order) a party gets:
-- side by side in one row if possible, else as close together as one row allows, else the
-- first free seats.
local function range(a, b)
  local out = {}
  for p = a, b do out[#out + 1] = p end
  return out
end
local function choose(party)
  local best, span
  for a = 1, #free - party + 1 do
    local first, last = free[a], free[a + party - 1]
    if row[first] == row[last] then
      local width = col[last] - col[first]
      if width == party - 1 then
        return range(a, a + party - 1)
      end
      if not span or width < span then
        best, span = a, width
      end
    end
  end
  if best then
    return range(best, best + party - 1)
  end
  return range(1, party)
end

local now = now_ms()
local expires = now + A.ttl
local served, stale = {}, false
for _, session in ipairs(waiting) do
  if #free == 0 then
    break
  end
  local j = declared[session]
  if not j then
    stale = true
    break
  end
  local party = tonumber(redis.call('HGET', K.line_party, session) or '1')
  if party <= #free then
    local picked, taken = {}, {}
    for _, p in ipairs(choose(party)) do
      picked[#picked + 1] = free[p]
      taken[p] = true
    end
    local rest = {}
    for p, i in ipairs(free) do
      if not taken[p] then rest[#rest + 1] = i end
    end
    free = rest

    local seats = {}
    for _, i in ipairs(picked) do
      redis.call('SET', K.seat[i], session, 'PXAT', expires)
      redis.call('ZADD', K.expiry, expires, id[i])
      redis.call('SADD', K.holder_seats[j], id[i])
      seats[#seats + 1] = id[i]
    end
    -- The place in line the offer came from: if a late sale takes the seats back (see
    -- sold.lua), this person goes back there.
    redis.call('HSET', K.holder[j], 'expires_at', expires, 'extensions', A.extensions, 'offer', 1,
      'ceiling', expires + A.grace, 'line_place', redis.call('ZSCORE', K.line, session),
      'line_party', party, 'line_client', redis.call('HGET', K.line_ip, session) or '')
    redis.call('PEXPIREAT', K.holder[j], expires)
    redis.call('PEXPIREAT', K.holder_seats[j], expires)
    redis.call('ZREM', K.line, session)
    redis.call('HDEL', K.line_party, session)
    redis.call('HDEL', K.line_ip, session)
    served[#served + 1] = session
    local version = redis.call('INCR', K.version)
    publish({
      version = version, kind = 'held', seats = seats, holder = session, expires_at = expires,
      now = now, offer = true,
    })
  end
end
if #served == 0 then
  return done(0, nil, stale)
end
publish({ version = 0, kind = 'line', change = 'left', sessions = served })
return done(#served, expires, stale)
