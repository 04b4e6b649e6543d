-- Admits whoever's turn it is, then tells one entry (A.entry, or '' for nobody) where it
-- stands. Admission takes the front of the queue, no faster than `A.per_minute` (a token
-- bucket holding at most `A.burst`) and never beyond `A.max_active` admitted at once; an
-- admission lasts `A.ttl_ms`, and whoever's admission ran out frees their slot here.
local now = now_ms()
local admitted = 0
if now >= A.opens_ms then
  for _, entry in ipairs(redis.call('ZRANGEBYSCORE', K.active, '-inf', now)) do
    redis.call('ZREM', K.active, entry)
    local value = redis.call('HGET', K.entries, entry)
    if value then
      redis.call('HSET', K.entries, entry, 'expired:' .. string.match(value, ':(.*)$'))
    end
  end
  local bucket = redis.call('HMGET', K.bucket, 'tokens', 'at')
  local tokens = tonumber(bucket[1]) or A.burst
  local at = math.max(tonumber(bucket[2]) or A.opens_ms, A.opens_ms)
  tokens = math.min(A.burst, tokens + math.max(0, now - at) * A.per_minute / 60000)
  local room = A.max_active - redis.call('ZCARD', K.active)
  local take = math.min(math.floor(tokens), room)
  if take > 0 then
    local popped = redis.call('ZPOPMIN', K.queue, take)
    for i = 1, #popped, 2 do
      local entry = popped[i]
      local value = redis.call('HGET', K.entries, entry)
      redis.call('HSET', K.entries, entry, 'admitted:' .. string.match(value, ':(.*)$'))
      redis.call('ZADD', K.active, now + A.ttl_ms, entry)
      redis.call('ZADD', K.admits, now, entry)
      admitted = admitted + 1
    end
    tokens = tokens - admitted
    redis.call('INCRBY', K.total, admitted)
  end
  redis.call('HSET', K.bucket, 'tokens', tostring(tokens), 'at', now)
  redis.call('ZREMRANGEBYSCORE', K.admits, '-inf', now - 60000)
end
local fields = {
  now_ms = now,
  admitted_now = admitted,
  waiting = redis.call('ZCARD', K.queue),
  active = redis.call('ZCARD', K.active),
  admitted_last_minute = redis.call('ZCARD', K.admits),
}
if A.entry ~= '' then
  local value = redis.call('HGET', K.entries, A.entry)
  fields.state = value and string.match(value, '^(%a+):') or 'unknown'
  if fields.state == 'waiting' and now >= A.opens_ms then
    fields.position = redis.call('ZRANK', K.queue, A.entry) + 1
  elseif fields.state == 'admitted' then
    fields.until_ms = tonumber(redis.call('ZSCORE', K.active, A.entry))
  end
end
return reply('ok', fields)
