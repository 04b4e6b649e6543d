-- Rebuild the sold-seat cache from Postgres after Redis lost it. Adds (never removes): a
-- sale that reached Redis while Postgres was being read is kept.
--
-- KEYS[1] sold set  KEYS[2] sold-loaded flag  KEYS[3] version
-- ARGV[1] event channel  ARGV[2..] sold seat ids from Postgres
--
-- Returns version
if redis.call('EXISTS', KEYS[2]) == 1 then
  return tostring(redis.call('GET', KEYS[3]) or '0')
end
for i = 2, #ARGV do
  redis.call('SADD', KEYS[1], ARGV[i])
end
redis.call('SET', KEYS[2], '1')
local version = redis.call('INCR', KEYS[3])
redis.call('PUBLISH', ARGV[1], cjson.encode({ version = version, kind = 'rebuilt' }))
return tostring(version)
