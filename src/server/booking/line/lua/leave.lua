-- Leave a showtime's waiting line (a session not in line changes nothing).
-- Contract: `line::contracts::Leave`.
--
-- K.line, K.line_party, K.line_ip
-- A.session, A.channel
--
-- Replies ok {left (whether the session was in line)}
local session = A.session
if redis.call('ZREM', K.line, session) == 0 then
  return reply('ok', { left = false })
end
redis.call('HDEL', K.line_party, session)
redis.call('HDEL', K.line_ip, session)
publish({ version = 0, kind = 'line', change = 'left', sessions = { session } })
return reply('ok', { left = true })
