-- Whether the job's `crawl.started` event is still due (not confirmed yet).
--
-- KEYS[1] counters
-- Returns 1 while due, 0 once sent.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('NOSUCHJOB no such job')
end
return 1 - redis.call('HEXISTS', KEYS[1], 'started')
