-- Closes the task of one URL (pending - 1), once per URL. The close that brings pending
-- to zero ends the job and remembers that it did, so a repeated close of that URL is told
-- again (its summary may have been lost) and every other URL is not.
--
-- The ending close also marks the summary of the job's round due (`summary_due` = round,
-- `summary_due_at` = now), cleared by summary_sent.lua once the broker confirmed it.
--
-- When the job ends, every key of the job (KEYS[1..n], and the per-host page sets listed in
-- the host index, KEYS[4]) is given the retention time, so finished jobs leave Redis by
-- themselves.
--
-- KEYS[1] counters, KEYS[2] closed URLs, KEYS[3] frontier, KEYS[4] host index,
-- KEYS[5..] the job's other keys
-- ARGV[1] URL, ARGV[2] now in Unix milliseconds, ARGV[3] the task's depth,
-- ARGV[4] retention in seconds
-- Returns 2 when this call ended the job, 1 when it repeats the close that did, else 0.
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then
  if redis.call('HGET', KEYS[1], 'ended_by') == ARGV[1] then
    return 1
  end
  return 0
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('NOSUCHJOB no such job')
end
redis.call('SADD', KEYS[2], ARGV[1])
local pending = redis.call('HINCRBY', KEYS[1], 'pending', -1)
local at_depth = redis.call('HINCRBY', KEYS[1], 'pd:' .. ARGV[3], -1)
if at_depth <= 0 then
  redis.call('HDEL', KEYS[1], 'pd:' .. ARGV[3])
  redis.call('ZREM', KEYS[3], ARGV[3])
end
if pending <= 0 and redis.call('HGET', KEYS[1], 'state') ~= 'ended' then
  redis.call('HSET', KEYS[1], 'state', 'ended', 'finished_at', ARGV[2], 'ended_by', ARGV[1])
  local round = redis.call('HGET', KEYS[1], 'round') or '0'
  redis.call('HSET', KEYS[1], 'summary_due', round, 'summary_due_at', ARGV[2])
  for _, host_key in ipairs(redis.call('SMEMBERS', KEYS[4])) do
    redis.call('EXPIRE', host_key, ARGV[4])
  end
  for i = 1, #KEYS do
    redis.call('EXPIRE', KEYS[i], ARGV[4])
  end
  return 2
end
return 0
