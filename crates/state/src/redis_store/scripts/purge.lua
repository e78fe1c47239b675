-- Deletes every key of a job, the per-host page sets listed in its host index included.
--
-- KEYS[1] record, KEYS[2] host index, KEYS[3..] the job's other keys
-- Returns the job record JSON that was deleted (its owner's list is the caller's to
-- update, in another Cluster slot), or false when there was no job.
local record = redis.call('GET', KEYS[1])
for _, host_key in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  redis.call('DEL', host_key)
end
for i = 1, #KEYS do
  redis.call('DEL', KEYS[i])
end
return record
