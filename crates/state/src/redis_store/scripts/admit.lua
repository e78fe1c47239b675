-- Admits the links found on one parent page, once per parent.
--
-- Each candidate not yet in the seen-set is added to it, then either admitted (its cost
-- reserved, pending + 1) or, when the budget has no room or the job is stopping, pushed
-- to the overflow list, so it is never admitted twice. The admitted tasks are stored
-- under the parent, and a repeated call returns them unchanged.
--
-- KEYS[1] counters, KEYS[2] seen, KEYS[3] overflow, KEYS[4] admissions, KEYS[5] frontier
-- ARGV[1] parent URL, then pairs of (candidate URL, candidate task JSON)
-- Returns the JSON array of the admitted tasks.
local prior = redis.call('HGET', KEYS[4], ARGV[1])
if prior then
  return prior
end
local state = redis.call('HGET', KEYS[1], 'state')
if not state then
  return redis.error_reply('NOSUCHJOB no such job')
end
-- An ended job takes nothing new, and has nothing to remember about this parent.
if state == 'ended' then
  return '[]'
end
local stopping = redis.call('HEXISTS', KEYS[1], 'stop_reason') == 1
local per_page = tonumber(redis.call('HGET', KEYS[1], 'cost_per_page'))
-- nil when the job has no budget.
local budget = tonumber(redis.call('HGET', KEYS[1], 'budget'))
local reserved = tonumber(redis.call('HGET', KEYS[1], 'reserved'))

local admitted = {}
for i = 2, #ARGV, 2 do
  if redis.call('SADD', KEYS[2], ARGV[i]) == 1 then
    if not stopping and (budget == nil or reserved + per_page <= budget) then
      reserved = reserved + per_page
      admitted[#admitted + 1] = ARGV[i + 1]
    else
      redis.call('RPUSH', KEYS[3], ARGV[i + 1])
    end
  end
end
-- Pending tasks are also counted per depth, so workers can crawl level by level.
for _, task in ipairs(admitted) do
  local depth = cjson.decode(task).depth
  redis.call('HINCRBY', KEYS[1], 'pd:' .. depth, 1)
  redis.call('ZADD', KEYS[5], depth, tostring(depth))
end
if #admitted > 0 then
  redis.call('HINCRBY', KEYS[1], 'pending', #admitted)
  redis.call('HINCRBY', KEYS[1], 'reserved', #admitted * per_page)
end
-- The tasks arrive as JSON already, so joining them makes the array without decoding.
local result = '[' .. table.concat(admitted, ',') .. ']'
redis.call('HSET', KEYS[4], ARGV[1], result)
return result
