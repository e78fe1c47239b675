-- Adds a run to a schedule's log, newest first, keeping the newest ARGV[2]. Checking that
-- the schedule exists in the same step keeps a run finishing after a delete from leaving
-- a log nobody owns.
--
-- KEYS[1] the record, KEYS[2] the run log
-- ARGV[1] the run as JSON, ARGV[2] how many runs to keep
-- Returns 1 when recorded, 0 when the schedule is gone.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('LPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[2]) - 1)
return 1
