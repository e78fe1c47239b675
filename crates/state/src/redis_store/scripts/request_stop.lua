-- Asks a running job to stop; the first reason wins and an ended job is left alone.
--
-- KEYS[1] counters
-- ARGV[1] stop reason
-- Returns 1 when the stop was recorded, 0 when it was a no-op.
local state = redis.call('HGET', KEYS[1], 'state')
if not state then
  return redis.error_reply('NOSUCHJOB no such job')
end
if state == 'running' and redis.call('HEXISTS', KEYS[1], 'stop_reason') == 0 then
  redis.call('HSET', KEYS[1], 'stop_reason', ARGV[1])
  return 1
end
return 0
