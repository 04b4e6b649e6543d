-- Gives up a place: out of the queue, or out of the admitted (which frees a slot for the
-- next person). The session keeps its entry, so it cannot come back at a better place.
local value = redis.call('HGET', K.entries, A.entry)
if not value then
  return reply('ok', { was = 'unknown' })
end
local state, session = string.match(value, '^(%a+):(.*)$')
if state == 'waiting' then
  redis.call('ZREM', K.queue, A.entry)
elseif state == 'admitted' then
  redis.call('ZREM', K.active, A.entry)
end
if state == 'waiting' or state == 'admitted' then
  redis.call('HSET', K.entries, A.entry, 'left:' .. session)
end
return reply('ok', { was = state })
