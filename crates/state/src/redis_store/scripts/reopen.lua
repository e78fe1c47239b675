-- Reopens an ended job so that some of its pages are fetched again (a continuation).
--
-- Each URL's outcome is forgotten: a finished page gives its cost back but keeps its
-- reservation, a failed page reserves its cost again if the budget has room (else it is
-- left as it was). Its task is pending again at its depth, and its close, its admission and
-- its place in the outcome order are cleared so that the steps of a fetch run afresh. When
-- any URL was reopened, the job runs again: its end is forgotten, its round counted, and
-- its keys no longer expire (they get the retention again when it ends).
--
-- KEYS[1] counters, KEYS[2] closed URLs, KEYS[3] frontier, KEYS[4] host index,
-- KEYS[5] outcomes, KEYS[6] outcome order, KEYS[7] admissions, KEYS[8..] the job's other keys
-- ARGV pairs of (URL, task JSON)
-- Returns the JSON array of the reopened tasks.
if redis.call('HGET', KEYS[1], 'state') ~= 'ended' then
  return '[]'
end
local per_page = tonumber(redis.call('HGET', KEYS[1], 'cost_per_page'))
local budget = tonumber(redis.call('HGET', KEYS[1], 'budget'))
local reopened = {}
for i = 1, #ARGV, 2 do
  local url = ARGV[i]
  local prior = redis.call('HGET', KEYS[5], url)
  local take = false
  if prior then
    local stored = cjson.decode(prior)
    local status = stored.outcome.status
    if status == 'finished' then
      redis.call('HINCRBY', KEYS[1], 'completed', -1)
      redis.call('HINCRBY', KEYS[1], 'cost', -stored.credits)
      take = true
    elseif status == 'failed' then
      local reserved = tonumber(redis.call('HGET', KEYS[1], 'reserved'))
      if budget == nil or reserved + per_page <= budget then
        redis.call('HINCRBY', KEYS[1], 'reserved', per_page)
        redis.call('HINCRBY', KEYS[1], 'failed', -1)
        take = true
      end
    end
  end
  if take then
    local depth = cjson.decode(ARGV[i + 1]).depth
    redis.call('HDEL', KEYS[5], url)
    redis.call('LREM', KEYS[6], 0, url)
    redis.call('SREM', KEYS[2], url)
    redis.call('HDEL', KEYS[7], url)
    redis.call('HINCRBY', KEYS[1], 'pending', 1)
    redis.call('HINCRBY', KEYS[1], 'pd:' .. depth, 1)
    redis.call('ZADD', KEYS[3], depth, tostring(depth))
    reopened[#reopened + 1] = ARGV[i + 1]
  end
end
if #reopened > 0 then
  redis.call('HSET', KEYS[1], 'state', 'running')
  redis.call('HDEL', KEYS[1], 'finished_at', 'ended_by', 'stop_reason')
  redis.call('HINCRBY', KEYS[1], 'round', 1)
  for _, host_key in ipairs(redis.call('SMEMBERS', KEYS[4])) do
    redis.call('PERSIST', host_key)
  end
  for i = 1, #KEYS do
    redis.call('PERSIST', KEYS[i])
  end
end
return '[' .. table.concat(reopened, ',') .. ']'
