-- Sets the job's started flag once its `crawl.started` event is confirmed. A plain HSET
-- would create the counters of a job that does not exist, so the existence check and the
-- flag go together.
--
-- KEYS[1] counters
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('NOSUCHJOB no such job')
end
redis.call('HSET', KEYS[1], 'started', 1)
return 1
