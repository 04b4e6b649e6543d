-- Serve a showtime's waiting line: offer free seats to the people in line, in join order.
-- Each person whose party fits in what is still free gets an offer: a hold in their name
-- with the offer's own TTL, announced like any hold (plus `offer = true`). People whose
-- party does not fit keep their place and wait. Holds that lapsed before the sweeper
-- announced them are announced here first, since their seats are part of what is offered.
--
-- KEYS[1] sold set   KEYS[2] sold-loaded flag   KEYS[3] version   KEYS[4] expiry index
-- KEYS[5] waiting line   KEYS[6] line party sizes   KEYS[7] line-served flag (set here; the
-- scripts that free seats delete it)
-- KEYS[8..] every seat's hold key, in layout order
-- ARGV[1] event channel   ARGV[2] offer TTL (ms)   ARGV[3] extensions (an offer gets none)
-- ARGV[4] holder key base (the holder keys of whoever is offered seats: see keys.rs)
-- ARGV[5..] per seat, in the order of KEYS[8..]: seat id, grid row, grid column
--
-- Returns {'ok', offers_made, offer_expires_at_ms_or_empty} | {'needs_sold'}
if redis.call('EXISTS', KEYS[2]) == 0 then
  return {'needs_sold'}
end
local channel, ttl, extensions, base = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local n = #KEYS - 7
local id, row, col = {}, {}, {}
for i = 1, n do
  id[i] = ARGV[2 + 3 * i]
  row[i] = tonumber(ARGV[3 + 3 * i])
  col[i] = tonumber(ARGV[4 + 3 * i])
end

local function done(offers, expires)
  redis.call('SET', KEYS[7], '1')
  return {'ok', tostring(offers), expires and tostring(expires) or ''}
end

local waiting = redis.call('ZRANGE', KEYS[5], 0, -1)
if #waiting == 0 then
  return done(0)
end

local free, lapsed = {}, {}
for i = 1, n do
  if redis.call('SISMEMBER', KEYS[1], id[i]) == 0 and redis.call('EXISTS', KEYS[7 + i]) == 0 then
    free[#free + 1] = i
    if redis.call('ZSCORE', KEYS[4], id[i]) then
      redis.call('ZREM', KEYS[4], id[i])
      lapsed[#lapsed + 1] = tonumber(id[i])
    end
  end
end
if #lapsed > 0 then
  local version = redis.call('INCR', KEYS[3])
  redis.call('PUBLISH', channel, cjson.encode({ version = version, kind = 'expired', seats = lapsed }))
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

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local expires = now + ttl
local served = {}
for _, session in ipairs(waiting) do
  if #free == 0 then
    break
  end
  local party = tonumber(redis.call('HGET', KEYS[6], session) or '1')
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

    local holder, holder_seats = base .. session, base .. session .. ':seats'
    local seats = {}
    for _, i in ipairs(picked) do
      redis.call('SET', KEYS[7 + i], session, 'PXAT', expires)
      redis.call('ZADD', KEYS[4], expires, id[i])
      redis.call('SADD', holder_seats, id[i])
      seats[#seats + 1] = tonumber(id[i])
    end
    redis.call('HSET', holder, 'expires_at', expires, 'extensions', extensions, 'offer', 1)
    redis.call('PEXPIREAT', holder, expires)
    redis.call('PEXPIREAT', holder_seats, expires)
    redis.call('ZREM', KEYS[5], session)
    redis.call('HDEL', KEYS[6], session)
    served[#served + 1] = session
    local version = redis.call('INCR', KEYS[3])
    redis.call('PUBLISH', channel, cjson.encode({
      version = version, kind = 'held', seats = seats, holder = session, expires_at = expires,
      now = now, offer = true,
    }))
  end
end
if #served == 0 then
  return done(0)
end
redis.call('PUBLISH', channel, cjson.encode({
  version = 0, kind = 'line', change = 'left', sessions = served,
}))
return done(#served, expires)
