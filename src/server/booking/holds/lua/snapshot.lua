-- Every seat's state for one viewer, with the version it corresponds to, atomically.
-- Contract: `holds::contracts::Snapshot`.
--
-- K.sold, K.sold_loaded, K.version, K.holder, K.holder_seats (unused), K.line, K.line_party,
-- K.seat[i] (hold key of A.seats[i], every seat in layout order)
-- A.session, A.seats
--
-- Replies needs_sold | ok {version, expires_at (absent without a hold), extensions, now,
--   states, offer, position (absent when not in line), party}
-- where states has one character per seat of A.seats: a(vailable) m(ine) h(eld) s(old).
if sold_cache_missing() then
  return NEEDS_SOLD
end
local session = A.session
local states = {}
for i, seat in ipairs(A.seats) do
  if redis.call('SISMEMBER', K.sold, seat) == 1 then
    states[i] = 's'
  else
    local holder = redis.call('GET', K.seat[i])
    if not holder then
      states[i] = 'a'
    elseif holder == session then
      states[i] = 'm'
    else
      states[i] = 'h'
    end
  end
end
local rank = redis.call('ZRANK', K.line, session)
return reply('ok', {
  version = tonumber(redis.call('GET', K.version) or '0'),
  expires_at = tonumber(redis.call('HGET', K.holder, 'expires_at')),
  extensions = tonumber(redis.call('HGET', K.holder, 'extensions') or '0'),
  now = now_ms(),
  states = table.concat(states),
  offer = redis.call('HGET', K.holder, 'offer') == '1',
  position = rank and rank + 1 or nil,
  party = tonumber(redis.call('HGET', K.line_party, session)),
})
