-- Records how one page ended, once per URL.
--
-- finished: its reserved cost becomes spent cost. failed or cancelled: its reservation is
-- refunded, and the refund promotes tasks from the overflow list while the budget has
-- room, unless the job is stopping. The decision is stored under the URL, and a repeated
-- call returns it unchanged.
--
-- KEYS[1] counters, KEYS[2] outcomes, KEYS[3] overflow, KEYS[4] outcome order, KEYS[5] frontier
-- ARGV[1] URL, ARGV[2] 'finished', 'failed' or 'cancelled', ARGV[3] outcome JSON
-- Returns {repeated (0 or 1), stored outcome JSON}.
local prior = redis.call('HGET', KEYS[2], ARGV[1])
if prior then
  return {1, prior}
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('NOSUCHJOB no such job')
end
local per_page = tonumber(redis.call('HGET', KEYS[1], 'cost_per_page'))
local credits = 0
local promoted = {}

if ARGV[2] == 'finished' then
  credits = per_page
  redis.call('HINCRBY', KEYS[1], 'cost', per_page)
  redis.call('HINCRBY', KEYS[1], 'completed', 1)
else
  local reserved = redis.call('HINCRBY', KEYS[1], 'reserved', -per_page)
  redis.call('HINCRBY', KEYS[1], ARGV[2], 1)
  -- A stopping job must not queue more work, so its refunds stay unused.
  local stopping = redis.call('HEXISTS', KEYS[1], 'stop_reason') == 1
    or redis.call('HGET', KEYS[1], 'state') == 'ended'
  local budget = tonumber(redis.call('HGET', KEYS[1], 'budget'))
  if not stopping then
    while budget == nil or reserved + per_page <= budget do
      local task = redis.call('LPOP', KEYS[3])
      if not task then
        break
      end
      reserved = reserved + per_page
      promoted[#promoted + 1] = task
    end
    for _, task in ipairs(promoted) do
      local depth = cjson.decode(task).depth
      redis.call('HINCRBY', KEYS[1], 'pd:' .. depth, 1)
      redis.call('ZADD', KEYS[5], depth, tostring(depth))
    end
    if #promoted > 0 then
      redis.call('HINCRBY', KEYS[1], 'pending', #promoted)
      redis.call('HINCRBY', KEYS[1], 'reserved', #promoted * per_page)
    end
  end
end

local cost = tonumber(redis.call('HGET', KEYS[1], 'cost'))
local stored = '{"outcome":' .. ARGV[3]
  .. ',"credits":' .. string.format('%d', credits)
  .. ',"current_cost":' .. string.format('%d', cost)
  .. ',"promoted":[' .. table.concat(promoted, ',') .. ']}'
redis.call('HSET', KEYS[2], ARGV[1], stored)
redis.call('RPUSH', KEYS[4], ARGV[1])
return {0, stored}
