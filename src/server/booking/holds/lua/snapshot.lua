-- Every seat's state for one viewer, with the version it corresponds to, atomically.
--
-- KEYS[1] sold set  KEYS[2] sold-loaded flag  KEYS[3] version  KEYS[4] holder hash
-- KEYS[5] waiting line  KEYS[6] line party sizes  KEYS[7..] seat hold keys
-- ARGV[1] session  ARGV[2..] seat ids
--
-- Returns {'needs_sold'} | {'ok', version, expires_at_or_empty, extensions_used, now_ms, states,
--          offer, line_position_or_empty, party_or_empty}
-- where states has one character per seat: a(vailable) m(ine) h(eld) s(old), and offer is
-- '1' when the viewer's hold is a waiting-line offer.
if redis.call('EXISTS', KEYS[2]) == 0 then
  return {'needs_sold'}
end
local session = ARGV[1]
local states = {}
for i = 7, #KEYS do
  if redis.call('SISMEMBER', KEYS[1], ARGV[i - 5]) == 1 then
    states[#states + 1] = 's'
  else
    local holder = redis.call('GET', KEYS[i])
    if not holder then
      states[#states + 1] = 'a'
    elseif holder == session then
      states[#states + 1] = 'm'
    else
      states[#states + 1] = 'h'
    end
  end
end
local expires = redis.call('HGET', KEYS[4], 'expires_at') or ''
local used = redis.call('HGET', KEYS[4], 'extensions') or '0'
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local offer = redis.call('HGET', KEYS[4], 'offer') or '0'
local rank = redis.call('ZRANK', KEYS[5], session)
return {
  'ok', tostring(redis.call('GET', KEYS[3]) or '0'), expires, used, tostring(now),
  table.concat(states), offer, rank and tostring(rank + 1) or '',
  redis.call('HGET', KEYS[6], session) or '',
}
