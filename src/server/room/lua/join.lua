-- A place in an on-sale's queue for a session, at most once per session and `A.per_address`
-- per client address. Before `A.opens_ms` (and from `A.draw_from_ms`) the place comes from
-- the draw: the first 48 bits of SHA-1("<seed>:<entry>"), so the order of everyone who came
-- early is a shuffle that anyone can redo once the seed is revealed. From the opening on,
-- places are handed out in arrival order behind everyone drawn.
local now = now_ms()
local mine = redis.call('HGET', K.sessions, A.session)
if mine then
  return reply('already', { entry = mine })
end
if now < A.draw_from_ms then
  return reply('too_early', { opens_in_ms = A.draw_from_ms - now })
end
local at_address = tonumber(redis.call('HGET', K.addresses, A.client) or '0')
if at_address >= A.per_address then
  return reply('address_taken')
end
local place
local drawn = now < A.opens_ms
if drawn then
  local seed = redis.call('GET', K.seed)
  if not seed then
    return redis.error_reply('the on-sale has no draw seed')
  end
  place = tonumber(string.sub(redis.sha1hex(seed .. ':' .. A.entry), 1, 12), 16)
  redis.call('SADD', K.drawn, A.entry)
else
  place = 281474976710656 + redis.call('INCR', K.seq)
end
-- '%.0f': every place is an integer below 2^53, written out exactly (not as 2.8e+14).
redis.call('ZADD', K.queue, string.format('%.0f', place), A.entry)
redis.call('HSET', K.sessions, A.session, A.entry)
redis.call('HINCRBY', K.addresses, A.client, 1)
redis.call('HSET', K.entries, A.entry, 'waiting:' .. A.session)
for _, key in ipairs(K.all) do
  redis.call('PEXPIREAT', key, A.keep_until_ms)
end
return reply('ok', { entry = A.entry, drawn = drawn })
