-- The prelude: joined in front of every booking script when it is loaded (see script.rs),
-- so what every script needs is written once.
--
-- A script is called with its keys in KEYS and one argument, ARGV[1], a JSON object:
--   { "keys": ["sold", "version", ["seat", 3], ...], "args": { "session": "...", ... } }
-- "keys" names the keys in KEYS order: a name stands for one key, [name, n] for the next n.
-- The prelude turns that into K.<name> (a key, or a list of keys) and A.<name> (arguments),
-- so a script never counts positions and its contract lives only in its Rust type.
-- Replies are JSON objects with a "status" field, decoded by that same Rust type.
local call = cjson.decode(ARGV[1])
local K, A = {}, call.args
do
  local at = 0
  for _, entry in ipairs(call.keys) do
    if type(entry) == 'table' then
      local list = {}
      for i = 1, entry[2] do
        list[i] = KEYS[at + i]
      end
      K[entry[1]] = list
      at = at + entry[2]
    else
      at = at + 1
      K[entry] = KEYS[at]
    end
  end
  if at ~= #KEYS then
    return redis.error_reply('script declares ' .. at .. ' keys but got ' .. #KEYS)
  end
end

-- Milliseconds since the epoch by Redis' clock, which every app instance shares.
local function now_ms()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end

-- The reply: `status` plus named fields, as one JSON object.
local function reply(status, fields)
  fields = fields or {}
  fields.status = status
  return cjson.encode(fields)
end

-- After a Redis restart the sold-seat cache is empty until rebuilt from Postgres. Scripts
-- that must know which seats are sold start with
--   if sold_cache_missing() then return NEEDS_SOLD end
-- and the caller rebuilds the cache and asks again; otherwise a sold seat could be held
-- and bought again.
local function sold_cache_missing()
  return redis.call('EXISTS', K.sold_loaded) == 0
end
local NEEDS_SOLD = reply('needs_sold')

-- One live event on the showtime's channel (decoded by `live::SeatEvent`): a sharded channel
-- on Redis Cluster, so it is published on the shard that holds the showtime's keys.
local function publish(event)
  local command = A.channel.sharded and 'SPUBLISH' or 'PUBLISH'
  redis.call(command, A.channel.name, cjson.encode(event))
end

-- Seats were freed: the waiting line has first claim on them until it is served again.
local function line_unserved()
  redis.call('DEL', K.line_served)
end

