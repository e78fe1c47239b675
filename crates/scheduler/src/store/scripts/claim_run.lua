-- Claims one due run: the compare-and-set that makes it start once. Only when the schedule
-- is enabled and still due at exactly ARGV[2] does it move to its next time; a second
-- claim of the same due time finds the next time instead and fails.
--
-- Times are compared as the decimal strings the caller writes for both, which are
-- canonical, so no number conversion can make two different times equal.
--
-- KEYS[1] the record, KEYS[2] the due index
-- ARGV[1] id, ARGV[2] the due time claimed, ARGV[3] the next due time (empty for none)
-- Returns 1 when claimed, 0 otherwise (also for a missing schedule).
local fields = redis.call('HMGET', KEYS[1], 'enabled', 'next_run_ms')
if fields[1] ~= '1' or fields[2] ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], 'next_run_ms', ARGV[3])
if ARGV[3] == '' then
  redis.call('ZREM', KEYS[2], ARGV[1])
else
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
end
return 1
