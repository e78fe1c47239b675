-- Sets the job's started flag. A plain HSETNX would create the counters of a job that
-- does not exist, so the existence check and the flag go together.
--
-- KEYS[1] counters
-- Returns 1 the first time, 0 afterwards.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('NOSUCHJOB no such job')
end
return redis.call('HSETNX', KEYS[1], 'started', 1)
