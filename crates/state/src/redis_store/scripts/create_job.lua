-- Stores a new job and admits its seed URLs as depth-0 tasks, all in one step.
--
-- Each seed not yet in the seen-set is added to it, then either admitted (its cost
-- reserved, pending + 1) or, when the budget has no room, pushed to the overflow list, as
-- admit.lua treats links; a seed given twice is admitted once. The admitted tasks are
-- stored, and a second call for the same job (a retried request) changes nothing and
-- returns them unchanged.
--
-- KEYS[1] record, KEYS[2] counters, KEYS[3] seen, KEYS[4] frontier (depths with pending
-- tasks), KEYS[5] seeds (the admitted seed tasks), KEYS[6] overflow
-- ARGV[1] record JSON, ARGV[2] cost per page, ARGV[3] crawl budget, or '' when the job has
-- none, then pairs of (seed URL, seed task JSON)
-- Returns the JSON array of the admitted seed tasks.
local prior = redis.call('GET', KEYS[5])
if prior then
  return prior
end
-- A job created before seed tasks were stored: its seed was published back then.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return '[]'
end
redis.call('SET', KEYS[1], ARGV[1])
local per_page = tonumber(ARGV[2])
-- nil when the job has no budget.
local budget = tonumber(ARGV[3])
local reserved = 0
local admitted = {}
for i = 4, #ARGV, 2 do
  if redis.call('SADD', KEYS[3], ARGV[i]) == 1 then
    if budget == nil or reserved + per_page <= budget then
      reserved = reserved + per_page
      admitted[#admitted + 1] = ARGV[i + 1]
    else
      redis.call('RPUSH', KEYS[6], ARGV[i + 1])
    end
  end
end
redis.call('HSET', KEYS[2],
  'state', 'running',
  'pending', #admitted,
  'reserved', reserved,
  'cost', 0,
  'completed', 0,
  'failed', 0,
  'cancelled', 0,
  'cost_per_page', ARGV[2])
-- Pending tasks are also counted per depth, so workers can crawl level by level.
if #admitted > 0 then
  redis.call('HSET', KEYS[2], 'pd:0', #admitted)
  redis.call('ZADD', KEYS[4], 0, '0')
end
if budget ~= nil then
  redis.call('HSET', KEYS[2], 'budget', ARGV[3])
end
-- The tasks arrive as JSON already, so joining them makes the array without decoding.
local result = '[' .. table.concat(admitted, ',') .. ']'
redis.call('SET', KEYS[5], result)
return result
