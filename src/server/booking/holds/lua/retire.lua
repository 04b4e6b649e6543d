-- A finished showtime's keys expire at A.at (ms): nothing about it is needed after that, and
-- a Redis kept for years must not keep every showtime it ever had. Keys with a TTL of their
-- own (holds) keep it.
-- Contract: `holds::contracts::Retire`.
--
-- K.keys: every long-lived key of the showtime
-- A.at
--
-- Replies ok
for _, key in ipairs(K.keys) do
  if redis.call('PTTL', key) == -1 then
    redis.call('PEXPIREAT', key, A.at)
  end
end
return reply('ok')
