-- Whether `A.entry` of `A.session` is admitted right now (by Redis' clock).
local value = redis.call('HGET', K.entries, A.entry)
if value ~= 'admitted:' .. A.session then
  return reply('ok', { admitted = false })
end
local until_ms = tonumber(redis.call('ZSCORE', K.active, A.entry) or '0')
return reply('ok', { admitted = until_ms > now_ms() })
