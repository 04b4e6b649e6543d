-- Rebuild the sold-seat cache from Postgres after Redis lost it. Adds (never removes): a
-- sale that reached Redis while Postgres was being read is kept. The version continues from
-- A.base (the showtime's new epoch in Postgres, times 2^32) if that is higher, so a viewer's
-- version never goes backwards even though a flush reset the counter.
-- Contract: `holds::contracts::LoadSold`.
--
-- K.sold, K.sold_loaded, K.version
-- A.channel, A.seats (sold seat ids from Postgres), A.base
--
-- Replies ok {version}
if not sold_cache_missing() then
  return reply('ok', { version = tonumber(redis.call('GET', K.version) or '0') })
end
for _, seat in ipairs(A.seats) do
  redis.call('SADD', K.sold, seat)
end
redis.call('SET', K.sold_loaded, '1')
local current = tonumber(redis.call('GET', K.version) or '0')
if current < A.base then
  redis.call('SET', K.version, A.base)
end
local version = redis.call('INCR', K.version)
publish({ version = version, kind = 'rebuilt' })
return reply('ok', { version = version })
